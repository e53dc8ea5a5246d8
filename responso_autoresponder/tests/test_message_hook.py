from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

from .common import RAW_EMAIL, ResponsoCase, install_languages


@tagged("post_install", "-at_install")
class TestMessageHook(ResponsoCase, CronMixinCase):
    """Which messages are evaluated, what is recorded, and how replies are queued."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Each message")

    def test_buyer_message_is_queued_and_wakes_the_sender(self):
        with self.capture_triggers("responso_autoresponder.ir_cron_send_due_replies") as capture:
            message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        self.assertEqual(message.responso_kind, "buyer")
        self.assertEqual(message.responso_account_id, self.acc_allegro)
        decision = self._decisions(message)
        self.assertEqual(decision.workflow_id, self.workflow)
        self.assertTrue(decision.answers)
        self.assertEqual(decision.reason, "all conditions hold (1)")
        reply = self._replies(message)
        self.assertEqual(reply.state, "scheduled")
        self.assertEqual(reply.send_at, message.date, "no delay: due at once")
        self.assertEqual(capture.records.mapped("call_at"), [reply.send_at],
                         "the sending cron is triggered for that time")
        self.assertFalse(self.conv_allegro.message_ids.filtered(lambda m: m.responso_kind == "auto_reply"),
                         "message_post never sends: the cron does")

    def test_agents_get_buyer_messages_in_their_inbox(self):
        self.assertIn(self.agent.partner_id, self.conv_allegro.message_partner_ids,
                      "the account's agents follow its conversations")
        message = self._post_buyer(self.conv_allegro, "Is it in stock?")
        inbox = message.notification_ids.filtered(lambda n: n.res_partner_id == self.agent.partner_id)
        self.assertEqual(inbox.notification_type, "inbox")
        self.assertNotIn(self.buyer, message.notification_ids.res_partner_id, "the author is not notified")

    def test_weekday_reason_in_the_readers_language(self):
        weekend = self.env["responso.weekday"].search([("number", "in", (5, 6))])
        self.workflow.condition_ids = [(0, 0, {"kind": "weekday", "weekday_ids": [(6, 0, weekend.ids)]})]
        message = self._post_buyer(self.conv_allegro, at="2026-12-01 11:00:00")
        decision = self._decisions(message)
        self.assertEqual(decision.reason, "Tuesday is not one of Saturday, Sunday (Warsaw Time)")
        install_languages(self.env, "fr_FR")
        decision.invalidate_recordset(["reason"])
        reason_fr = decision.with_context(lang="fr_FR").reason
        self.assertIn("mardi", reason_fr)
        self.assertIn("samedi, dimanche", reason_fr)

    def test_messages_that_never_trigger(self):
        conversation = self.conv_allegro
        posts = {
            "agent message": dict(body="We are on it", author_id=self.agent.partner_id.id, message_type="comment",
                                  subtype_xmlid="mail.mt_comment"),
            "internal note by an agent": dict(body="Check stock", author_id=self.agent.partner_id.id,
                                              message_type="comment", subtype_xmlid="mail.mt_note"),
            "note in the buyer's name": dict(body="Phoned", author_id=self.buyer.id, message_type="comment",
                                             subtype_xmlid="mail.mt_note"),
            "system notification": dict(body="Stage changed", author_id=self.buyer.id,
                                        message_type="notification", subtype_xmlid="mail.mt_comment"),
            "our own automatic reply": dict(body="Auto", author_id=self.buyer.id, message_type="comment",
                                            subtype_xmlid="mail.mt_comment", responso_kind="auto_reply"),
        }
        for label, values in posts.items():
            with self.subTest(label):
                message = conversation.message_post(**values)
                self.assertFalse(self._decisions(message), f"{label} must not be evaluated")
                self.assertFalse(self._replies(message))
        message = conversation.with_context(responso_auto_reply=True).message_post(
            body="Auto", author_id=self.buyer.id, message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertFalse(self._decisions(message), "posts made while sending a reply are never evaluated")

    def test_sent_reply_does_not_trigger_again(self):
        message = self._post_buyer(self.conv_allegro)
        decisions_before = self.env["responso.decision"].search_count([])
        self._send_due()
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent")
        self.assertEqual(reply.reply_message_id.responso_kind, "auto_reply")
        self.assertEqual(self.env["responso.decision"].search_count([]), decisions_before)

    def test_one_answer_per_message(self):
        second = self._workflow("Also matches", sequence=20)
        third = self._workflow("Does not match", sequence=30, conditions=[
            {"kind": "source", "source_ids": [(6, 0, self.src_amazon.ids)]}])
        self.workflow.sequence = 10
        message = self._post_buyer(self.conv_allegro)
        decisions = self._decisions(message)
        self.assertEqual(len(decisions), 3, "every active workflow's decision is recorded")
        by_workflow = {d.workflow_id: d for d in decisions}
        self.assertTrue(by_workflow[self.workflow].answers)
        self.assertFalse(by_workflow[second].answers)
        self.assertEqual(by_workflow[second].reason, "another workflow answers this message: Each message")
        self.assertEqual(by_workflow[third].reason_code, "not_one_of")
        self.assertEqual(self._replies(message).workflow_id, self.workflow)
        self.assertEqual(self.workflow.skipped_count, 0)
        self.assertEqual(second.skipped_count, 1)
        self.assertTrue(self.workflow.last_triggered)

    def test_skipped_button_lists_what_it_counts(self):
        """A workflow's Skipped button opens the decisions it counts: those where another workflow answered (the
        decision's own workflow is the answering one, so a search by workflow found none of them), and those where
        a guard stopped it; a manager who is not an administrator opens it, and the search view finds them by the
        skipped workflow's name."""
        second = self._workflow("Also matches", sequence=20)
        self.workflow.sequence = 10
        self.workflow.interval_minutes = 60  # the second message is throttled for the first workflow
        first_message = self._post_buyer(self.conv_allegro)
        second_message = self._post_buyer(self.conv_allegro, "And where is the invoice?")
        Decision = self.env["responso.decision"].with_user(self.manager)
        for workflow in (self.workflow, second):
            action = workflow.with_user(self.manager).action_responso_view_skipped()
            self.assertEqual(action["res_model"], "responso.decision")
            listed = Decision.search(action["domain"])
            self.assertEqual(len(listed), workflow.skipped_count, workflow.name)
        skipped_by_second = Decision.search(
            second.with_user(self.manager).action_responso_view_skipped()["domain"])
        self.assertIn(self._decision(first_message), skipped_by_second, "another workflow answered it")
        self.assertTrue(second.skipped_count)
        self.assertEqual(Decision.search([("skipped_workflow_id", "=", "Also matches")]),
                         Decision.search([("skipped_workflow_id", "in", second.ids)]))
        self.assertFalse(Decision.search([("skipped_workflow_id", "=", "No such workflow")]))
        # as the search bar sends a typed name, and the other operators a client may send
        mine = Decision.search([("message_id", "in", (first_message | second_message).ids)])
        by_second = mine & skipped_by_second
        self.assertEqual(mine & Decision.search([("skipped_workflow_id", "ilike", "also MATCH")]), by_second)
        self.assertEqual(mine & Decision.search([("skipped_workflow_id", "not in", second.ids)]), mine - by_second)
        self.assertEqual(mine & Decision.search([("skipped_workflow_id", "!=", False)]),
                         mine.filtered("skipped_workflow_ids"))
        with self.assertRaises(UserError):
            Decision.search([("skipped_workflow_id", ">", second.id)])

    def test_several_actions_run_in_order(self):
        self.workflow.write({"action_ids": [(0, 0, {"sequence": 20, "body_html": "<p>Second</p>"}),
                                            (0, 0, {"sequence": 1, "body_html": "<p>First</p>"})]})
        message = self._post_buyer(self.conv_allegro)
        replies = self._replies(message)
        self.assertEqual(len(replies), 3)
        self._send_due()
        sent = self.conv_allegro.message_ids.filtered(lambda m: m.responso_kind == "auto_reply").sorted("id")
        self.assertEqual(len(sent), 3)
        self.assertIn("First", sent[0].body)
        self.assertIn("Second", sent[-1].body)

    def test_deleting_a_workflow_keeps_its_history(self):
        message = self._post_buyer(self.conv_allegro)
        self._send_due()
        pending = self._post_buyer(self.conv_allegro, at="2030-01-01 10:00:00")  # due in the future
        self.workflow.unlink()
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent")
        self.assertEqual(reply.workflow_name, "Each message")
        self.assertFalse(reply.workflow_id)
        self.assertEqual(self._decisions(message).workflow_name, "Each message")
        self.assertEqual(self._replies(pending).state, "cancelled")
        self.assertEqual(self._replies(pending).cancel_reason, "the workflow was deleted")

    def test_mail_gateway_new_conversation_and_reply(self):
        self.env["mail.alias"].create({
            "alias_name": "shop-support",
            "alias_model_id": self.env["ir.model"]._get_id("responso.conversation"),
            "alias_defaults": {"account_id": self.acc_email.id, "source_id": self.src_email.id},
            "alias_domain_id": self.mail_alias_domain.id,
        })
        raw = RAW_EMAIL.format(email_from='"Zofia Nowak" <zofia@example.org>', to="shop-support@test.mycompany.com",
                               subject="Faktura", msg_id="<zofia-1@example.org>", extra="",
                               body="Dzień dobry, proszę o fakturę.")
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, raw)
        conversation = self.env["responso.conversation"].search([("name", "=", "Faktura")])
        self.assertEqual(conversation.account_id, self.acc_email)
        self.assertEqual(conversation.buyer_id.email, "zofia@example.org")
        message = conversation.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(message.author_id, conversation.buyer_id)
        self.assertEqual(self._decisions(message).workflow_id, self.workflow)
        self.assertIn(self.agent.partner_id, conversation.message_partner_ids, "the account's agents follow it")

        with self.mock_mail_gateway():
            self._send_due()
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        self.assertSentEmail(self.company.email_formatted, [conversation.buyer_id],
                             body_content="We will answer within 24 hours.")
        sent = self._mails[-1]
        self.assertEqual(sent["headers"].get("Auto-Submitted"), "auto-replied")
        self.assertEqual(sent["headers"].get("X-Auto-Response-Suppress"), "All")

        # the buyer answers by e-mail in the same thread: evaluated again
        raw = RAW_EMAIL.format(email_from="zofia@example.org", to="shop-support@test.mycompany.com",
                               subject="Re: Faktura", msg_id="<zofia-2@example.org>",
                               extra=f"In-Reply-To: {reply.reply_message_id.message_id}",
                               body="Dziękuję!")
        self.env["mail.thread"].sudo().message_process(None, raw)
        second = conversation.message_ids.filtered(lambda m: m.message_type == "email").sorted("id")[-1]
        self.assertIn("Dziękuję", second.body)
        self.assertEqual(self._decisions(second).workflow_id, self.workflow)

    def test_threads_of_marketplace_and_e_mail_conversations(self):
        """A marketplace conversation is threaded by the marketplace: its messages stand alone (Odoo's flat-thread
        lookup of the first message is left out) and our reply hangs under the buyer message it answers; an e-mail
        conversation keeps Odoo's threading, which gives the e-mails their References."""
        first = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        second = self._post_buyer(self.conv_allegro, "Hello?")
        self.assertFalse(first.parent_id)
        self.assertFalse(second.parent_id)
        self._send_due()
        replies = self.conv_allegro.message_ids.filtered(lambda message: message.responso_kind == "auto_reply")
        self.assertEqual(replies.parent_id, first, "the reply answers the first message (one per interval)")
        e_first = self._post_buyer(self.conv_email, "Invoice, please")
        e_second = self._post_buyer(self.conv_email, "Any news?")
        self.assertEqual(e_second.parent_id, e_first.parent_id or e_first)
