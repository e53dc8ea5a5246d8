from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ResponsoCase, warsaw

TUESDAY = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestAgentsInDiscuss(ResponsoCase):
    """The account's team gets buyer messages in its Discuss inbox, never by e-mail, whatever the e-mail
    preference Odoo gives new users; automatic notes are written by the Autoresponder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's default preference: notifications by e-mail
        cls.agent_mail = mail_new_test_user(
            cls.env, login="responso_agent_mail", name="Ewa Email", email="ewa.agent@example.com",
            company_id=cls.company.id, groups="base.group_user,responso_autoresponder.group_responso_user",
            notification_type="email")
        cls.user_admin.write({"notification_type": "email", "email": "admin@example.com"})
        cls.acc_allegro.user_ids = [Command.link(cls.agent_mail.id), Command.link(cls.user_admin.id)]
        cls.autoresponder = cls.env.ref("responso_autoresponder.partner_autoresponder")
        cls._workflow("Each message")

    def _notification(self, message, user):
        return message.notification_ids.filtered(lambda n: n.res_partner_id == user.partner_id)

    def test_buyer_message_in_every_agent_inbox(self):
        with self.mock_mail_gateway():
            message = self._post_buyer(self.conv_allegro, "Bonjour, quand arrive mon colis ?", at=TUESDAY)
        for user in (self.agent, self.agent_mail, self.user_admin):
            with self.subTest(user.login):
                self.assertEqual(self._notification(message, user).notification_type, "inbox")
                self.assertTrue(message.with_user(user).needaction, "in the Discuss inbox")
        self.assertFalse(self._new_mails, "no e-mail to agents")
        self.assertFalse(message.notification_ids.filtered(lambda n: n.res_partner_id == self.buyer),
                         "the buyer is never notified of their own message")

    def test_simulated_message_reaches_the_agent_who_typed_it(self):
        """An agent posting a buyer message (Simulate buyer message) is not its author: Odoo would leave them
        out of their own inbox."""
        wizard = self.env["responso.buyer.message.wizard"].with_user(self.user_admin).create(
            {"conversation_id": self.conv_allegro.id, "body": "Where is my parcel?"})
        with self.mock_mail_gateway():
            wizard.action_post()
        message = self.conv_allegro.message_ids.filtered(lambda m: m.responso_kind == "buyer")[:1]
        self.assertEqual(message.author_id, self.buyer)
        self.assertEqual(self._notification(message, self.user_admin).notification_type, "inbox")
        self.assertFalse(self._new_mails)

    def test_agents_reply_reaches_other_agents_inbox(self):
        with self.mock_mail_gateway():
            message = self.conv_allegro.with_user(self.agent).message_post(
                body="Shipped today.", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(self._notification(message, self.agent_mail).notification_type, "inbox")
        self.assertFalse(self._notification(message, self.agent), "the author is not notified")
        self.assertFalse(self._new_mails.filtered(lambda m: self.agent_mail.partner_id in m.recipient_ids))

    def test_held_note_written_by_the_autoresponder(self):
        self._post_buyer(self.conv_allegro.with_user(self.user_admin),
                         "This is an automatic reply: I am out of the office until Monday.", at=TUESDAY)
        self.assertTrue(self.conv_allegro.responso_hold_reason)
        note = self.conv_allegro.message_ids.filtered(lambda m: "stays silent" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.author_id, self.autoresponder)

    def test_pause_note_written_by_the_autoresponder_tells_every_manager(self):
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_account_hour", 1)
        buyers = self.env["res.partner"].create([{"name": f"Buyer {i}", "email": f"buyer{i}@example.com"}
                                                 for i in range(2)])
        conversations = [self._conversation(self.acc_allegro, self.src_messages, buyer, buyer.name)
                         for buyer in buyers]
        for index, conversation in enumerate(conversations):
            # the administrator (a manager) types the buyer messages that trip the cap
            self._post_buyer(conversation.with_user(self.user_admin), "Hello", at=TUESDAY + timedelta(minutes=index))
        self.assertTrue(self.acc_allegro.responso_paused)
        note = self.acc_allegro.message_ids.filtered(lambda m: "paused" in (m.body or ""))
        self.assertEqual(note.author_id, self.autoresponder)
        self.assertIn(self.user_admin.partner_id, note.notification_ids.res_partner_id,
                      "the manager whose action tripped the cap is told too")
        self.assertIn(self.manager.partner_id, note.notification_ids.res_partner_id)
