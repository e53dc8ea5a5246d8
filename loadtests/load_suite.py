#!/usr/bin/env python3
"""Fault-injection and load suite (issue 8): a real Odoo 18 server under load, one worker killed with kill -9.

A fresh database gets both addons (no demo data: the suite makes its own accounts); a real server is started on
127.0.0.1 with `--workers 2 --max-cron-threads 2`. Four concurrent JSON-RPC clients post 500 buyer messages: 400 through
`responso_post_buyer_message` (each with its own external id) and 100 as raw e-mails through the mail gateway
(`mail.thread.message_process`, each with its own Message-ID). Meanwhile 20 more buyer messages are written on the
demo Allegro fake marketplace (a process of its own, reached on loopback), which the account's polling job (a cron)
fetches. One worker is killed with `kill -9` once a third of the messages went in; clients retry what failed (the
same external id or Message-ID: storing is idempotent). Crons send the replies. At the end every buyer message must
be stored exactly once, with exactly one decision and at most one automatic reply, and no reply left queued; a
reply the killed worker was sending stays `sending` for the watchdog (checked on the marketplace or given to a person,
never sent twice) and is counted apart. The figures are printed.

Bounded: every wait has a deadline and the server is stopped whatever happens (about 3 minutes in all).
Standard library only; it finds Odoo and PostgreSQL with the test command's own machinery (scripts/odoo_harness.py).
Run alone: `python3 loadtests/load_suite.py` (exit code 0 when every figure is right).
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
import odoo_harness as harness  # noqa: E402

RPC_MESSAGES, GATEWAY_MESSAGES, POLLED_MESSAGES, CLIENTS, CONVERSATIONS = 400, 100, 20, 4, 40
TOTAL = RPC_MESSAGES + GATEWAY_MESSAGES
DEADLINE = 240  # seconds for the whole run once the server is up
RAW_EMAIL = """From: {sender}
To: load@load.example.com
Subject: Load {number}
Message-ID: <load-{number}@buyers.example.com>
Date: Tue, 01 Dec 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8

Hello, where is my parcel? load-msg-{number}
"""


class Rpc:
    def __init__(self, port, db, password="admin"):
        self.url = "http://127.0.0.1:%d/jsonrpc" % port
        self.db, self.password, self.uid = db, password, None

    def call(self, service, method, *args, timeout=60):
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": random.randint(1, 10**9),
                              "params": {"service": service, "method": method, "args": args}}).encode()
        request = urllib.request.Request(self.url, payload, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 -- loopback only
            body = json.loads(answer.read())
        if body.get("error"):
            raise RuntimeError(body["error"].get("data", {}).get("message") or body["error"])
        return body["result"]

    def login(self):
        self.uid = self.call("common", "login", self.db, "admin", self.password)
        return self.uid

    def model(self, model, method, *args, **kwargs):
        return self.call("object", "execute_kw", self.db, self.uid, self.password, model, method, list(args), kwargs)


def with_retries(action, what, attempts=12):
    """A client retries what a dead worker or a concurrency error left undone (idempotent calls only)."""
    for attempt in range(attempts):
        try:
            return action()
        except (OSError, urllib.error.URLError, RuntimeError, ValueError) as exc:
            if attempt == attempts - 1:
                raise RuntimeError("%s failed %d times: %s" % (what, attempts, exc)) from exc
            time.sleep(0.5 + attempt * 0.5)
    return None


def worker_pids(master):
    """The server's worker processes (children of the prefork master)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                try:
                    with open("/proc/%s/cmdline" % entry, "rb") as fh:
                        # the websocket process is spawned as `<python> odoo-bin gevent ...`: not a worker (the
                        # workers share the master's command line, which may hold --gevent-port)
                        if b"gevent" in fh.read().split(b"\0")[:3]:
                            continue
                except OSError:
                    continue
                pids.append(int(entry))
    return pids


