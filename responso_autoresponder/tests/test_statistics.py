from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import ResponsoCase, warsaw

TUESDAY = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestStatistics(ResponsoCase):
    """Per workflow, source, account and day: replies sent, skipped by reason, failed, cancelled, and the share of
    buyer messages a person answered within 24 hours."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.allegro = cls._workflow("Allegro", sequence=1, interval_minutes=60, conditions=[
            {"kind": "source", "source_ids": [Command.set(cls.src_messages.ids)]}])
        cls.everything = cls._workflow("Everything", sequence=2, conditions=[
            {"kind": "trigger", "trigger": "each_message"},
            {"kind": "delay", "delay_amount": 10, "delay_unit": "minutes"}])
        no_email = cls.env["res.partner"].create({"name": "No Mail Buyer"})
        cls.conv_no_email = cls._conversation(cls.acc_email, cls.src_email, no_email, "No e-mail")

    def _stats(self, groupby, domain=()):
        accounts = (self.acc_allegro | self.acc_amazon | self.acc_email).ids
        measures = ["message_count:sum", "sent_count:sum", "skipped_count:sum", "failed_count:sum",
                    "cancelled_count:sum", "human_answered_count:sum", "human_answer_rate:avg"]
        return self.env["responso.statistics"]._read_group(
            [("account_id", "in", accounts), *domain], groupby, measures)

    def test_counts_per_workflow_reason_and_day(self):
        # a: Allegro answers at once, Everything is skipped (another workflow answered)
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=TUESDAY)
        self._send_due(at=TUESDAY)
        # b: Everything answers in 10 minutes, an agent answers first: cancelled, answered by a person in time
        self._post_buyer(self.conv_amazon, "Is it in stock?", at=TUESDAY)
        with freeze_time(TUESDAY + timedelta(minutes=5)):
            self.conv_amazon.with_user(self.agent).message_post(
                body="Yes, it is.", message_type="comment", subtype_xmlid="mail.mt_comment")
        # c: Everything answers a buyer without an e-mail address: failed
        self._post_buyer(self.conv_no_email, "Hello there", at=TUESDAY)
        # e: twenty minutes after a, Allegro is throttled (and Everything skipped again: held back behind it)
        self._post_buyer(self.conv_allegro, "And the invoice please?", at=TUESDAY + timedelta(minutes=20))
        self._send_due(at=TUESDAY + timedelta(minutes=30))
        self.env.flush_all()

        per_workflow = {workflow: values for workflow, *values in self._stats(["workflow_id"])}
        # message, sent, skipped, failed, cancelled, human, rate
        self.assertEqual(per_workflow[self.allegro][1:5], [1, 1, 0, 0])
        self.assertEqual(per_workflow[self.everything][1:5], [0, 2, 1, 1])
        reasons = {(workflow, reason): skipped for workflow, reason, _m, _s, skipped, *_rest
                   in self._stats(["workflow_id", "reason"], [("skipped_count", ">", 0)])}
        # e: Allegro, first, was throttled, so Everything did not answer either: not "another workflow answered"
        self.assertEqual(reasons, {(self.allegro, "throttled"): 1, (self.everything, "already_answered"): 1,
                                   (self.everything, "first_held_back"): 1})
        [(day, messages, sent, skipped, failed, cancelled, human, rate)] = self._stats(["date:day"])
        self.assertEqual(day.day, 1)
        self.assertEqual((messages, sent, skipped, failed, cancelled, human), (4, 1, 3, 1, 1, 1))
        self.assertAlmostEqual(rate, 25.0, msg="one buyer message in four answered by a person within 24 h")
        per_source = {source: values[0] for source, *values in self._stats(["source_id"])}
        self.assertEqual(per_source, {self.src_messages: 2, self.src_amazon: 1, self.src_email: 1})

        # the workflow list: sent / skipped of the last 30 days
        with freeze_time(TUESDAY + timedelta(days=1)):
            workflows = (self.allegro | self.everything).with_context(lang="en_US")
            workflows.invalidate_recordset()
            self.assertEqual(workflows.mapped("sent_30_count"), [1, 0])
            self.assertEqual(workflows.mapped("skipped_30_count"), [1, 2])

    def test_an_automatic_reply_is_not_a_human_answer(self):
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=TUESDAY)
        self._send_due(at=TUESDAY)
        self.env.flush_all()
        [(_day, messages, _sent, _skipped, _failed, _cancelled, human, _rate)] = self._stats(["date:day"])
        self.assertEqual((messages, human), (1, 0))

    def test_statistics_menu_and_views(self):
        menu = self.env.ref("responso_autoresponder.responso_menu_statistics")
        self.assertEqual(menu.parent_id, self.env.ref("responso_autoresponder.responso_menu_root"))
        action = self.env.ref("responso_autoresponder.responso_statistics_action")
        self.assertEqual(action.view_mode, "graph,pivot")
        self.env["responso.statistics"].with_user(self.agent).search_read([], ["sent_count"], limit=1)

    def test_maybe_sent_replies_are_pending(self):
        """A reply being checked on the marketplace or left to a person (maybe sent) is counted as pending: the reply
        measures add up to the replies of the log."""
        message = self._post_buyer(self.conv_allegro, "Where is my parcel?", at=TUESDAY)
        replies = self._replies(message)
        self.assertEqual(len(replies), 1)
        for state in ("verify", "unknown", "scheduled"):
            replies._responso_write({"state": state})
            self.env.flush_all()
            [(pending, sent, failed, cancelled)] = self.env["responso.statistics"]._read_group(
                [("account_id", "=", self.acc_allegro.id), ("kind", "=", "reply")], [],
                ["pending_count:sum", "sent_count:sum", "failed_count:sum", "cancelled_count:sum"])
            self.assertEqual((pending, sent, failed, cancelled), (1, 0, 0, 0), state)
