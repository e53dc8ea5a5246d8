"""Scenarios of volume: ingest of 10,000 buyer messages through ``responso_post_buyer_message``, and 1,000 replies
sent by one then two OS processes; the processes themselves are started here."""

import json
import os
import resource
import subprocess
import tempfile
import time
import uuid

import psutil
import workload
from markupsafe import Markup
from measure import Row, Sample, log
from workload import BODY


class VolumeScenarios:
    """Mixed into bench_odoo.Bench: uses its records and samples."""

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