def setup(rpc):
    """A workflow answering each message, caps out of the way, a mailbox account with conversations and a gateway
    alias, and an Allegro account on the demo marketplace whose polling job runs every minute."""
    def ref(xmlid):
        return rpc.model("ir.model.data", "check_object_reference", *xmlid.split("."))[1]

    params = {"responso_autoresponder.cap_conversation_day": "100000", "responso_autoresponder.cap_account_hour":
              "100000"}
    for key, value in params.items():
        rpc.model("ir.config_parameter", "set_param", key, value)
    company = rpc.model("res.users", "read", [rpc.uid], ["company_id"])[0]["company_id"][0]
    rpc.model("responso.workflow", "create", {
        "name": "Load", "description": "load suite", "company_id": company, "tz": "Europe/Warsaw",
        "interval_minutes": 0, "condition_ids": [(0, 0, {"kind": "trigger", "trigger": "each_message"})],
        "action_ids": [(0, 0, {"body_html": "<p>We will answer within 24 hours.</p>"})]})
    mailbox = rpc.model("responso.account", "create", {
        "name": "Load mailbox", "integration_id": ref("responso_autoresponder.integration_email"),
        "company_id": company})
    source = ref("responso_autoresponder.source_email")
    buyers = rpc.model("res.partner", "create", [{"name": "Load buyer %d" % n, "email": "buyer%d@buyers.example.com"
                                                  % n} for n in range(CONVERSATIONS)])
    conversations = rpc.model("responso.conversation", "create", [
        {"name": "Load %d" % n, "account_id": mailbox, "source_id": source, "buyer_id": buyers[n]}
        for n in range(CONVERSATIONS)])
    domain = rpc.model("mail.alias.domain", "create", {"name": "load.example.com"})
    rpc.model("mail.alias", "create", {
        "alias_name": "load", "alias_domain_id": domain,
        "alias_model_id": rpc.model("ir.model", "search", [("model", "=", "responso.conversation")])[0],
        "alias_defaults": repr({"account_id": mailbox, "source_id": source})})
    allegro = rpc.model("responso.account", "create", {
        "name": "Load Allegro (demo marketplace)", "integration_id": ref("responso_autoresponder.integration_allegro"),
        "company_id": company, "api_environment": "demo", "api_login": "myshop-demo"})
    cron = rpc.model("responso.account", "read", [allegro], ["poll_cron_id"])[0]["poll_cron_id"][0]
    # the job may be running already (a new job is due at once): Odoo refuses to modify it meanwhile
    with_retries(lambda: rpc.model("ir.cron", "write", [cron], {"interval_number": 1, "interval_type": "minutes"}),
                 "polling job every minute", attempts=20)
    return conversations, allegro, cron


def post_messages(port, db, conversations, client, progress, errors):
    rpc = Rpc(port, db)
    with_retries(rpc.login, "login")
    for number in range(client, TOTAL, CLIENTS):
        try:
            if number % 5 == 4:  # every fifth message comes by e-mail, through the mail gateway
                raw = RAW_EMAIL.format(sender="buyer%d@buyers.example.com" % (number % CONVERSATIONS), number=number)
                with_retries(lambda raw=raw: rpc.model("mail.thread", "message_process", False, raw),
                             "e-mail %d" % number)
            else:
                conversation = conversations[number % CONVERSATIONS]
                body = "<p>Where is my parcel? load-msg-%d</p>" % number
                with_retries(lambda c=conversation, b=body, n=number: rpc.model(
                    "responso.conversation", "responso_post_buyer_message", [c], b, external_id="load-%d" % n),
                    "message %d" % number)
        except RuntimeError as exc:
            errors.append(str(exc))
        progress.append(number)


def psql(db, dbname, sql):
    env = dict(os.environ, PGPASSWORD=db.get("password") or "")
    argv = harness.psql_argv(db)[:-1] + [dbname, "-tAF", "|", "-c", sql]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=True, timeout=60).stdout.strip()


