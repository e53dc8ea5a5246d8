from odoo import Command
from odoo.tests import tagged

from .common import ResponsoCase, warsaw

# Queries of a whole message_post by a buyer, including the autoresponder's decision and queueing.
POST_QUERIES = 48


@tagged("post_install", "-at_install", "is_query_count")
class TestDecisionQueries(ResponsoCase):
    """The decision for a buyer message costs the same number of queries with 1 or 50 workflows."""

    def _make_workflows(self, count):
        weekend = self.env["responso.weekday"].search([("number", "in", (5, 6))])
        for index in range(count):
            self._workflow(f"Workflow {index}", sequence=index, conditions=[
                {"kind": "trigger", "trigger": "each_message"},
                {"kind": "source", "source_ids": [Command.set((self.src_messages | self.src_email).ids)]},
                {"kind": "account", "operator": "not_in", "account_ids": [Command.set(self.acc_amazon.ids)]},
                {"kind": "weekday", "operator": "not_in", "weekday_ids": [Command.set(weekend.ids)]},
                {"kind": "time_window", "time_from": 8.0, "time_to": 20.0},
                {"kind": "delay", "delay_amount": 1},
            ])

    def _post(self):
        return self._post_buyer(self.conv_allegro, at=warsaw(2026, 12, 1, 12, 0))

    def _assert_post_queries(self, workflow_count):
        self._make_workflows(workflow_count)
        self._post()  # warm the registry and ormcaches up
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(POST_QUERIES):
            message = self._post()
        decisions = self.env["responso.decision"].search([("message_id", "=", message.id)])
        self.assertEqual(len(decisions), workflow_count)
        self.assertEqual(len(decisions.filtered("answers")), 1)

    def test_decision_queries_with_1_workflow(self):
        self._assert_post_queries(1)

    def test_decision_queries_with_50_workflows(self):
        self._assert_post_queries(50)
