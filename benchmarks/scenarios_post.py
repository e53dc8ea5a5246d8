"""Scenarios around one buyer message: the hook at 0…10,000 workflows, the reply sent by the cron, the workflow
form's Replay, Odoo's base_automation as the peer, and ``decide()`` alone."""

import time
from datetime import timedelta

import stats
import workload
from decide_bench import bench_facts, build_specs, prepare_decide, run_decide
from measure import Row, interleave, log, median, p90, plural, summarize
from workload import PEER_REPLY

from odoo import Command

from odoo.addons.responso_autoresponder.wizards.responso_workflow_replay import replay_benchmark


class PostScenarios:
    """Mixed into bench_odoo.Bench: uses its records and samples."""

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
            targets = {0: [("ratio", 1.1)], 1: [("ratio", 1.3)], 1000: [("ratio", 1.6)]}.get(size, [])
            # the sizes with a target get more pairs: their medians decide a verdict near the line
            a, b = interleave(self.hook_sample, self.plain_sample, min_reps=3 if heavy else 10,
                              max_reps=150 if targets else 60, budget_s=(25 if heavy else 12) * self.budget)
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
        a, b = interleave(self.cron_sample, self.plain_committed_sample, 3, 80, 25 * self.budget)
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