FIGURES_SQL = r"""
WITH marked AS (
    SELECT m.id, substring(m.body from 'load-(?:msg|poll)-[0-9]+') AS marker
      FROM mail_message m WHERE m.responso_kind = 'buyer' AND m.body ~ 'load-(msg|poll)-[0-9]+'
), per_message AS (
    SELECT marked.id, marked.marker,
           (SELECT count(*) FROM responso_decision d WHERE d.message_id = marked.id) AS decisions,
           (SELECT count(*) FROM responso_reply r WHERE r.trigger_message_id = marked.id AND r.state = 'sent') AS sent
      FROM marked
)
SELECT count(*), count(DISTINCT marker) FILTER (WHERE marker LIKE 'load-msg-%%'),
       count(DISTINCT marker) FILTER (WHERE marker LIKE 'load-poll-%%'), count(*) - count(DISTINCT marker),
       sum(decisions), count(*) FILTER (WHERE decisions != 1), sum(sent), count(*) FILTER (WHERE sent > 1),
       (SELECT count(*) FROM responso_reply WHERE state = 'scheduled'
                                               OR (state = 'sending' AND write_date > now() - interval '20 seconds')),
       -- claimed by the killed cron worker: left for the watchdog (verify or a person), never sent twice
       (SELECT count(*) FROM responso_reply WHERE state = 'sending' AND write_date <= now() - interval '20 seconds')
  FROM per_message
""".replace("%%", "%")


