"""The buyer message is kept when the autoresponder's own statements fail in the database, not only in Python:
refused by the server (a read before the history, the history, the outcome's INSERT), refused by the driver before
it left, or a Python failure after the work wrote — the savepoint around the work undoes it all."""

from contextlib import ExitStack
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.responso_autoresponder.models import history_sql, outcome_sql

from .common import ResponsoCase

HOOK_LOGGER = "odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin"


@tagged("post_install", "-at_install")
class TestBuyerMessageKeptWhenSqlFails(ResponsoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Each message")

    def _post_failing(self, *faults):
        with ExitStack() as stack:
            for fault in faults:
                stack.enter_context(fault)
            stack.enter_context(mute_logger("odoo.sql_db"))
            logs = stack.enter_context(self.assertLogs(HOOK_LOGGER, "ERROR"))
            message = self._post_buyer(self.conv_allegro, "Where is my parcel? It is late.")
        self.assertIn(message, self.conv_allegro.message_ids, "the buyer's message is stored")
        decision = self._decision(message)
        self.assertEqual(len(decision), 1)
        self.assertEqual(decision.reason_code, "error")
        self.assertFalse(self._replies(message), "nothing the failed work wrote is left")
        # the transaction is healthy and the savepoint gone: the next message is answered, and can be sent
        following = self._post_buyer(self.conv_email, "Hello, where is my invoice?")
        self.assertTrue(self._decision(following).answers)
        self.assertEqual(self._send_due().mapped("state"), ["sent"])
        return logs.output[0]

    def test_the_history_query_refused_by_the_server(self):
        output = self._post_failing(patch.object(history_sql, "FUNCTION", "responso_history_gone"))
        self.assertIn("responso_history_gone", output)

    def test_the_outcome_insert_refused_by_the_server(self):
        insert_sql = outcome_sql.insert_sql

        def without_company(model, rows):  # a NOT NULL column left empty: refused by PostgreSQL, not by Python
            if model._name == "responso.decision":
                rows = [dict(row, company_id=None) for row in rows]
            return insert_sql(model, rows)

        output = self._post_failing(patch.object(outcome_sql, "insert_sql", without_company))
        self.assertIn("NotNullViolation", output)

    def test_the_history_query_refused_by_the_driver(self):
        call = history_sql.call

        def unsendable(cr, **params):  # psycopg2 cannot adapt it: the query never leaves
            return call(cr, **dict(params, body=object()))

        output = self._post_failing(patch.object(history_sql, "call", unsendable))
        self.assertIn("can't adapt", output)

    def test_a_read_before_the_history_refused_by_the_server(self):
        """A read of the facts (here the conversation's tags, read for a tag condition) fails in the database, e.g.
        a statement timeout or a broken override of another module."""
        tag = self.env["responso.conversation.tag"].create({"name": "VIP"})
        self.workflow.condition_ids = [(0, 0, {"kind": "tag", "tag_operator": "not_in", "tag_ids": [(6, 0, tag.ids)]})]
        Conversation = type(self.env["responso.conversation"])
        tags = Conversation._responso_tags

        def refused(record):
            record.env.cr.execute("SELECT ''::int")  # refused by the server
            return tags(record)

        self._post_failing(patch.object(Conversation, "_responso_tags", refused))

    def test_a_python_failure_after_the_work_wrote(self):
        tag = self.env["responso.conversation.tag"].create({"name": "Seen"})
        self.workflow.action_ids = [(0, 0, {"action_type": "add_tags", "tag_ids": [(6, 0, tag.ids)],
                                            "sequence": 1})]
        self._post_failing(patch.object(outcome_sql, "insert_outcome", side_effect=ZeroDivisionError("boom")))
        self.assertNotIn(tag, self.conv_allegro.tag_ids, "the tag the failed work added is rolled back")
