from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

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