def run(odoo_argv, options, db, workdir):
    """The whole suite on PostgreSQL `db`; True when every figure is right."""
    dbname = "responso_load_%d_%d" % (os.getpid(), int(time.time()))
    data_dir = os.path.join(workdir, "load-data")
    common = odoo_argv + ["--addons-path", harness.addons_path(options), "--data-dir", data_dir] + \
        harness.odoo_db_args(db)
    log = os.path.join(workdir, "load-server.log")
    server = None
    try:
        print("load suite: installing both addons in %s" % dbname, flush=True)
        subprocess.run(common + ["-d", dbname, "-i", harness.DEMO_MODULE, "--without-demo", "all",
                                 "--stop-after-init", "--log-level", "warn",
                                 "--max-cron-threads", "0", "--http-port", str(harness.free_port()),
                                 "--gevent-port", str(harness.free_port())],
                       check=True, capture_output=True, timeout=900, cwd=harness.REPO)
        port = harness.free_port()
        env = dict(os.environ, ODOO_NOTIFY_CRON_CHANGES="1")  # cron workers wake at once on triggers
        server = subprocess.Popen(common + [
            "-d", dbname, "--db-filter", "^%s$" % dbname, "--workers", "2", "--max-cron-threads", "2",
            "--http-interface", "127.0.0.1", "--http-port", str(port), "--gevent-port", str(harness.free_port()),
            "--limit-time-real", "120", "--log-level", "warn", "--logfile", log],
            env=env, cwd=harness.REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        rpc = Rpc(port, dbname)
        with_retries(rpc.login, "server start", attempts=120)
        print("load suite: server up on 127.0.0.1:%d with --workers 2 --max-cron-threads 2 (pid %d)"
              % (port, server.pid), flush=True)
        conversations, allegro, cron = setup(rpc)
        # the demo fake marketplaces start on first use; the buyer writes there, the polling job fetches
        with_retries(lambda: rpc.model("responso.account", "action_poll_now", [allegro]), "first poll")
        control = rpc.model("ir.config_parameter", "get_param", "responso_autoresponder_demo.fake_control_url")
        for number in range(POLLED_MESSAGES):
            call = {"fake": "allegro", "method": "add_thread", "args": ["load-thread-%d" % number],
                    "kwargs": {"interlocutor": "load_buyer_%d" % number}}
            for request in (call, {"fake": "allegro", "method": "add_message", "args": [
                    "load-thread-%d" % number, "Gdzie paczka? load-poll-%d" % number],
                    "kwargs": {"at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}}):
                urllib.request.urlopen(urllib.request.Request(  # noqa: S310 -- loopback only
                    control + "/call", json.dumps(request).encode(), {"Content-Type": "application/json"}),
                    timeout=10).read()
        with_retries(lambda: rpc.model("ir.cron", "write", [cron], {
            "nextcall": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}), "polling job now", attempts=20)

        progress, errors, killed = [], [], None
        clients = [threading.Thread(target=post_messages, args=(port, dbname, conversations, n, progress, errors),
                                    daemon=True) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        while any(client.is_alive() for client in clients) and time.monotonic() - started < DEADLINE:
            if killed is None and len(progress) >= TOTAL // 3:
                workers = worker_pids(server.pid)
                if workers:
                    killed = random.choice(workers)
                    os.kill(killed, signal.SIGKILL)
                    print("load suite: kill -9 of worker %d after %d messages" % (killed, len(progress)), flush=True)
            time.sleep(0.2)
        if killed is None:  # the clients were faster than the check (or no worker was up then): the crons still run
            workers = worker_pids(server.pid)
            if workers:
                killed = random.choice(workers)
                os.kill(killed, signal.SIGKILL)
                print("load suite: kill -9 of worker %d after the clients, while the crons work" % killed, flush=True)
        for client in clients:
            client.join(max(1, DEADLINE - (time.monotonic() - started)))
        # replies go out from the sending cron; the polled messages from the polling job
        figures = None
        while time.monotonic() - started < DEADLINE:
            figures = [int(value or 0) for value in psql(db, dbname, FIGURES_SQL).split("|")]
            if figures[1] + figures[2] >= TOTAL + POLLED_MESSAGES and not figures[8]:
                break
            time.sleep(2)
        (stored, rpc_msgs, polled, duplicates, decisions, wrong_decisions, replies, double_replies, queued,
         interrupted) = figures
        lost = TOTAL + POLLED_MESSAGES - rpc_msgs - polled
        print("load suite figures: messages stored %d (posted and e-mailed %d of %d, polled %d of %d), decisions %d, "
              "automatic replies %d, duplicates %d, lost %d, messages without exactly one decision %d, messages "
              "with more than one reply %d, replies still queued %d, replies interrupted by the kill (left to the "
              "watchdog) %d, worker killed %s, client errors %d, %.0f s"
              % (stored, rpc_msgs, TOTAL, polled, POLLED_MESSAGES, decisions, replies, duplicates, lost,
                 wrong_decisions, double_replies, queued, interrupted, killed or "none", len(errors),
                 time.monotonic() - started),
              flush=True)
        for error in errors[:5]:
            print("load suite: client error: %s" % error)
        return not (duplicates or lost or wrong_decisions or double_replies or queued or errors or killed is None)
    except (subprocess.SubprocessError, OSError, RuntimeError, ValueError) as exc:
        print("load suite: FAILED: %s %s" % (exc, getattr(exc, "stderr", "") or ""))
        return False
    finally:
        if server is not None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(30)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        harness.psql(db, 'DROP DATABASE IF EXISTS "%s"' % dbname, check=False)


def run_with_postgres(odoo_argv, options, workdir):
    """The suite on the PostgreSQL the configuration reaches, else on a throwaway cluster (as the Odoo suite)."""
    local = None
    db = harness.configured_postgres(options)
    if db is None:
        local = harness.LocalPostgres(os.path.join(workdir, "load-pgdata"), fast=True)
        db = local.start()
    try:
        return run(odoo_argv, options, db, workdir)
    finally:
        if local:
            local.stop()


def main():
    odoo_argv, _version = harness.find_odoo()
    workdir = tempfile.mkdtemp(prefix="responso-load-")
    if os.geteuid() == 0:  # the throwaway cluster runs as nobody
        os.chmod(workdir, 0o755)
    return 0 if run_with_postgres(odoo_argv, harness.read_rc_options(), workdir) else 1


if __name__ == "__main__":
    sys.exit(main())
