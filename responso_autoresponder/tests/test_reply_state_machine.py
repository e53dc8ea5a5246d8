"""The reply queue's protected state machine, bounded retries, and who answers the buyer (issue 8)."""

from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from ..connectors.http import RateLimited, TransientError
from .common import ResponsoCase, warsaw

TUESDAY = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestReplyStateMachine(ResponsoCase):
    """Nobody writes a reply's state: only its buttons and the sender change it (fault 14, first part)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workflow()

    @users("responso_manager")
    def test_manager_cannot_write_the_state(self):
        message = self._post_buyer(self.conv_email.with_env(self.env), at=TUESDAY)
        reply = self._replies(message)
        other = self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Another thread")
        for values in ({"state": "scheduled"}, {"state": "sent"}, {"send_at": TUESDAY}, {"attempts": 0},
                       {"external_id": "x"}, {"res_id": other.id}, {"conversation_id": other.id},
                       {"res_model": "res.partner"}, {"trigger_message_id": self._post_buyer(other).id},
                       {"action_id": False}, {"company_id": self.company_2.id}, {"buyer_id": self.buyer_2.id},
                       {"workflow_name": "Renamed"}):
            with self.subTest(values), self.assertRaises(AccessError):
                reply.write(values)
        reply.action_cancel()  # the buttons are the way
        self.assertEqual(reply.state, "cancelled")
        with self.assertRaises(AccessError):
            reply.write({"state": "scheduled"})  # a cancelled (or sent) reply is never re-queued behind the buttons
        self.assertEqual(reply.state, "cancelled")

    def test_superuser_code_cannot_create_or_write_past_the_state_machine(self):
        message = self._post_buyer(self.conv_email, at=TUESDAY)
        reply = self._replies(message).sudo()
        with self.assertRaises(AccessError):
            reply.write({"state": "sent"})
        with self.assertRaises(AccessError):
            reply.copy({"state": "sent", "trigger_message_id": self._post_buyer(self.conv_email).id})


@tagged("post_install", "-at_install")
class TestBoundedRetries(ResponsoCase):
    """Fault 4: a marketplace that keeps failing is retried for 24 h, then the reply fails with the reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workflow()

    def test_transient_failures_stop_after_24_hours(self):
        Account = type(self.env["responso.account"])
        message = self._post_buyer(self.conv_allegro, at=TUESDAY)
        reply = self._replies(message)
        down = RateLimited("Too many requests", retry_after=60)
        with patch.object(Account, "_responso_connected", return_value=True), \
                patch.object(Account, "_responso_send", side_effect=down) as send:
            self._send_due(at=TUESDAY)
            self.assertEqual(reply.state, "scheduled")
            self.assertEqual(reply.first_attempt_at, TUESDAY)
            self._send_due(at=TUESDAY + timedelta(hours=12))
            self.assertEqual(reply.state, "scheduled", "still retried within 24 h")
            self._send_due(at=TUESDAY + timedelta(hours=24, minutes=5))
            self.assertEqual(reply.state, "failed", "no retry after 24 h")
            self.assertIn("kept failing for 24 h", reply.error)
            self.assertIn("Too many requests", reply.error)
            self._send_due(at=TUESDAY + timedelta(hours=48))
            self.assertEqual(send.call_count, 3, "a failed reply is never retried by itself")
        self.assertEqual(reply.state, "failed")

    def test_retry_button_starts_a_new_period(self):
        Account = type(self.env["responso.account"])
        message = self._post_buyer(self.conv_allegro, at=TUESDAY)
        reply = self._replies(message)
        with patch.object(Account, "_responso_connected", return_value=True), \
                patch.object(Account, "_responso_send", side_effect=TransientError("refused")):
            self._send_due(at=TUESDAY)
            self._send_due(at=TUESDAY + timedelta(hours=25))
            self.assertEqual(reply.state, "failed")
            reply.with_user(self.manager).action_retry()
        with patch.object(Account, "_responso_connected", return_value=True), \
                patch.object(Account, "_responso_send", return_value="ext-1"):
            self._send_due(at=TUESDAY + timedelta(hours=26))
        self.assertEqual(reply.state, "sent")
        self.assertEqual(reply.external_id, "ext-1")


@tagged("post_install", "-at_install")
class TestWhoAnswers(ResponsoCase):
    """Fault 3: only a real agent's answer releases a conversation held for a human, and only a person's answer
    cancels a queued reply; bounces, other autoresponders and partners without a user do neither."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow(conditions=[{"kind": "trigger", "trigger": "each_message"},
                                                 {"kind": "delay", "delay_amount": 30}])
        Partner = cls.env["res.partner"]
        cls.daemon = Partner.create({"name": "Mail Delivery System", "email": "MAILER-DAEMON@example.com"})
        cls.other_bot = Partner.create({"name": "Other shop", "email": "auto@other.example.com"})
        cls.employee = cls.env["res.users"].create({
            "name": "Plain Employee", "login": "plain_employee", "email": "plain@example.com",
            "groups_id": [(6, 0, cls.env.ref("base.group_user").ids)]})

    def _post_as(self, conversation, partner, message_type="comment", **kwargs):
        return conversation.message_post(body="Not the buyer", author_id=partner.id, message_type=message_type,
                                         subtype_xmlid="mail.mt_comment", **kwargs)

    def test_only_an_agent_releases_a_held_conversation(self):
        conversation = self.conv_allegro
        conversation.responso_hold_reason = "out of office"
        not_agents = {
            "a bounce": lambda: self._post_as(conversation, self.daemon, message_type="email"),
            "another autoresponder": lambda: self._post_as(
                conversation, self.other_bot, message_type="email", responso_auto_signal="Auto-Submitted"),
            "a partner without a user": lambda: self._post_as(conversation, self.other_bot),
            "an employee outside the autoresponder groups": lambda: self._post_as(conversation,
                                                                                  self.employee.partner_id),
            "an internal note by an agent": lambda: conversation.message_post(
                body="note", author_id=self.agent.partner_id.id, message_type="comment",
                subtype_xmlid="mail.mt_note"),
        }
        for label, post in not_agents.items():
            with self.subTest(label):
                post()
                self.assertEqual(conversation.responso_hold_reason, "out of office", f"{label} is not an agent")
        self._post_as(conversation, self.agent.partner_id)
        self.assertFalse(conversation.responso_hold_reason, "an agent answered")

    def test_only_a_person_cancels_a_queued_reply(self):
        message = self._post_buyer(self.conv_allegro, at=TUESDAY)
        reply = self._replies(message)
        self._post_as(self.conv_allegro, self.daemon, message_type="email")
        self._post_as(self.conv_allegro, self.other_bot)
        self._send_due(at=TUESDAY + timedelta(minutes=30))
        self.assertEqual(reply.state, "sent", "a bounce or a third party did not answer the buyer")
        message = self._post_buyer(self.conv_allegro, "And the invoice?", at=TUESDAY + timedelta(hours=1))
        reply = self._replies(message)
        self._post_as(self.conv_allegro, self.manager.partner_id)
        self._send_due(at=TUESDAY + timedelta(hours=2))
        self.assertEqual(reply.state, "cancelled")
        self.assertEqual(reply.cancel_reason, "an agent answered meanwhile")
