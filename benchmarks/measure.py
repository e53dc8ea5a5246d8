"""Measuring inside Odoo: the guards that keep the benchmark off the network and e-mail, timed samples (time and
queries), scenario and baseline interleaved, and the table's rows."""

import socket
import time

import stats
from stats import Row, median, p90


class NetworkRefused(RuntimeError):
    """The benchmark tried to reach the network or send an e-mail."""


GUARD = {"mail": 0, "network": 0}


def log(*args):
    print(*args, flush=True)


# -------------------------------------------------------------------------------------------------------------
# Guards: no e-mail, no network
# -------------------------------------------------------------------------------------------------------------
def install_guards(env):
    from odoo.addons.base.models.ir_mail_server import IrMailServer

    def refuse_mail(*args, **kwargs):
        GUARD["mail"] += 1
        raise NetworkRefused("the benchmark never sends e-mail")

    for cls in {IrMailServer, type(env["ir.mail_server"])}:
        cls.connect = refuse_mail
        cls.send_email = refuse_mail

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def local(sock, address):
        if sock.family == getattr(socket, "AF_UNIX", None):
            return True
        host = address[0] if isinstance(address, tuple) else address
        return host in ("127.0.0.1", "::1", "localhost") or str(host).startswith("127.")

    def connect(sock, address):
        if not local(sock, address):
            GUARD["network"] += 1
            raise NetworkRefused(f"the benchmark never reaches the network ({address!r})")
        return original_connect(sock, address)

    def connect_ex(sock, address):
        if not local(sock, address):
            GUARD["network"] += 1
            raise NetworkRefused(f"the benchmark never reaches the network ({address!r})")
        return original_connect_ex(sock, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex


# -------------------------------------------------------------------------------------------------------------
# Measuring
# -------------------------------------------------------------------------------------------------------------
class Sample:
    """Time (perf_counter) and queries (the cursor's count) of one measured region."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.queries0 = self.env.cr.sql_log_count
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.ms = (time.perf_counter() - self.t0) * 1000
        self.queries = self.env.cr.sql_log_count - self.queries0
        return False


def interleave(scenario, baseline, min_reps, max_reps, budget_s):
    """Run scenario and baseline alternately (A B B A A B…), at least min_reps and at most max_reps pairs, as
    long as the time budget lasts. Each callable returns (ms, queries). Returns the two lists."""
    a, b = [], []
    start = time.perf_counter()
    rep = 0
    while rep < max_reps and (rep < min_reps or time.perf_counter() - start < budget_s):
        order = (scenario, baseline) if rep % 2 == 0 else (baseline, scenario)
        for fn in order:
            (a if fn is scenario else b).append(fn())
        rep += 1
    return a, b


def plural(count, noun):
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summarize(name, samples, baseline_name=None, baseline_samples=None, targets=(), note=""):
    times = [ms for ms, _q in samples]
    queries = [q for _ms, q in samples if q is not None]
    row = Row(scenario=name, median_ms=median(times), p90_ms=p90(times),
              queries=median(queries) if queries else None, samples=len(times), targets=list(targets), note=note)
    if baseline_samples:
        base = median([ms for ms, _q in baseline_samples])
        row.baseline = f"{baseline_name} {stats.fmt(base)} ms"
        row.ratio = stats.ratio(row.median_ms, base)
    return row

