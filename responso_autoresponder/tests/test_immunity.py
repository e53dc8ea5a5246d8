from datetime import timedelta

from odoo.tests import tagged

from .common import RAW_EMAIL, ResponsoCase, warsaw

TUESDAY = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestImmunity(ResponsoCase):
    """Never answer an autoresponder, never answer twice, never start a loop."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Each message")
        cls.alias = cls.env["mail.alias"].create({
            "alias_name": "buyers",
            "alias_model_id": cls.env["ir.model"]._get_id("responso.conversation"),
            "alias_defaults": {"account_id": cls.acc_email.id, "source_id": cls.src_email.id},
            "alias_domain_id": cls.mail_alias_domain.id,
        })

    def _email(self, subject, extra="", email_from="zofia@example.org", body="Dzień dobry, gdzie jest paczka?",
               msg_id=None, to="buyers@test.mycompany.com"):
        raw = RAW_EMAIL.format(email_from=email_from, to=to, subject=subject,
                               msg_id=msg_id or f"<{subject.replace(' ', '-')}-{email_from}>", extra=extra,
                               body=body)
        self.env["mail.thread"].sudo().message_process(None, raw)
        return self.env["mail.message"].search([("message_type", "=", "email")], order="id desc", limit=1)

    def test_gateway_automatic_mail_is_never_answered(self):
        cases = {
            "Auto-Submitted: auto-replied": ("Auto-Submitted: auto-replied\n", "zofia@example.org"),
            "List-Id header": ("List-Id: <buyers.lists.example.org>\n", "zofia@example.org"),
            "Precedence: bulk": ("Precedence: bulk\n", "zofia@example.org"),
            "X-Auto-Response-Suppress: OOF": ("X-Auto-Response-Suppress: OOF\n", "zofia@example.org"),
            "sender": ("", "MAILER-DAEMON@mx.example.org"),
            "noreply sender": ("", "no-reply@shop.example.org"),
        }
        for label, (extra, sender) in cases.items():
            with self.subTest(label):
                message = self._email(f"Case {label}", extra=extra, email_from=sender)
                self.assertTrue(message.responso_auto_signal, f"{label}: the gateway keeps the signal")
                decision = self._decisions(message)
                self.assertEqual(decision.reason_code, "automatic_message")
                self.assertIn("automatic message:", decision.reason)
                self.assertFalse(self._replies(message))

    def test_gateway_human_mail_is_answered(self):
        message = self._email("Human", body="Hi, sorry, I was out of office last week. Where is my parcel?")
        self.assertFalse(message.responso_auto_signal)
        self.assertTrue(self._replies(message))

    def test_out_of_office_text_holds_the_conversation_for_a_human(self):
        conversation = self.conv_allegro
        message = self._post_buyer(conversation, "This is an automatic reply: I am out of the office until Monday.")
        decision = self._decisions(message)
        self.assertEqual(decision.reason_code, "held_for_human")
        self.assertTrue(decision.reason.startswith("held for a human:"))
        self.assertTrue(conversation.responso_hold_reason)
        self.assertFalse(self._replies(message))
        # held: the next buyer message is not answered either
        message = self._post_buyer(conversation, "Where is my parcel?")
        self.assertEqual(self._decisions(message).reason_code, "held_for_human")
        # an agent answers: the autoresponder may answer again
        conversation.message_post(body="Shipped today.", author_id=self.agent.partner_id.id,
                                  message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertFalse(conversation.responso_hold_reason)
        message = self._post_buyer(conversation, "Thanks, and the invoice?", at=TUESDAY + timedelta(days=2))
        self.assertTrue(self._replies(message))

    def test_three_messages_in_two_minutes_get_one_answer(self):
        self.workflow.interval_minutes = 1440
        messages = [self._post_buyer(self.conv_allegro, f"Message {i}", at=TUESDAY + timedelta(minutes=i))
                    for i in range(3)]
        replies = self.env["responso.reply"].search([("trigger_message_id", "in", [m.id for m in messages])])
        self.assertEqual(len(replies), 1)
        self.assertEqual(self._decisions(messages[1]).reason,
                         "throttled: this buyer got an automatic reply on this account 1 min ago; this workflow "
                         "answers at most once every 1440 min (change it under the workflow's conditions: "
                         "\"Change: every … minutes\", 0 = no limit)")

    def test_caps_count_replies_that_may_have_been_sent(self):
        """A reply whose marketplace answer was lost (verify, then "maybe sent") may be in the buyer's hands: the
        caps count it."""
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_conversation_day", 1)
        first = self._post_buyer(self.conv_allegro, "Question 0", at=TUESDAY)
        for state in ("verify", "unknown"):
            with self.subTest(state=state):
                self._replies(first)._responso_write({"state": state})
                message = self._post_buyer(self.conv_allegro, f"Question {state}", at=TUESDAY + timedelta(hours=1))
                self.assertEqual(self._decisions(message).reason_code, "conversation_cap")

    def test_conversation_cap(self):
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_conversation_day", 3)
        for index in range(4):
            at = TUESDAY + timedelta(hours=index)
            message = self._post_buyer(self.conv_allegro, f"Question {index}", at=at)
            self._send_due(at=at)
        self.assertEqual(self._decisions(message).reason, "cap reached: 3 in 24 h in this conversation")
        self.assertEqual(self.env["responso.reply"].search_count(
            [("conversation_id", "=", self.conv_allegro.id), ("state", "=", "sent")]), 3)

    def test_account_cap_pauses_the_account_and_tells_managers(self):
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_account_hour", 2)
        conversations = [self._conversation(self.acc_allegro, self.src_messages, buyer, f"Thread {index}")
                         for index, buyer in enumerate(self.env["res.partner"].create(
                             [{"name": f"Buyer {i}"} for i in range(4)]))]
        messages = [self._post_buyer(conv, "Hello", at=TUESDAY) for conv in conversations]
        self.assertEqual(self._decisions(messages[2]).reason_code, "account_cap")
        self.assertTrue(self.acc_allegro.responso_paused)
        note = self.acc_allegro.message_ids[0]
        self.assertIn("paused", note.body)
        self.assertIn(self.manager.partner_id, note.partner_ids)
        self.assertEqual(self._decisions(messages[3]).reason_code, "account_paused")
        self.acc_allegro.action_resume_replies()
        self.assertFalse(self.acc_allegro.responso_paused)

    def test_bounced_automatic_reply_silences_that_address(self):
        message = self._post_buyer(self.conv_email, "Hello")
        with self.mock_mail_gateway():
            self._send_due()
        reply = self._replies(message).reply_message_id
        self.env["mail.thread"]._routing_handle_bounce(None, {
            "bounced_email": self.buyer_2.email_normalized, "bounced_partner": self.buyer_2,
            "bounced_msg_ids": [reply.message_id], "bounced_message": reply,
            "email_from": "MAILER-DAEMON@mx.example.org", "to": self.buyer_2.email, "message_id": "<bounce-1@mx>"})
        self.assertTrue(self.buyer_2.responso_autoreply_blocked_until)
        message = self._post_buyer(self.conv_email, "Hello again", at=TUESDAY + timedelta(days=3))
        self.assertEqual(self._decisions(message).reason_code, "buyer_bounced")

    def test_outgoing_automatic_email(self):
        message = self._post_buyer(self.conv_email, "Hello")
        with self.mock_mail_gateway():
            self._send_due()
        self.assertEqual(len(self._mails), 1, "one e-mail, to the buyer only")
        mail = self._mails[0]
        self.assertEqual(mail["email_to"], [self.buyer_2.email_formatted])
        headers = mail["headers"]
        self.assertEqual(headers["Auto-Submitted"], "auto-replied")
        self.assertEqual(headers["X-Auto-Response-Suppress"], "All")
        self.assertEqual(headers["Precedence"], "bulk")
        self.assertTrue(headers["X-Responso-Loop"])
        self.assertTrue(mail["subject"].startswith("Automatic reply:"))
        self.assertIn(message.message_id, mail["references"], "In-Reply-To / References: the buyer's message")

    def test_our_own_mail_coming_back_is_ignored(self):
        tag = self.env["mail.thread"]._responso_loop_tag()
        message = self._email("Looped", extra=f"X-Responso-Loop: {tag}\n")
        self.assertEqual(self._decisions(message).reason_code, "automatic_message")

    def test_buyer_without_email(self):
        """Marketplace buyers often have no e-mail address: their messages are stored and answered all the same."""
        buyer = self.env["res.partner"].create({"name": "allegro_login_42"})
        conversation = self._conversation(self.acc_allegro, self.src_messages, buyer, "No e-mail")
        message = conversation.responso_post_buyer_message("Where is my parcel?", external_id="a-1")
        self.assertEqual(message.author_id, buyer)
        self._send_due()
        self.assertEqual(self._replies(message).state, "sent")

    def test_same_marketplace_message_stored_once(self):
        first = self.conv_allegro.responso_post_buyer_message("Where is it?", external_id="msg-1")
        again = self.conv_allegro.responso_post_buyer_message("Where is it?", external_id="msg-1")
        self.assertEqual(first, again)
        self.assertEqual(len(self._replies(first)), 1)
        other = self.conv_allegro.responso_post_buyer_message("And now?", external_id="msg-2")
        self.assertNotEqual(other, first)

    def test_delayed_reply_cancelled_after_another_automatic_reply(self):
        self.workflow.condition_ids = [(0, 0, {"kind": "delay", "delay_amount": 30})]
        first = self._post_buyer(self.conv_allegro, "One", at=TUESDAY)
        second = self._post_buyer(self.conv_allegro, "Two", at=TUESDAY + timedelta(minutes=1))
        self._send_due(at=TUESDAY + timedelta(minutes=31))
        self.assertEqual(self._replies(first).state, "sent")
        self.assertEqual(self._replies(second).state, "cancelled")
        self.assertEqual(self._replies(second).cancel_reason,
                         "an automatic reply was already sent after this message")

    def test_interrupted_send_is_left_for_a_person(self):
        message = self._post_buyer(self.conv_allegro, "Hello", at=TUESDAY)
        reply = self._replies(message)
        reply._responso_write({"state": "sending"})
        self.env.flush_all()
        self.env.cr.execute("UPDATE responso_reply SET write_date = %s WHERE id = %s",
                            [TUESDAY - timedelta(hours=1), reply.id])
        reply.invalidate_recordset()
        self._send_due(at=TUESDAY)
        self.assertEqual(reply.state, "failed")
        self.assertIn("Interrupted while sending", reply.error)
        self.assertFalse(reply.reply_message_id, "never re-sent silently")
