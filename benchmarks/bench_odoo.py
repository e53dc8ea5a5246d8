"""The benchmark scenarios, run inside Odoo 18 (``benchmarks/run`` feeds this to ``odoo shell``).

Only public entry points of the addon are used, so that the figures stay comparable across rewrites of its
internals: ``message_post`` by the buyer, ``responso_post_buyer_message``, ``responso.reply._cron_send_due``,
the engine's ``decide()``, and ORM create/write of workflows. The few places that know more (the engine's
input types, the history method, the reply table's columns) are the small functions marked ADAPT.

Nothing leaves the machine: ``IrMailServer.connect``/``send_email`` raise, and so does any socket connection
that is not local; replies stay in the chatter (accounts without API tokens).
"""

import json
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

import psutil
import stats
import workload
from decide_bench import bench_facts, build_specs, prepare_decide, run_decide
from markupsafe import Markup
from stats import Row, median, p90

import odoo
from odoo import Command, fields
from odoo.sql_db import Cursor

from odoo.addons.responso_autoresponder.engine.index import history_horizon
from odoo.addons.responso_autoresponder.models import history_sql
from odoo.addons.responso_autoresponder.wizards.responso_workflow_replay import replay_benchmark

BODY = "<p>Hello, where is my parcel? I ordered it last week and have not received it yet.</p>"
REPLY = "<p>Thank you for your message: we will answer within 24 hours.</p>"
PEER_REPLY = "Thank you for your message: we will answer within 24 hours."
HOOK_SIZES = (0, 1, 10, 100, 1000, 10000)
QUICK_HOOK_SIZES = (0, 1, 10, 100, 1000)


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


