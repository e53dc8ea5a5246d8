from datetime import timedelta

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ResponsoCase, warsaw

TUESDAY_NOON = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestReplyQueue(ResponsoCase):
    """Delays, the sending cron, re-checks at send time, failures and uniqueness."""

    def _delayed(self, amount, unit="minutes"):
        return self._workflow("Delayed", conditions=[
            {"kind": "trigger", "trigger": "each_message"},
            {"kind": "delay", "delay_amount": amount, "delay_unit": unit},
        ])

    def test_delay_in_minutes_and_hours(self):
        for amount, unit, minutes in ((10, "minutes", 10), (2, "hours", 120)):
            with self.subTest(unit=unit):
                workflow = self._delayed(amount, unit)
                message = self._post_buyer(self.conv_amazon, at=TUESDAY_NOON)
                reply = self._replies(message)
                self.assertEqual(reply.send_at, TUESDAY_NOON + timedelta(minutes=minutes))
                self._send_due(at=TUESDAY_NOON + timedelta(minutes=minutes - 1))
                self.assertEqual(reply.state, "scheduled", "not due yet")
                self._send_due(at=TUESDAY_NOON + timedelta(minutes=minutes))
                self.assertEqual(reply.state, "sent")
                self.assertEqual(reply.sent_at, TUESDAY_NOON + timedelta(minutes=minutes))
                workflow.unlink()

    def test_reply_in_chatter_marked_automatic(self):
        self._workflow(body='<p>Hello <t t-out="object.buyer_id.name"/>, order <t t-out="object.order_ref"/> '
                            'on <t t-out="object.account_id.name"/>. <a href="https://shop.example.com">Shop</a></p>')
        self.conv_allegro.order_ref = "ORD-42"
        message = self._post_buyer(self.conv_allegro)
        self._send_due()
        reply = self._replies(message)
        posted = reply.reply_message_id
        self.assertEqual(posted.model, "responso.conversation")
        self.assertEqual(posted.res_id, self.conv_allegro.id)
        self.assertEqual(posted.responso_kind, "auto_reply")
        self.assertEqual(posted.author_id, self.env.ref("responso_autoresponder.partner_autoresponder"))
        self.assertEqual(posted.subtype_id, self.env.ref("responso_autoresponder.mt_auto_reply"))
        self.assertIn("Hello Jan Buyer, order ORD-42 on Shop Allegro.", posted.body)
        self.assertIn('href="https://shop.example.com"', posted.body)
        self.assertFalse(posted.partner_ids, "Allegro replies go through the connector, not by e-mail")

    def test_email_conversation_reply_goes_by_email(self):
        self._workflow()
        message = self._post_buyer(self.conv_email)
        with self.mock_mail_gateway():
            self._send_due()
        posted = self._replies(message).reply_message_id
        self.assertEqual(posted.partner_ids, self.buyer_2)
        self.assertSentEmail(self.company.email_formatted, [self.buyer_2])
        self.assertNotIn(self.agent.partner_id, posted.notification_ids.res_partner_id,
                         "agents are not notified of automatic replies")

    def test_cancelled_when_the_situation_changed(self):
        workflow = self._delayed(30)
        cases = {
            "an agent answered meanwhile": lambda conv: conv.message_post(
                body="Answered by hand", author_id=self.agent.partner_id.id, message_type="comment",
                subtype_xmlid="mail.mt_comment"),
            "the conversation was closed": lambda conv: conv.action_close(),
            "the workflow was disabled or deleted": lambda conv: workflow.write({"active": False}) or
            workflow.write({"active": True}),
        }
        for reason, change in cases.items():
            with self.subTest(reason):
                conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer, reason)
                message = self._post_buyer(conversation, at=TUESDAY_NOON)
                reply = self._replies(message)
                change(conversation)
                if reason.startswith("the workflow"):
                    self.assertEqual(reply.state, "cancelled", "disabling cancels what was waiting at once")
                    self.assertEqual(reply.cancel_reason, "the workflow was disabled")
                    continue
                self._send_due(at=TUESDAY_NOON + timedelta(minutes=30))
                self.assertEqual(reply.state, "cancelled")
                self.assertEqual(reply.cancel_reason, reason)
                self.assertFalse(reply.reply_message_id)

    def test_failure_is_kept_with_its_error_and_can_be_retried(self):
        self._workflow()
        self.company.email = False
        self.company.alias_domain_id = False
        message = self._post_buyer(self.conv_email)
        self._send_due()
        reply = self._replies(message)
        self.assertEqual(reply.state, "failed")
        self.assertIn("Set an e-mail address on the company", reply.error)
        self.assertEqual(reply.attempts, 1)
        self.company.email = "shop@example.com"
        reply.action_retry()
        self.assertEqual(reply.state, "scheduled")
        self._send_due()
        self.assertEqual(reply.state, "sent")
        self.assertEqual(reply.attempts, 2)

    def test_manual_cancel(self):
        self._delayed(30)
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        reply = self._replies(message)
        reply.with_user(self.manager).action_cancel()
        self.assertEqual(reply.state, "cancelled")
        self.assertIn("Maria Manager", reply.cancel_reason)
        self._send_due(at=TUESDAY_NOON + timedelta(hours=1))
        self.assertEqual(reply.state, "cancelled")

    def test_one_row_per_action_and_message(self):
        self._workflow()
        message = self._post_buyer(self.conv_allegro)
        reply = self._replies(message)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                reply.copy()

    def test_cron_batches_and_reports_progress(self):
        self._workflow()
        for index in range(3):
            conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer, f"Thread {index}")
            self._post_buyer(conversation, f"Message {index}")
        sent = self.env["responso.reply"]._cron_send_due(batch_size=2)
        self.assertEqual(len(sent), 2)
        self.assertEqual(self.env["responso.reply"].search_count([("state", "=", "scheduled")]), 1)
        self.env["responso.reply"]._cron_send_due(batch_size=2)
        self.assertEqual(self.env["responso.reply"].search_count([("state", "=", "scheduled")]), 0)

    def test_cron_job_runs(self):
        self._workflow()
        message = self._post_buyer(self.conv_allegro)
        self.cron.method_direct_trigger()
        self.assertEqual(self._replies(message).state, "sent")
