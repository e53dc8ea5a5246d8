import re
from datetime import timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from odoo.addons.responso_autoresponder.models import history_sql

from .common import ResponsoCase, warsaw


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

    def test_reply_lists_in_progress_read_only_their_rows(self):
        """The Replies menu's Failed, Maybe sent and Scheduled lists, and the jobs' looks for due, stale or to-verify
        rows, read the few rows in progress, not the 30,000 sent and cancelled ones (one index over the states in
        progress, instead of an index over every state that grew with all the replies ever sent)."""
        past = self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Past"),
                                "An earlier question, answered long ago")
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """INSERT INTO responso_reply (trigger_message_id, res_model, res_id, company_id, workflow_name, state,
                                           send_at, sent_at, create_date, write_date)
               SELECT %(message)s, 'responso.conversation', 100000000 + n, %(company)s, 'Past',
                      CASE WHEN n <= 12
                           THEN (ARRAY['failed', 'unknown', 'verify', 'scheduled', 'sending'])[mod(n, 5) + 1]
                           WHEN mod(n, 4) = 0 THEN 'cancelled' ELSE 'sent' END,
                      now() - make_interval(mins => n), now() - make_interval(mins => n), now(), now()
                 FROM generate_series(1, 30000) n""", message=past.id, company=self.company.id))
        self.env.cr.execute("ANALYZE responso_reply")
        Reply = self.env["responso.reply"]
        for states in (("failed", "sending"), ("verify", "unknown"), ("scheduled",)):
            query = Reply._search([("state", "in", states)], order="send_at desc, id desc", limit=80)
            self.env.cr.execute(SQL("EXPLAIN ANALYZE %s", query.select()))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            scanned = sum(int(rows) * int(loops) for rows, loops in re.findall(
                r"Scan.*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)", plan))
            self.assertLess(scanned, 100, plan)
            self.assertEqual(Reply.search_count([("state", "in", states), ("workflow_name", "=", "Past")]),
                             sum(1 for n in range(1, 13) if ["failed", "unknown", "verify", "scheduled",
                                                             "sending"][n % 5] in states))

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

    def test_conversations_list_reads_its_page(self):
        """The Conversations list (open ones, newest first) reads about its page among 30,000 conversations: it read
        and sorted every open conversation on each load (with parallel workers at 300,000), the agents' main
        screen."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """INSERT INTO responso_conversation (name, state, source_id, buyer_id, company_id, account_id,
                                                  last_message_date)
               SELECT 'Past', CASE WHEN mod(n, 3) = 0 THEN 'closed' ELSE 'open' END, %(source)s, %(buyer)s,
                      %(company)s, %(account)s, now() AT TIME ZONE 'UTC' - make_interval(mins => n)
                 FROM generate_series(1, 30000) n""",
            source=self.src_messages.id, buyer=self.buyer_2.id, company=self.company.id, account=self.acc_allegro.id))
        self.env.cr.execute("ANALYZE responso_conversation")
        Conversation = self.env["responso.conversation"].with_user(self.agent)
        page = Conversation.search([("state", "=", "open")], limit=80)
        self.assertEqual(len(page), 80)
        self.assertEqual(page.mapped("last_message_date"), sorted(page.mapped("last_message_date"), reverse=True))
        query = Conversation._search([("state", "=", "open")], limit=80, order=Conversation._order)
        self.env.cr.execute(SQL("EXPLAIN ANALYZE %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertNotIn("Seq Scan on responso_conversation", plan, plan)
        scanned = sum(int(rows) * int(loops) for rows, loops in re.findall(
            r"Scan.*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)", plan))
        removed = sum(int(number) for number in re.findall(r"Rows Removed by Filter: (\d+)", plan))
        self.assertLess(scanned + removed, 400, plan)

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

    def _seq_scans(self, tables):
        """Sequential scans of `tables` by this transaction so far (foreign-key actions included)."""
        self.env.cr.execute(SQL("SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE relname IN %s",
                                tuple(tables)))
        return dict.fromkeys(tables, 0) | dict(self.env.cr.fetchall())

    def test_deleting_a_message_or_a_partner_reads_no_whole_table(self):
        """Any mail.message or partner deleted anywhere in the database (a record and its chatter, a partner merge)
        makes PostgreSQL find the rows that point at it: with 30,000 replies, 30,000 conversations and 30,000
        decisions pointing at other rows, it reads none of those tables whole (a reply's chatter copy, a
        conversation's message needing no answer and the partner who stopped its clock had no index: one
        sequential scan per deleted row)."""
        past = self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Past"),
                                "An earlier question, answered long ago")
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """INSERT INTO responso_reply (trigger_message_id, reply_message_id, res_model, res_id, company_id,
                                           workflow_name, state, send_at, sent_at, create_date, write_date)
               SELECT %(message)s, %(message)s, 'responso.conversation', 100000000 + n, %(company)s, 'Past', 'sent',
                      now() - make_interval(mins => n), now() - make_interval(mins => n), now(), now()
                 FROM generate_series(1, 30000) n""", message=past.id, company=self.company.id))
        self.env.cr.execute(SQL(
            """INSERT INTO responso_conversation (name, state, source_id, buyer_id, company_id, account_id,
                                                  responso_no_answer_message_id, responso_clock_stopped_by_id)
               SELECT 'Past', 'open', %(source)s, %(buyer)s, %(company)s, %(account)s, %(message)s, %(buyer)s
                 FROM generate_series(1, 30000) n""",
            source=self.src_messages.id, buyer=self.buyer_2.id, company=self.company.id, account=self.acc_allegro.id,
            message=past.id))
        self.env.cr.execute(SQL(
            """INSERT INTO responso_decision (message_id, res_model, res_id, company_id, reason_code, answers,
                                              create_date)
               SELECT %(message)s, 'responso.conversation', 100000000 + n, %(company)s, 'matched', false, now()
                 FROM generate_series(1, 30000) n""", message=past.id, company=self.company.id))
        tables = ("responso_reply", "responso_conversation", "responso_decision")
        for table in tables:
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
        elsewhere = self.env["res.partner"].create({"name": "A customer of the shop"})
        note = elsewhere.message_post(body=Markup("<p>Called about an invoice</p>"), message_type="comment")
        self.env.flush_all()
        before = self._seq_scans(tables)
        note.sudo().unlink()
        elsewhere.unlink()
        self.env.flush_all()
        self.assertFalse(note.exists() or elsewhere.exists())
        self.assertEqual(self._seq_scans(tables), before, "deleting a message and a partner scanned a whole table")
        # what pointed at a deleted message lets it go
        past.sudo().unlink()
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT count(*) FROM responso_conversation WHERE responso_no_answer_message_id = %s",
                                past.id))
        self.assertEqual(self.env.cr.fetchone()[0], 0)