class Bench:
    def __init__(self, env, config):
        self.env = env(context=dict(env.context, mail_create_nosubscribe=True, tz="UTC"))
        self.config = config
        self.quick = config.get("quick")
        self.rows = []
        self.budget = config.get("budget", 1.0)  # scales the time budgets (quick: smaller)

    @property
    def cr(self):
        return self.env.cr

    def add(self, row):
        self.rows.append(row)
        log("   ", " | ".join(stats.row_cells(row)))

    # ---------------------------------------------------------------------------------------------------------
    # Setup: accounts, workflows (all created once; sizes are chosen by activating a prefix), peer rules
    # ---------------------------------------------------------------------------------------------------------
    def setup(self):
        env = self.env
        ref = env.ref
        params = env["ir.config_parameter"].sudo()
        # a large seller: caps high enough for the benchmark's committed traffic on one account
        params.set_param("responso_autoresponder.cap_account_hour", 10**9)
        params.set_param("responso_autoresponder.cap_conversation_day", 10**6)
        env.user.notification_type = "inbox"  # nobody is notified by e-mail
        env.company.email = env.company.email or "shop@example.com"  # replies are signed from it (never mailed)
        self.integrations = {code: ref(f"responso_autoresponder.integration_{code}")
                             for code in ("allegro", "ebay", "amazon", "email")}
        self.sources = {code: ref(f"responso_autoresponder.source_{code}") for code in
                        ("allegro_discussions", "allegro_messages", "ebay", "amazon", "email")}
        self.weekdays = {day.number: day.id for day in env["responso.weekday"].search([])}
        self.accounts = env["responso.account"].create([
            {"name": acc["name"], "integration_id": self.integrations[acc["integration"]].id}
            for acc in workload.accounts()])
        self.account = self.accounts[workload.BENCH_ACCOUNT]
        self.source = self.sources[workload.BENCH_SOURCE]
        env["responso.workflow"].search([("is_template", "=", False)]).unlink()
        count = max(self.hook_sizes())
        t0 = time.perf_counter()
        self.mix = workload.workflow_mix(count)
        self.workflows = self.create_workflows(self.mix)
        self.cr.commit()
        log(f"setup: {len(self.accounts)} accounts, {len(self.workflows):,} workflows created in "
            f"{time.perf_counter() - t0:.1f} s")
        self.set_workflow_count(0)

    def hook_sizes(self):
        return QUICK_HOOK_SIZES if self.quick else HOOK_SIZES

    def workflow_vals(self, definition):
        """ORM values of one workflow of the mix (workload.py)."""
        lines = []
        for cond in definition["conditions"]:
            kind = cond["kind"]
            vals = {"kind": kind}
            if kind == "trigger":
                vals["trigger"] = cond["trigger"]
            elif kind == "account":
                vals.update(operator=cond["operator"],
                            account_ids=[Command.set([self.accounts[i].id for i in cond["accounts"]])])
            elif kind == "source":
                vals.update(operator=cond["operator"],
                            source_ids=[Command.set([self.sources[s].id for s in cond["sources"]])])
            elif kind == "weekday":
                vals.update(operator=cond["operator"],
                            weekday_ids=[Command.set([self.weekdays[d] for d in cond["days"]])])
            elif kind == "time_window":
                vals.update(range_operator=cond["operator"], time_from=cond["time_from"], time_to=cond["time_to"])
            elif kind == "delay":
                vals.update(delay_amount=cond["minutes"], delay_unit="minutes")
            lines.append(Command.create(vals))
        return {
            "name": definition["name"],
            "description": "Benchmark workflow",
            "sequence": definition["sequence"],
            "tz": workload.TZ,
            "active": True,
            "condition_ids": lines,
            "action_ids": [Command.create({"body_html": REPLY})],
        }

    def create_workflows(self, mix, batch=1000):
        Workflow = self.env["responso.workflow"]
        created = Workflow.browse()
        for start in range(0, len(mix), batch):
            created |= Workflow.create([self.workflow_vals(d) for d in mix[start:start + batch]])
            self.env.flush_all()
            self.env.invalidate_all()
        return created

    def set_workflow_count(self, count):
        """Activate the first `count` workflows of the mix (they hold the matching one), deactivate the others,
        through the ORM (what invalidates the addon's caches), and commit."""
        active = self.workflows[:count]
        (self.workflows - active).filtered("active").write({"active": False})
        active.filtered(lambda w: not w.active).write({"active": True})
        self.cr.commit()
        self.env.invalidate_all()

    # ---------------------------------------------------------------------------------------------------------
    # One message
    # ---------------------------------------------------------------------------------------------------------
    def new_buyer(self, name="Bench buyer"):
        # marketplace buyers: a login, no e-mail address
        return self.env["res.partner"].create({"name": name})

    def new_conversation(self, account=None, source=None):
        buyer = self.new_buyer()
        account = account or self.account
        conversation = self.env["responso.conversation"].create({
            "name": "Where is my parcel?", "account_id": account.id, "source_id": (source or self.source).id,
            "buyer_id": buyer.id, "external_thread_id": uuid.uuid4().hex})
        return conversation, buyer

    def new_conversations(self, count, accounts=None):
        """`count` fresh conversations with fresh buyers, created in batch (not measured), round-robin over
        `accounts` (default: the benchmark account)."""
        accounts = accounts or self.account
        buyers = self.env["res.partner"].create([{"name": "Bench buyer"}] * count)
        return self.env["responso.conversation"].create([{
            "name": "Where is my parcel?", "account_id": accounts[index % len(accounts)].id,
            "source_id": self.source.id, "buyer_id": buyer.id, "external_thread_id": uuid.uuid4().hex}
            for index, buyer in enumerate(buyers)])

    def post_buyer(self, conversation, buyer):
        return conversation.message_post(body=Markup(BODY), author_id=buyer.id, message_type="comment",
                                         subtype_xmlid="mail.mt_comment")

    def post_plain(self, partner, buyer):
        return partner.message_post(body=Markup(BODY), author_id=buyer.id, message_type="comment",
                                    subtype_xmlid="mail.mt_comment")

    def rolled_back(self, prepare, measure, check=None):
        """Prepare records, then measure in a savepoint that is rolled back: the tables stay as they are.
        The ORM cache starts cold, as in a new request; the flush is measured (it is part of the post)."""
        env, cr = self.env, self.cr
        env.flush_all()
        cr.execute("SAVEPOINT bench_sample")
        try:
            args = prepare()
            env.flush_all()
            env.invalidate_all()
            with Sample(env) as sample:
                result = measure(*args)
                env.flush_all()
            if check:
                check(result, *args)
        finally:
            cr.clear()
            cr.execute("ROLLBACK TO SAVEPOINT bench_sample")
            cr.execute("RELEASE SAVEPOINT bench_sample")
            cr.postcommit.clear()
            env.invalidate_all(flush=False)
        return sample.ms, sample.queries

    def committed(self, prepare, measure):
        """Prepare records and commit, then measure up to and including the commit (cron scenarios)."""
        env, cr = self.env, self.cr
        args = prepare()
        cr.commit()
        env.invalidate_all()
        with Sample(env) as sample:
            measure(*args)
            cr.commit()
        env.invalidate_all()
        return sample.ms, sample.queries

    def plain_sample(self):
        return self.rolled_back(lambda: (self.new_buyer("Bench record"), self.new_buyer()),
                                self.post_plain)

    def hook_sample(self, expect_replies=None):
        def check(message, conversation, buyer):
            if expect_replies is not None:
                replies = self.env["responso.reply"].search_count([("trigger_message_id", "=", message.id)])
                if replies != expect_replies:
                    raise AssertionError(f"{replies} replies queued for the benchmark message, "
                                         f"expected {expect_replies}")
        return self.rolled_back(self.new_conversation, self.post_buyer, check)

    # ---------------------------------------------------------------------------------------------------------
    # Scenarios
    # ---------------------------------------------------------------------------------------------------------
    def scenario_hook(self):
        """Plain post on a res.partner vs a buyer message on a conversation with 0…10,000 workflows."""
        log("== hook: conversation with N workflows vs plain message_post on a res.partner")
        queries_at_zero = None
        counts = {}
        for size in self.hook_sizes():
            self.set_workflow_count(size)
            for _warm in range(2 if queries_at_zero is not None else 6):  # caches of the new workflow set
                self.hook_sample(expect_replies=1 if size else 0)
                self.plain_sample()
            heavy = size >= 1000
            a, b = interleave(self.hook_sample, self.plain_sample, min_reps=3 if heavy else 10,
                              max_reps=60, budget_s=(25 if heavy else 12) * self.budget)
            targets = {0: [("ratio", 1.1)], 1: [("ratio", 1.3)], 1000: [("ratio", 1.6)]}.get(size, [])
            row = summarize(f"conversation, {plural(size, 'workflow')}", a, "plain post", b, targets)
            if size == 0:
                queries_at_zero = row.queries
            elif queries_at_zero is not None:
                row.targets.append(("queries", queries_at_zero + 6))
            counts[size] = row.queries
            self.add(row)
        same = len({q for s, q in counts.items() if s}) == 1
        self.add(Row(scenario="queries: same count for 1 to %s workflows" % f"{max(counts):,}",
                     queries=None, targets=[("check", same)],
                     check_text="equal", note=" / ".join(f"{s:,}: {stats.fmt(q, 0)}" for s, q in counts.items())))

    def cron_sample(self):
        def measure(conversation, buyer):
            self.post_buyer(conversation, buyer)
            self.cr.commit()
            sent = self.env["responso.reply"]._cron_send_due()
            if len(sent) != 1 or sent.state != "sent":
                raise AssertionError(f"the cron handled {len(sent)} replies ({sent.mapped('state')} "
                                     f"{sent.mapped('error')}), expected 1 sent")
        return self.committed(self.new_conversation, measure)

    def plain_committed_sample(self):
        return self.committed(lambda: (self.new_buyer("Bench record"), self.new_buyer()), self.post_plain)

    def scenario_cron(self):
        """Buyer message + the cron sending its reply, at 1,000 workflows, vs a plain post; both committed."""
        size = 1000 if max(self.hook_sizes()) >= 1000 else max(self.hook_sizes())
        log(f"== hook + cron sending the reply ({size:,} workflows) vs plain post, committed")
        self.set_workflow_count(size)
        for _warm in range(2):
            self.cron_sample()
            self.plain_committed_sample()
        a, b = interleave(self.cron_sample, self.plain_committed_sample, 3, 40, 25 * self.budget)
        self.add(summarize(f"conversation + cron reply, {size:,} workflows", a, "plain post+commit", b,
                           [("ratio", 2.5)]))

    # replay ---------------------------------------------------------------------------------------------------
    def scenario_replay(self):
        """The workflow form's Replay over the last 30 days: 10,000 stored decisions (copies of a real one, their
        received times spread over the days), replayed by the matching workflow in plain Python."""
        count = 1000 if self.quick else 10000
        log(f"== replay: one workflow over {count:,} buyer messages of the last 30 days (stored decisions)")
        self.set_workflow_count(10)
        self.cron_sample()  # one real decision, committed
        Decision = self.env["responso.decision"]
        source = Decision.search([("inputs", "!=", False)], order="id desc", limit=1)
        columns = ("message_id, res_model, res_id, conversation_id, company_id, workflow_id, workflow_name, answers, "
                   "send_at, reason_code, reason_params, skipped_workflow_ids, workflow_count, evaluated_count, "
                   "snapshot_key, create_date, write_date, create_uid, write_uid")
        self.cr.execute(f"""
            WITH stamps AS (
                SELECT g, to_char(now() at time zone 'UTC' - (g %% 29) * interval '1 day'
                                  - (g %% 1440) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS at
                  FROM generate_series(1, %s) AS g)
            INSERT INTO responso_decision ({columns}, inputs)
            SELECT {columns}, jsonb_set(jsonb_set(d.inputs, '{{facts,received_at}}', to_jsonb(s.at)),
                                        '{{now}}', to_jsonb(s.at))
              FROM responso_decision d, stamps s WHERE d.id = %s
            RETURNING id""", (count, source.id))
        copies = [row[0] for row in self.cr.fetchall()]
        self.cr.commit()
        workflow = self.workflows[0]
        times, results = [], []
        for _rep in range(3 if self.quick else 5):
            self.env.invalidate_all()
            result = replay_benchmark(self.env, workflow, days=30)
            times.append(result["seconds"] * 1000)
            results.append(result)
        replayed = results[-1]["messages"]
        self.add(Row(scenario=f"replay, 1 workflow over {replayed:,} messages (30 days)", median_ms=median(times),
                     p90_ms=p90(times), samples=len(times),
                     targets=[("ms", 10000), ("check", replayed >= count)],
                     check_text=f"{replayed:,} of {count + 1:,} replayed",
                     note=f"{results[-1]['answered']:,} would be answered"))
        self.cr.execute("DELETE FROM responso_decision WHERE id = ANY(%s)", (copies,))
        self.cr.commit()

    # base_automation, the peer ------------------------------------------------------------------------------
    def create_peer_rules(self, count):
        """`count` "On incoming message" rules on res.partner, each a server action that answers when its
        condition holds (base_automation has no pre-filter for message triggers: the code checks). Rule 0
        answers the benchmark record (ref acc-0), the others name other accounts."""
        model = self.env["ir.model"]._get("res.partner")
        code = ("if record.ref == %r and datetime.datetime.now().weekday() in %r:\n"
                "    record.message_post(body=%r, message_type='comment', subtype_xmlid='mail.mt_comment')\n")
        rules = self.env["base.automation"].create([{
            "name": f"Peer rule {index}",
            "model_id": model.id,
            "trigger": "on_message_received",
            "active": False,
            "action_server_ids": [Command.create({
                "name": f"Answer {index}", "model_id": model.id, "state": "code", "usage": "base_automation",
                "code": code % (f"acc-{index}", workload.ALL_DAYS, PEER_REPLY)})],
        } for index in range(count)])
        self.cr.commit()
        return rules

    def peer_state(self, rules, active, warm):
        """Activate exactly `active` among the rules; after a change, one post unmeasured (templates cache)."""
        current = rules.filtered("active")
        if current != active:
            (rules - active).filtered("active").write({"active": False})
            (active - current).write({"active": True})
            self.cr.commit()
            self.env.invalidate_all()
            warm()

    def scenario_peer(self):
        counts = (1, 100) if self.quick else (1, 100, 1000)
        log(f"== peer: base_automation with {counts} 'On incoming message' rules posting a reply, committed")
        rules = self.create_peer_rules(max(counts))
        buyer_model = self.env["res.partner"]

        def prepare():
            return buyer_model.create({"name": "Bench record", "ref": "acc-0"}), self.new_buyer()

        for count in counts:
            def post():
                return self.committed(prepare, self.post_plain)

            def peer(active=rules[:count]):
                self.peer_state(rules, active, post)
                return post()

            def plain():
                self.peer_state(rules, rules.browse(), post)
                return post()

            replies = [("model", "=", "res.partner"), ("body", "ilike", PEER_REPLY)]
            before = self.env["mail.message"].search_count(replies)
            a, b = interleave(peer, plain, 3, 40, 20 * self.budget)
            posted = self.env["mail.message"].search_count(replies) - before
            note = "issue: 3.75× at 1 rule" if count == 1 else ""
            if posted < len(a):
                note += f" (only {posted} replies for {len(a)} messages)"
            self.add(summarize(f"base_automation, {plural(count, 'rule')} (reply posted)", a, "plain post+commit", b,
                               note=note))
        self.peer_state(rules, rules.browse(), lambda: None)

    # decide() alone -----------------------------------------------------------------------------------------
    def scenario_decide(self):
        log("== decide() alone (plain Python)")
        facts = bench_facts()
        now = facts.received_at + timedelta(seconds=1)
        for label, mix, limit in (
            (f"decide(), {len(self.mix):,} workflows over 100 accounts", self.mix, 1.0),
            ("decide(), 1,000 workflows that all apply", workload.all_matching_mix(1000), 3.0),
        ):
            prepared = prepare_decide(build_specs(mix))
            outcome = run_decide(prepared, facts, now)
            if not outcome.answers:
                raise AssertionError(f"{label}: no workflow answers, expected 1")
            times = []
            start = time.perf_counter()
            while len(times) < 2000 and (len(times) < 5 or time.perf_counter() - start < 5 * self.budget):
                t0 = time.perf_counter()
                run_decide(prepared, facts, now)
                times.append((time.perf_counter() - t0) * 1000)
            self.add(Row(scenario=label, median_ms=median(times), p90_ms=p90(times), samples=len(times),
                         targets=[("ms", limit)]))

    # ingest ---------------------------------------------------------------------------------------------------
    def scenario_ingest(self):
        """Intake through responso_post_buyer_message vs plain posts, in committed batches, at two batch sizes,
        each batch size in a fresh `odoo shell` process (ingest_worker): messages/s, and the process's peak RSS,
        which must not follow the batch size."""
        total = 1000 if self.quick else 10000
        batches = (50, 500) if self.quick else (200, 2000)
        log(f"== ingest: {total:,} buyer messages on 40 accounts through responso_post_buyer_message (10 workflows) "
            f"vs {total // 2:,} plain posts, committed in batches of {batches[0]:,} then {batches[1]:,}, "
            f"one fresh process per batch size")
        self.set_workflow_count(10)
        figures = {}
        for batch in batches:
            figures[batch] = run_shell(self.config, "ingest_worker", {"count": total // len(batches), "batch": batch})
        rate, per_message = {}, {}
        for kind in ("ingest", "plain"):
            done = [figures[b][kind] for b in batches]
            messages = sum(f["messages"] for f in done)
            rate[kind] = messages / sum(f["seconds"] for f in done)
            per_message[kind] = sum(f["queries"] for f in done) / messages
        self.add(Row(scenario=f"ingest {total:,} msgs: {rate['ingest']:,.0f} msg/s vs plain {rate['plain']:,.0f} msg/s",
                     median_ms=1000 / rate["ingest"], queries=per_message["ingest"],
                     samples=sum(figures[b]["ingest"]["messages"] for b in batches),
                     baseline=f"plain post {1000 / rate['plain']:.2f} ms ({per_message['plain']:.0f} q)",
                     ratio=rate["ingest"] / rate["plain"], targets=[("min_ratio", 0.6)],
                     note="ratio = messages/s ÷ plain"))
        small, large = batches
        peak = {b: figures[b]["peak_rss"] / 2**20 for b in batches}
        growth = {b: {kind: figures[b][kind]["growth"] / 2**20 for kind in ("ingest", "plain")} for b in batches}
        flat = peak[large] <= peak[small] * 1.10
        self.add(Row(scenario=f"ingest peak RSS, batch {small:,} vs {large:,}", targets=[("check", flat)],
                     check_text="flat (≤ +10 %)",
                     note=f"{peak[small]:.0f} → {peak[large]:.0f} MB; growth within a batch: intake "
                          f"{growth[small]['ingest']:.0f} → {growth[large]['ingest']:.0f} MB, plain posts "
                          f"{growth[small]['plain']:.0f} → {growth[large]['plain']:.0f} MB"))
        self.env.cr.execute("UPDATE responso_reply SET state = 'cancelled', cancel_reason = 'benchmark' "
                            "WHERE state = 'scheduled'")
        self.cr.commit()

    def ingest_run(self, count, batch):
        """In this (fresh) process: `count` intake messages and count/2 plain posts in batches of `batch`."""
        process = psutil.Process()
        figures = {kind: {"seconds": 0.0, "messages": 0, "growth": 0, "queries": 0} for kind in ("ingest", "plain")}
        for number, index in enumerate(range(0, count, batch)):
            size = min(batch, count - index)
            # plain posts first: they set the process's high-water mark, so that what the intake adds beyond it
            # shows; then one plain batch for two intake batches
            kinds = ("plain", "ingest") if number % 4 == 0 else ("ingest", "plain") if number % 4 == 2 \
                else ("ingest",)
            for kind in kinds:
                self.ingest_batch(kind, size, figures[kind], process)
        figures["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return figures

    def attach(self):
        """In a helper process: find what setup() made in the parent's committed database."""
        env = self.env
        self.accounts = env["responso.account"].search([("name", "=like", "Bench account %")], order="name")
        self.account = self.accounts[workload.BENCH_ACCOUNT]
        self.source = env.ref(f"responso_autoresponder.source_{workload.BENCH_SOURCE}")

    def ingest_batch(self, kind, size, target, process):
        env = self.env
        if kind == "ingest":
            # a large seller's intake: over its 40 Allegro accounts (the matching workflow answers account 0)
            records = list(self.new_conversations(size, self.accounts[:40]))
        else:
            partners = env["res.partner"].create([{"name": "Bench record"}] * size * 2)
            records = list(zip(partners[:size], partners[size:], strict=True))
        self.cr.commit()
        env.invalidate_all()
        rss_start = rss_peak = process.memory_info().rss
        with Sample(env) as sample:
            for index, record in enumerate(records):
                if kind == "ingest":
                    record.responso_post_buyer_message(Markup(BODY), external_id=f"bench-{uuid.uuid4().hex}")
                else:
                    self.post_plain(*record)
                if index % 10 == 0:
                    rss_peak = max(rss_peak, process.memory_info().rss)
            self.cr.commit()
        rss_peak = max(rss_peak, process.memory_info().rss)
        target["seconds"] += sample.ms / 1000
        target["messages"] += size
        target["queries"] += sample.queries
        target["growth"] = max(target["growth"], rss_peak - rss_start)
        env.invalidate_all()

    # two sending processes ----------------------------------------------------------------------------------
    def queue_replies(self, count):
        """`count` due replies in as many fresh conversations, queued by the hook and committed."""
        self.set_workflow_count(1)
        triggers = []
        for start in range(0, count, 100):
            for conversation in self.new_conversations(min(100, count - start)):
                triggers.append(self.post_buyer(conversation, conversation.buyer_id).id)
            self.cr.commit()
            self.env.invalidate_all()
        queued = self.env["responso.reply"].search_count([("trigger_message_id", "in", triggers),
                                                         ("state", "=", "scheduled")])
        if queued != count:
            raise AssertionError(f"{queued} replies queued, expected {count}")
        return triggers

    def scenario_senders(self):
        count = 200 if self.quick else 1000
        log(f"== sending {count:,} replies with one, then two cron processes")
        results = {}
        duplicates = 0
        for workers in (1, 2):
            triggers = self.queue_replies(count)
            outcome = run_send_workers(self.config, workers)
            self.cr.commit()  # a fresh snapshot
            self.env.invalidate_all()
            replies = self.env["responso.reply"].search([("trigger_message_id", "in", triggers)])
            sent = replies.filtered(lambda r: r.state == "sent")
            self.cr.execute("""SELECT COALESCE(sum(n - 1), 0) FROM (
                                   SELECT count(*) AS n FROM mail_message
                                    WHERE responso_kind = 'auto_reply' AND parent_id = ANY(%s)
                                 GROUP BY parent_id) per_trigger""", [triggers])
            duplicates += int(self.cr.fetchone()[0])
            handled = sum(len(ids) for ids in outcome["ids"])
            duplicates += handled - len(set().union(*map(set, outcome["ids"])))
            if len(sent) != count:
                log(f"    warning: {len(sent)} of {count} replies sent ({set(replies.mapped('state'))}: "
                    f"{set(replies.mapped('error'))})")
            results[workers] = len(sent) / outcome["seconds"]
            log(f"    {workers} process(es): {len(sent)} replies in {outcome['seconds']:.1f} s, "
                f"per process {[len(ids) for ids in outcome['ids']]}")
        self.add(Row(scenario=f"send {count:,} replies, 1 process: {results[1]:,.0f} replies/s",
                     median_ms=1000 / results[1], samples=count))
        self.add(Row(scenario=f"send {count:,} replies, 2 processes: {results[2]:,.0f} replies/s",
                     median_ms=1000 / results[2], samples=count, baseline=f"1 process {results[1]:,.0f}/s",
                     ratio=results[2] / results[1], targets=[("min_ratio", 1.8)], note="ratio = replies/s"))
        self.add(Row(scenario="send: duplicates", targets=[("check", duplicates == 0)], check_text="= 0",
                     note=f"{duplicates} duplicates"))

    # history at 1,000,000 rows --------------------------------------------------------------------------------
    def scenario_history(self):
        small, large = (1000, 100000) if self.quick else (1000, 1000000)
        log(f"== history: a buyer message with {small:,} then {large:,} replies and buyer messages in the tables")
        self.set_workflow_count(10)
        filler = HistoryFiller(self)
        figures = {}
        for rows in (small, large):
            t0 = time.perf_counter()
            filler.fill_to(rows)
            log(f"    {rows:,} history rows ready in {time.perf_counter() - t0:.0f} s")
            for _warm in range(3):
                self.hook_sample(expect_replies=1)
            post, plain = interleave(self.hook_sample, self.plain_sample, 10, 60, 15 * self.budget)
            history, history_plain = interleave(self.history_sample, self.plain_sample, 10, 40, 10 * self.budget)
            figures[rows] = (post, plain, history, history_plain)
        post_small, plain_small, hist_small, hist_plain_small = figures[small]
        post_large, plain_large, hist_large, hist_plain_large = figures[large]
        if None not in hist_small + hist_large:
            # the two table sizes cannot be measured interleaved: each against a plain post interleaved with it,
            # so that the machine's speed, which drifts between the two, does not count as the history's
            row = summarize(f"history facts, {large:,} rows", hist_large, f"{small:,} rows", hist_small,
                            [("ratio", 1.25)])
            row.ratio = stats.ratio(row.median_ms / median([ms for ms, _q in hist_plain_large]),
                                    median([ms for ms, _q in hist_small]) / median([ms for ms, _q in hist_plain_small]))
            row.note = "ratio of the two ratios to a plain post measured beside each"
            self.add(row)
        else:
            self.add(Row(scenario="history facts", note="n/a: adapt history_probe()"))
        row = summarize(f"buyer message (10 wf), {large:,} history rows", post_large, f"{small:,} rows", post_small,
                        [("ratio", 1.25)])
        row.note = (f"plain post {stats.fmt(median([m for m, _q in plain_small]))} → "
                    f"{stats.fmt(median([m for m, _q in plain_large]))} ms")
        self.add(row)
        statements, history_calls = self.capture_statements()
        scans, explained = explain_seq_scans(self.cr, statements, ("responso_reply", "mail_message"))
        # the history is a PL/pgSQL function (ADAPT): its plans, for these values and generic, explained apart
        for params in history_calls:
            for generic in (False, True):
                explained += 1
                plan = history_sql.explain(self.cr, params, generic)
                scans += [f"{table}: history ({'generic' if generic else 'custom'} plan)"
                          for table in ("responso_reply", "mail_message") if f"Seq Scan on {table}" in plan]
        self.add(Row(scenario=f"history plans at {large:,} rows: seq scans on responso_reply/mail_message",
                     targets=[("check", not scans)], check_text="index scans only",
                     note=f"{len(scans)} of {explained} SELECTs on them (of {len(statements)} statements)" + (
                         ": " + "; ".join(scans[:3]) if scans else "")))
        statements = self.capture_cron_statements()
        scans, explained = explain_seq_scans(self.cr, statements, ("responso_reply", "mail_message"))
        self.add(Row(scenario=f"sending run at {large:,} rows: seq scans on responso_reply/mail_message",
                     targets=[("check", not scans)], check_text="index scans only",
                     note=f"{len(scans)} of {explained} SELECTs on them (of {len(statements)} statements)" + (
                         ": " + "; ".join(scans[:3]) if scans else "")))

    def capture_cron_statements(self):
        """The SQL statements of one run of the sending cron that sends one reply (committed, as in production)."""
        captured = []
        original = Cursor.execute
        bench_cr = self.cr

        def execute(cr, query, params=None, log_exceptions=True):
            if cr is bench_cr:
                code, args = (query.code, query.params) if isinstance(query, odoo.tools.SQL) else (query, params)
                try:
                    captured.append(cr.mogrify(code, args).decode())
                except Exception:  # noqa: BLE001 - a statement we cannot render is simply not explained
                    pass
            return original(cr, query, params, log_exceptions)

        conversation, buyer = self.new_conversation()
        self.post_buyer(conversation, buyer)
        self.cr.commit()
        Cursor.execute = execute
        try:
            self.env["responso.reply"]._cron_send_due()
        finally:
            Cursor.execute = original
        self.cr.commit()
        return captured

    def history_sample(self):
        """Time of the history facts alone (ADAPT: history_probe) on a fresh buyer message, or None."""
        samples = []

        def measure(conversation, buyer):
            message = self.post_buyer(conversation, buyer)
            self.env.flush_all()
            self.env.invalidate_all()
            with Sample(self.env) as sample:
                ok = history_probe(conversation, message)
            samples.append((sample.ms, sample.queries) if ok else None)
        self.rolled_back(self.new_conversation, measure)
        return samples[0]

    def capture_statements(self):
        """The SQL statements of one buyer message's post and flush (rolled back), as executed, and the parameters
        of the history function's calls."""
        captured = []
        history_calls = []
        original = Cursor.execute
        original_history = history_sql.call
        bench_cr = self.cr

        def history(cr, **params):
            history_calls.append(params)
            return original_history(cr, **params)

        def execute(cr, query, params=None, log_exceptions=True):
            if cr is bench_cr:
                code, args = (query.code, query.params) if isinstance(query, odoo.tools.SQL) else (query, params)
                try:
                    captured.append(cr.mogrify(code, args).decode())
                except Exception:  # noqa: BLE001 - a statement we cannot render is simply not explained
                    pass
            return original(cr, query, params, log_exceptions)

        def measure(conversation, buyer):
            Cursor.execute = execute
            history_sql.call = history
            try:
                message = self.post_buyer(conversation, buyer)
                self.env.flush_all()
            finally:
                Cursor.execute = original
                history_sql.call = original_history
            return message

        self.rolled_back(self.new_conversation, measure)
        return captured, history_calls


# -------------------------------------------------------------------------------------------------------------
# ADAPT: the history method and the reply table (decide()'s inputs are in decide_bench.py)
# -------------------------------------------------------------------------------------------------------------
def history_probe(conversation, message):
    """The history part of a post, alone (ADAPT when the method is renamed). Returns False when unavailable."""
    method = getattr(conversation, "_responso_history", None)
    if method is None:
        return False
    now = fields.Datetime.now().replace(tzinfo=timezone.utc)
    compiled = conversation.env["responso.workflow"]._responso_compiled(conversation._responso_company().id)
    limits = conversation._responso_limits()
    method(message, conversation._responso_account(), now, history_horizon(compiled.index, limits, now))
    return True


class HistoryFiller:
    """Fills responso_reply and mail_message with past traffic by SQL (ADAPT if the reply table's columns
    change): buyer messages (responso_kind 'buyer') and their replies, over the 100 accounts, 20,000 buyers and
    the last 90 days."""

    BUYERS = 20000

    def __init__(self, bench):
        self.bench = bench
        self.cr = bench.cr
        self.rows = 0
        self.buyers = None

    def prepare(self):
        env = self.bench.env
        self.cr.execute("""INSERT INTO res_partner (name, complete_name, active, type, create_date, write_date)
                           SELECT 'History buyer ' || n, 'History buyer ' || n, true, 'contact', now(), now()
                             FROM generate_series(1, %s) n RETURNING id""", [self.BUYERS])
        self.buyers = [row[0] for row in self.cr.fetchall()]
        self.cr.execute("CREATE TABLE bench_key (kind text, k int, id int, PRIMARY KEY (kind, k))")
        self.cr.execute("INSERT INTO bench_key SELECT 'buyer', ordinality - 1, id FROM unnest(%s::int[]) "
                        "WITH ORDINALITY AS id", [self.buyers])
        self.cr.execute("INSERT INTO bench_key SELECT 'account', ordinality - 1, id FROM unnest(%s::int[]) "
                        "WITH ORDINALITY AS id", [self.bench.accounts.ids])
        self.accounts = self.bench.accounts.ids
        self.company = env.company.id
        self.subtype = env.ref("mail.mt_comment").id
        self.workflow = self.bench.workflows[0]
        self.source = self.bench.source.id

    def fill_to(self, rows):
        if self.buyers is None:
            self.prepare()
        add = rows - self.rows
        if add <= 0:
            return
        cr = self.cr
        cr.execute("""
            CREATE TEMP TABLE bench_history ON COMMIT DROP AS
            SELECT n, b.id AS buyer, a.id AS account, (100000000 + n / 3)::int AS res_id,
                   now() at time zone 'UTC' - make_interval(secs => ((n * 104729) %% (90 * 86400))::int) AS at
              FROM generate_series(%(start)s::bigint, %(stop)s::bigint) n
              JOIN bench_key b ON b.kind = 'buyer' AND b.k = (n * 7919) %% %(buyers)s
              JOIN bench_key a ON a.kind = 'account' AND a.k = (n * 31) %% %(accounts)s""",
                   {"buyers": len(self.buyers), "accounts": len(self.accounts), "start": self.rows + 1, "stop": rows})
        cr.execute("""
            INSERT INTO mail_message (model, res_id, body, message_type, subtype_id, author_id, email_from, date,
                                      message_id, responso_kind, responso_account_id, responso_source_id,
                                      create_date, write_date, create_uid, write_uid)
            SELECT 'responso.conversation', res_id, '<p>History message ' || n || '</p>', 'comment', %(subtype)s,
                   buyer, 'History buyer', at, '<history-' || n || '@bench>', 'buyer', account, %(source)s,
                   at, at, 1, 1
              FROM bench_history""", {"subtype": self.subtype, "source": self.source})
        cr.execute("""
            INSERT INTO responso_reply (trigger_message_id, res_model, res_id, buyer_id, account_id, company_id,
                                        workflow_id, workflow_name, sequence, state, send_at, sent_at, attempts,
                                        create_date, write_date, create_uid, write_uid)
            SELECT m.id, 'responso.conversation', h.res_id, h.buyer, h.account, %(company)s, %(workflow)s,
                   'History workflow', 10, CASE WHEN h.n %% 10 = 0 THEN 'cancelled' ELSE 'sent' END,
                   h.at + interval '1 minute', CASE WHEN h.n %% 10 = 0 THEN NULL ELSE h.at + interval '1 minute' END,
                   1, h.at, h.at, 1, 1
              FROM bench_history h JOIN mail_message m ON m.message_id = '<history-' || h.n || '@bench>'""",
                   {"company": self.company, "workflow": self.workflow.id})
        self.cr.commit()
        # the steady state of a table that size in production, where autovacuum keeps up: statistics, and the
        # visibility map that index-only scans read (without it they visit the table for every row); done here,
        # so that no autovacuum of the new rows runs on the 2 cores during the measures that follow
        connection = self.cr._cnx
        connection.autocommit = True  # VACUUM cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                for table in ("mail_message", "responso_reply", "res_partner"):
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            connection.autocommit = False
        self.rows = rows


def explain_seq_scans(cr, statements, tables):
    """EXPLAIN each SELECT that reads one of `tables`: (the statements whose plan scans one of them sequentially,
    how many were explained)."""
    found = []
    explained = 0
    for statement in statements:
        text = statement.strip()
        if not text.upper().startswith(("SELECT", "WITH")) or not any(t in text for t in tables):
            continue
        explained += 1
        cr.execute("SAVEPOINT bench_explain")
        try:
            cr.execute("EXPLAIN " + text)
            plan = "\n".join(row[0] for row in cr.fetchall())
        except Exception:  # noqa: BLE001 - a statement EXPLAIN refuses is reported as such
            plan = ""
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
        for table in tables:
            if f"Seq Scan on {table}" in plan:
                found.append(f"{table}: {' '.join(text.split())[:90]}…")
    return found, explained


# -------------------------------------------------------------------------------------------------------------
# Sending processes
# -------------------------------------------------------------------------------------------------------------
def run_send_workers(config, workers):
    """Start `workers` OS processes (``odoo shell``, each with its own registry and cursor), let them load, then
    start them at once; each runs the sending cron until no due reply remains. Returns seconds and ids."""
    workdir = tempfile.mkdtemp(prefix="responso-bench-send-")
    go = os.path.join(workdir, "go")
    script = ("import sys\nsys.path.insert(0, %r)\nimport bench_odoo\nbench_odoo.send_worker(env, %r, %r)\n")
    processes = []
    for index in range(workers):
        result = os.path.join(workdir, f"worker-{index}.json")
        proc = subprocess.Popen(config["shell_argv"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, cwd=config["repo"])
        proc.stdin.write(script % (config["bench_dir"], go, result))
        proc.stdin.close()
        processes.append((proc, result))
    deadline = time.time() + 300
    while time.time() < deadline and not all(os.path.exists(r + ".ready") for _p, r in processes):
        if any(p.poll() is not None for p, _r in processes):
            break
        time.sleep(0.05)
    started = time.time()
    with open(go, "w") as fh:
        fh.write(str(started))
    outputs = []
    for proc, result in processes:
        out = proc.stdout.read()
        proc.wait(timeout=900)
        if not os.path.exists(result):
            raise RuntimeError(f"a sending process failed:\n{out[-3000:]}")
        with open(result) as fh:
            outputs.append(json.load(fh))
    end = max(o["end"] for o in outputs)
    return {"seconds": end - started, "ids": [o["ids"] for o in outputs]}


def run_shell(config, function, arguments):
    """Run bench_odoo.<function>(env, config, arguments) in a fresh `odoo shell` process; returns its JSON."""
    workdir = tempfile.mkdtemp(prefix="responso-bench-shell-")
    result = os.path.join(workdir, "result.json")
    script = ("import sys\nsys.path.insert(0, %r)\nimport bench_odoo\nbench_odoo.%s(env, %r, %r, %r)\n"
              % (config["bench_dir"], function, config, arguments, result))
    proc = subprocess.run(config["shell_argv"], input=script, capture_output=True, text=True, cwd=config["repo"],
                          timeout=1800)
    if not os.path.exists(result):
        raise RuntimeError(f"bench_odoo.{function} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    with open(result) as fh:
        return json.load(fh)


def ingest_worker(env, config, arguments, result):
    install_guards(env)
    bench = Bench(env, config)
    bench.attach()
    figures = bench.ingest_run(arguments["count"], arguments["batch"])
    env.cr.commit()
    with open(result, "w") as fh:
        json.dump(figures, fh)


def send_worker(env, go, result):
    """One sending process: wait for the start, then run the cron until no due reply remains."""
    install_guards(env)
    with open(result + ".ready", "w") as fh:
        fh.write("ready")
    while not os.path.exists(go):
        time.sleep(0.01)
    ids = []
    Reply = env["responso.reply"]
    idle = 0
    end = time.time()
    while idle < 2:
        sent = Reply._cron_send_due()
        env.cr.commit()
        ids += sent.ids
        if sent:
            idle, end = 0, time.time()
        else:
            idle += 1
            time.sleep(0.05)
    with open(result, "w") as fh:
        json.dump({"ids": ids, "end": end}, fh)


# -------------------------------------------------------------------------------------------------------------
# Main
# -------------------------------------------------------------------------------------------------------------
SCENARIOS = ("decide", "hook", "cron", "replay", "peer", "senders", "ingest", "history")


def machine(env):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "?")
    except OSError:
        pass
    env.cr.execute("SHOW server_version")
    pg = env.cr.fetchone()[0]
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
            f"{psutil.virtual_memory().total / 2**30:.0f} GB, Odoo {odoo.release.version}, PostgreSQL {pg}, "
            f"Python {sys.version.split()[0]}")


def main(env, config):
    install_guards(env)
    random.seed(7)
    start = time.perf_counter()
    bench = Bench(env, config)
    header = machine(env)
    log(f"Benchmark of responso_autoresponder — {header}{' (quick)' if bench.quick else ''}")
    only = config.get("only") or SCENARIOS
    bench.setup()
    for name in SCENARIOS:
        if name in only:
            t0 = time.perf_counter()
            getattr(bench, f"scenario_{name}")()
            log(f"   ({name}: {time.perf_counter() - t0:.0f} s)")
    elapsed = time.perf_counter() - start
    guard = f"e-mails attempted: {GUARD['mail']}, network connections attempted: {GUARD['network']}"
    table = stats.format_table(bench.rows)
    missed = [row.scenario for row in bench.rows if row.verdict() == "MISSED"]
    log("")
    log(f"Run of {header}{' (quick)' if bench.quick else ''}; {elapsed / 60:.1f} min in Odoo; {guard}")
    log("")
    log(table)
    log("")
    log(f"{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else ""))
    if config.get("json"):
        with open(config["json"], "w") as fh:
            json.dump({"machine": header, "quick": bool(bench.quick), "seconds": elapsed, "guard": GUARD,
                       "table": table, "rows": [row.__dict__ for row in bench.rows]}, fh, indent=1,
                      default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v))
    env.cr.rollback()
