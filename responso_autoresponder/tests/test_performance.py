import re
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from odoo.addons.responso_autoresponder.models import history_sql

from .common import ResponsoCase, warsaw

# Queries of a whole message_post by a buyer on a conversation, with no workflow in the company
POST_QUERIES_NO_WORKFLOW = 24
# The first message of a thread (the response clock starts, the buyer becomes a follower) costs no more: its deadline
# is planned in the account's working hours from the registry cache (no calendar, leave, account or integration
# read) and written by the conversation's one UPDATE; the warning job is not woken per conversation.
POST_QUERIES_FIRST_MESSAGE = 24
# The sending cron's run that delivers one reply kept in the chatter: the re-checks (the row, the conversation read
# with the check that it exists, the workflow, the account, the buyer, the later messages, the cap), its language,
# the post of the reply (under the buyer message it answers, with no walk up the thread), the outcome, and the look
# for the next due row
SEND_ONE_REPLY_QUERIES = 24
# The upkeep job (every few minutes, off the sending path) with nothing to do: the sends a crash interrupted, the
# chatter copies to post again
UPKEEP_QUERIES = 2
# what the autoresponder adds to an answered message: the history (1), one INSERT of the decision, the reply and
# the sending cron's trigger (1), the savepoint that keeps the message whatever fails (2)
AUTORESPONDER_QUERIES = 4


