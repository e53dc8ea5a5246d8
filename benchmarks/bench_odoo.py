"""The benchmark scenarios, run inside Odoo 18 (``benchmarks/run`` feeds this to ``odoo shell``).

Only public entry points of the addon are used, so that the figures stay comparable across rewrites of its
internals: ``message_post`` by the buyer, ``responso_post_buyer_message``, ``responso.reply._cron_send_due``,
the engine's ``decide()``, and ORM create/write of workflows. The few places that know more (the engine's
input types, the history method, the reply table's columns) are the small functions marked ADAPT.

This module holds the records and samples (``Bench``), the entry points of the ``odoo shell`` processes and the
run; the scenarios are in ``scenarios_post.py`` (one buyer message: hook, cron, Replay, base_automation,
``decide()``), ``scenarios_volume.py`` (ingest, sending processes) and ``scenarios_history.py`` (1,000,000 rows),
the measuring in ``measure.py``.

Nothing leaves the machine: ``IrMailServer.connect``/``send_email`` raise, and so does any socket connection
that is not local; replies stay in the chatter (accounts without API tokens).
"""

import json
import math
import os
import random
import sys
import time
import uuid
from datetime import datetime, timezone

import psutil
import stats
import workload
from markupsafe import Markup
from measure import GUARD, Sample, install_guards, log
from scenarios_history import HistoryScenarios
from scenarios_post import PostScenarios
from scenarios_volume import VolumeScenarios
from workload import BODY, REPLY

import odoo
from odoo import Command

HOOK_SIZES = (0, 1, 10, 100, 1000, 10000)
QUICK_HOOK_SIZES = (0, 1, 10, 100, 1000)


class Bench(PostScenarios, VolumeScenarios, HistoryScenarios):
    """The benchmark's records and samples; the scenarios are in the scenarios_* modules."""

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


# -------------------------------------------------------------------------------------------------------------
# Entry points of the other ``odoo shell`` processes (scenarios_volume.py starts them)
# -------------------------------------------------------------------------------------------------------------
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