@tagged("post_install", "-at_install", "is_query_count")
class TestDecisionQueries(ResponsoCase):
    """A buyer message costs the same number of queries with 1, 100 or 1,000 workflows, and stores one decision
    row whatever their number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Account = cls.env["responso.account"]
        cls.other_accounts = Account.create([
            {"name": f"Shop {index}", "integration_id": cls.int_allegro.id, "company_id": cls.company.id}
            for index in range(10)])
        cls.weekend = cls.env["responso.weekday"].search([("number", "in", (5, 6))])

    def _make_workflows(self, count):
        """A seller's mix: workflows on other accounts and sources, by weekday and time window; the last one
        matches the message."""
        vals_list = []
        for index in range(count):
            matching = index == count - 1
            account = self.acc_allegro if matching else self.other_accounts[index % 10]
            vals_list.append({
                "name": f"Workflow {index}",
                "description": "performance",
                "company_id": self.company.id,
                "tz": "Europe/Warsaw",
                "sequence": index,
                "interval_minutes": 0,
                "condition_ids": [
                    Command.create({"kind": "trigger", "trigger": "each_message"}),
                    Command.create({"kind": "account", "account_ids": [Command.set(account.ids)]}),
                    Command.create({"kind": "source", "source_ids": [
                        Command.set((self.src_messages | self.src_email).ids)]}),
                    Command.create({"kind": "weekday", "operator": "not_in",
                                    "weekday_ids": [Command.set(self.weekend.ids)]}),
                    Command.create({"kind": "time_window", "time_from": 8.0, "time_to": 20.0}),
                ],
                "action_ids": [Command.create({"body_html": "<p>We will answer within 24 hours.</p>"})],
            })
        return self.env["responso.workflow"].create(vals_list)

    @contextmanager
    def _exact_queries(self, expected):
        """assertQueryCount's measure (pending writes flushed before and after, no random garbage collection),
        exact: assertQueryCount fails only above its figure, and the figures above must stay what the code does."""
        with patch("random.random", lambda: 1):
            self.env.flush_all()
            self.env.cr.flush()
            start = self.cr.sql_log_count
            yield
            self.env.flush_all()
            self.env.cr.flush()
            count = self.cr.sql_log_count - start
        self.assertEqual(count, expected, "queries (update the figure above)")

    def _post(self):
        return self._post_buyer(self.conv_allegro, at=warsaw(2026, 12, 1, 12, 0))

    def _measure(self, queries):
        self._post()  # warm the registry caches up: compiled workflows, parameters
        self.env.flush_all()
        self.env.invalidate_all()
        with self._exact_queries(queries):
            return self._post()

    def test_no_workflow_adds_no_autoresponder_work(self):
        message = self._measure(POST_QUERIES_NO_WORKFLOW)
        self.assertEqual(message.responso_kind, "buyer", "the role is set when the message is created")
        self.assertFalse(self._decision(message))

    def test_first_message_starts_the_clock_without_reading_the_calendar(self):
        calendar = self.env["resource.calendar"].create({"name": "Shop hours", "tz": "Europe/Warsaw"})
        self.acc_allegro.responso_clock_calendar_id = calendar
        at = warsaw(2026, 12, 4, 16, 0)  # Friday 16:00: the 24 working hours run to Wednesday 16:00
        self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Warm-up"), at=at)
        conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "First message")
        self.env.flush_all()
        self.env.invalidate_all()
        with self._exact_queries(POST_QUERIES_FIRST_MESSAGE):
            self._post_buyer(conversation, at=at)
        self.assertEqual(conversation.responso_clock_start, at)
        self.assertEqual(conversation.responso_deadline, warsaw(2026, 12, 9, 16, 0))
        self.assertEqual(conversation.last_message_date, at)

    def test_sending_one_reply(self):
        self._make_workflows(1)
        self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Warm-up"),
                         at=warsaw(2026, 12, 1, 12, 0))
        self.env["responso.reply"]._cron_send_due()
        message = self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Parcel"),
                                   at=warsaw(2026, 12, 1, 12, 0))
        self.env.flush_all()
        self.env.invalidate_all()
        with self._exact_queries(SEND_ONE_REPLY_QUERIES):
            self.env["responso.reply"]._cron_send_due()
        self.assertEqual(self._replies(message).state, "sent")
        self.env["responso.reply"]._cron_sending_upkeep()  # warm up: the retry period's parameter
        with self._exact_queries(UPKEEP_QUERIES):
            self.env["responso.reply"]._cron_sending_upkeep()

    def _assert_post_queries(self, workflow_count):
        workflows = self._make_workflows(workflow_count)
        message = self._measure(POST_QUERIES_NO_WORKFLOW + AUTORESPONDER_QUERIES)
        decision = self._decision(message)
        self.assertEqual(len(decision), 1, "one decision row per buyer message, whatever the workflows")
        self.assertTrue(decision.answers)
        self.assertEqual(decision.workflow_id, workflows[-1])
        self.assertEqual(decision.workflow_count, workflow_count)
        self.assertLessEqual(decision.evaluated_count, workflow_count // 10 + 1,
                             "only the workflows of the message's account are evaluated")
        lines = self._decisions(message)
        self.assertEqual(len(lines), workflow_count, "the explanation still covers every workflow")
        self.assertEqual(lines.filtered("answers").workflow_id, workflows[-1])
        if workflow_count > 1:
            self.assertEqual(lines[0].reason_code, "not_one_of")
            self.assertIn("Shop Allegro is not one of Shop 0", lines[0].reason)

    def test_decision_queries_with_1_workflow(self):
        self._assert_post_queries(1)

    def test_decision_queries_with_100_workflows(self):
        self._assert_post_queries(100)

    def test_decision_queries_with_1000_workflows(self):
        self._assert_post_queries(1000)

    def test_editing_a_workflow_is_seen_by_the_next_message(self):
        workflows = self._make_workflows(3)
        self._post()
        workflows[-1].active = False
        message = self._post()
        self.assertFalse(self._decision(message).answers, "the compiled workflows were refreshed")
        workflows[-1].condition_ids.filtered(lambda c: c.kind == "time_window").time_to = 11.0
        workflows[-1].active = True
        message = self._post()
        self.assertEqual(self._decisions(message).filtered(lambda line: line.workflow_id == workflows[-1]).reason_code,
                         "outside_window")


@tagged("post_install", "-at_install")
class TestIndexesAtScale(ResponsoCase):
    """What runs on every buyer message and every run of the jobs reads a few rows however long the past: the
    history and the sender's next due row with sequential scans priced out (the benchmark shows the same at
    1,000,000 rows with the planner free); a sending run and the deadline-warning job on tables of 30,000 past
    rows with the planner free."""

    def _captured(self, call, tables=("responso_reply", "mail_message")):
        queries = []
        cursor_class = type(self.env.cr)
        original = cursor_class.execute

        def spy(cr, query, params=None, log_exceptions=True):
            if isinstance(query, SQL) and any(table in query.code for table in tables):
                queries.append(query)
            return original(cr, query, params, log_exceptions)

        with patch.object(cursor_class, "execute", spy):
            call()
        return queries

    def _assert_index_scans(self, queries):
        self.assertTrue(queries)
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        try:
            for query in queries:
                if not query.code.lstrip().upper().startswith("SELECT"):
                    continue
                self.env.cr.execute(SQL("EXPLAIN %s", query))
                plan = "\n".join(row[0] for row in self.env.cr.fetchall())
                for table in ("responso_reply", "mail_message"):
                    self.assertNotIn(f"Seq Scan on {table}", plan, f"{query.code[:200]}\n{plan}")
        finally:
            self.env.cr.execute("SET LOCAL enable_seqscan = on")

    def test_history_and_claim_use_indexes(self):
        self._workflow("Each message", conditions=[{"kind": "trigger", "trigger": "each_message"}])
        self._post_buyer(self.conv_allegro, "A first message to have some history")
        calls = []
        original_call = history_sql.call

        def spy_call(cr, **params):
            calls.append(params)
            return original_call(cr, **params)

        with patch.object(history_sql, "call", spy_call):
            others = self._captured(lambda: self._post_buyer(self.conv_allegro, "Where is my parcel? It is late."))
        self.assertEqual(len(calls), 1, "the history is read once per buyer message")
        self._assert_index_scans(others)
        # the plans inside the function: for these values, and the generic one a connection may keep
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        try:
            for params in (calls[0], dict(calls[0], account=None)):
                for generic in (False, True):
                    plan = history_sql.explain(self.env.cr, params, generic)
                    self.assertIn("Index", plan)
                    for table in ("responso_reply", "mail_message"):
                        self.assertNotIn(f"Seq Scan on {table}", plan, plan)
        finally:
            self.env.cr.execute("SET LOCAL enable_seqscan = on")
        claim = self._captured(lambda: self.env["responso.reply"]._responso_claim_next())
        self._assert_index_scans(claim)

    def test_sending_jobs_read_no_whole_table_of_sent_replies(self):
        """The sending jobs look for chatter copies to post again among all the replies ever sent (the upkeep, every
        few minutes; every sending run did): with 30,000 sent replies and the planner free, no statement of theirs
        reads the whole table (the copies pending were looked for through the state index, i.e. every sent row, or
        a sequential scan)."""
        past = self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Past"),
                                "An earlier question, answered long ago")
        self._workflow("Each message", conditions=[{"kind": "trigger", "trigger": "each_message"}])
        message = self._post_buyer(self.conv_allegro, "Where is my parcel? It is late.")
        reply = self._replies(message)
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """INSERT INTO responso_reply (trigger_message_id, res_model, res_id, company_id, workflow_name, state,
                                           send_at, sent_at, create_date, write_date)
               SELECT %(message)s, 'responso.conversation', 100000000 + n, %(company)s, 'Past', 'sent',
                      now() - make_interval(mins => n), now() - make_interval(mins => n), now(), now()
                 FROM generate_series(1, 30000) n""", message=past.id, company=self.company.id))
        self.env.cr.execute("ANALYZE responso_reply")
        run = self._captured(lambda: self._send_due())
        self.assertEqual(reply.state, "sent")
        self.assertTrue(any("chatter_pending" in query.code for query in run))
        for query in run:
            if not query.code.lstrip().upper().startswith("SELECT"):
                continue
            self.env.cr.execute(SQL("EXPLAIN %s", query))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            self.assertNotIn("Seq Scan on responso_reply", plan, f"{query.code[:200]}\n{plan}")

    def test_deadline_warning_job_reads_only_the_clocks_to_warn(self):
        """The warning job runs every 10 minutes: among 30,000 conversations whose clock was stopped or already
        warned, it reads the few still to warn (it walked every conversation with a deadline, in deadline order)."""
        with freeze_time(warsaw(2026, 12, 7, 8, 0)):
            self._post_buyer(self.conv_allegro, "Where is my parcel?")
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """INSERT INTO responso_conversation (name, state, source_id, buyer_id, company_id, account_id,
                                                  responso_clock_start, responso_deadline, responso_warn_at,
                                                  responso_clock_stopped_at, responso_clock_warned)
               SELECT 'Past', 'open', %(source)s, %(buyer)s, %(company)s, %(account)s,
                      now() - make_interval(hours => n), now() - make_interval(hours => n) + interval '1 day',
                      now() - make_interval(hours => n) + interval '20 hours',
                      CASE WHEN mod(n, 2) = 0 THEN now() - make_interval(hours => n) + interval '2 hours' END,
                      mod(n, 2) = 1
                 FROM generate_series(1, 30000) n""",
            source=self.src_messages.id, buyer=self.buyer_2.id, company=self.company.id, account=self.acc_allegro.id))
        self.env.cr.execute("ANALYZE responso_conversation")
        Conversation = self.env["responso.conversation"]
        with freeze_time(warsaw(2026, 12, 20, 8, 0)):  # past the deadline: the warning is due
            run = self._captured(Conversation._cron_responso_warn_deadlines, tables=("responso_conversation",))
        self.assertTrue(self.conv_allegro.responso_clock_warned, "the conversation still to warn was warned")
        selects = [query for query in run if query.code.lstrip().upper().startswith("SELECT")]
        self.assertTrue(selects)
        for query in selects:
            self.env.cr.execute(SQL("EXPLAIN ANALYZE %s", query))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            self.assertNotIn("Seq Scan on responso_conversation", plan, plan)
            removed = sum(int(number) for number in re.findall(r"Rows Removed by Filter: (\d+)", plan))
            self.assertLess(removed, 100, f"{query.code[:300]}\n{plan}")

    def test_workflow_list_counters_read_only_their_days(self):
        """The Workflows list shows Sent (30 days), Skipped (30 days) and Last triggered for every workflow: with
        30,000 replies and 30,000 decisions older than 30 days, its statements read about the month's rows (they
        read every sent reply, every decision that ever skipped the workflow, and all its decisions of all time
        for the last answer); the all-time counters of the form stay exact."""
        workflow = self._workflow("Each message")
        message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        answered_at = self._decision(message).create_date
        self.env.flush_all()
        # recent: 3 replies sent, 2 decisions stopped (throttled), 4 skipped (another workflow answered), 1 that
        # applied the workflow's actions, each day of the month; 30,000 of each kind 40 to 100 days ago
        common = SQL("%(message)s, 'responso.conversation', %(thread)s, %(company)s, 'matched', %(workflow)s",
                     message=message.id, thread=self.conv_allegro.id, company=self.company.id, workflow=workflow.id)
        self.env.cr.execute(SQL(
            """INSERT INTO responso_decision (message_id, res_model, res_id, company_id, reason_code, workflow_id,
                                              answers, skipped_workflow_ids, applied_workflow_ids, create_date)
               SELECT %(common)s, mod(n, 3) = 0, CASE WHEN mod(n, 5) = 0 THEN jsonb_build_array(%(workflow)s) END,
                      CASE WHEN mod(n, 7) = 0 THEN jsonb_build_array(%(workflow)s) END,
                      now() AT TIME ZONE 'UTC' - interval '40 days' - make_interval(mins => n * 3)
                 FROM generate_series(1, 30000) n
               UNION ALL
               SELECT %(common)s, false, NULL, NULL, now() AT TIME ZONE 'UTC' - make_interval(days => n)
                 FROM generate_series(1, 2) n
               UNION ALL
               SELECT %(message)s, 'responso.conversation', %(thread)s, %(company)s, 'matched', NULL, false,
                      jsonb_build_array(%(workflow)s + 1000, %(workflow)s), NULL,
                      now() AT TIME ZONE 'UTC' - make_interval(days => n * 7)
                 FROM generate_series(1, 4) n
               UNION ALL
               SELECT %(message)s, 'responso.conversation', %(thread)s, %(company)s, 'matched', NULL, false, NULL,
                      jsonb_build_array(%(workflow)s), now() AT TIME ZONE 'UTC' - interval '5 hours'""",
            common=common, message=message.id, thread=self.conv_allegro.id, company=self.company.id,
            workflow=workflow.id))
        self.env.cr.execute(SQL(
            """INSERT INTO responso_reply (trigger_message_id, res_model, res_id, company_id, workflow_id,
                                           workflow_name, state, send_at, sent_at, create_date, write_date)
               SELECT %(message)s, 'responso.conversation', 100000000 + n, %(company)s, %(workflow)s, 'Past',
                      'sent', at, at, at, at
                 FROM (SELECT n, now() AT TIME ZONE 'UTC' - CASE WHEN n <= 3 THEN make_interval(days => n * 9)
                                 ELSE interval '40 days' + make_interval(mins => n * 3) END AS at
                         FROM generate_series(1, 30003) n) AS rows""",
            message=message.id, company=self.company.id, workflow=workflow.id))
        self.env.cr.execute("ANALYZE responso_decision")
        self.env.cr.execute("ANALYZE responso_reply")
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        now = self.env.cr.fetchone()[0]
        workflow.invalidate_recordset()
        run = self._captured(lambda: workflow.read(["sent_30_count", "skipped_30_count", "last_triggered"]),
                             tables=("responso_reply", "responso_decision"))
        # the message posted above was answered by this workflow (1 sent reply in the chatter, not yet sent here)
        self.assertEqual((workflow.sent_30_count, workflow.skipped_30_count), (3, 2 + 4))
        self.assertEqual(workflow.last_triggered, answered_at,
                         "the last answer: the message posted above")
        selects = [query for query in run if query.code.lstrip().upper().startswith("SELECT")]
        self.assertEqual(len(selects), 4)
        for query in selects:
            self.env.cr.execute(SQL("EXPLAIN ANALYZE %s", query))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            scanned = sum(int(rows) * int(loops) for rows, loops in re.findall(
                r"Scan.*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)", plan))
            removed = sum(int(number) for number in re.findall(
                r"Rows Removed by (?:Filter|Index Recheck): (\d+)", plan))
            self.assertLess(scanned + removed, 100, f"{query.code[:400]}\n{plan}")
        # the form's all-time counters, exact (the any-day keys)
        workflow.invalidate_recordset()
        old_stopped = sum(1 for n in range(1, 30001) if n % 3)
        self.assertEqual(workflow.sent_count, 30003)
        self.assertEqual(workflow.skipped_count, old_stopped + 2 + 6000 + 4)
        self.assertEqual(workflow.applied_count, 4285 + 1)
        # a workflow that only applied its actions, idle for a month: its last application is found beyond it
        self.env.cr.execute(SQL("DELETE FROM responso_decision WHERE create_date > %s - interval '39 days' OR answers",
                                now))
        workflow.invalidate_recordset()
        self.assertEqual(workflow.last_triggered, now - timedelta(days=40, minutes=21))

    def test_exactly_once_lookup_reads_the_whole_unique_index(self):
        """A re-polled marketplace message is found by the three columns of the unique index (its account through
        the index's COALESCE): a domain on the account column made it a scan of every message of the source."""
        self.conv_allegro.responso_post_buyer_message(Markup("<p>Where is my parcel?</p>"), external_id="m-1")
        queries = self._captured(lambda: self.conv_allegro.responso_post_buyer_message(
            Markup("<p>Where is my parcel?</p>"), external_id="m-1"))
        lookups = [query for query in queries if "responso_external_id" in query.code]
        self.assertEqual(len(lookups), 1, "a re-poll costs one lookup and stores nothing")
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        try:
            self.env.cr.execute(SQL("EXPLAIN %s", lookups[0]))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        finally:
            self.env.cr.execute("SET LOCAL enable_seqscan = on")
        self.assertIn("mail_message_responso_external_unique", plan)
        index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
        self.assertIn("COALESCE(responso_account_id, 0)", index_condition, plan)
        self.assertNotIn("Filter", plan, plan)
