from markupsafe import Markup

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ResponsoCase


@tagged("post_install", "-at_install")
class TestHostileCalls(ResponsoCase):
    """Calls a user can make over RPC (``with_user``, no sudo) that must not reach past their rights: the
    autoresponder's message values, the accounts' polling jobs, a held conversation, any message's text through
    the Test wizard; and values a client may send that must give a clear error, not a server error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = mail_new_test_user(cls.env, login="responso_portal_rpc", name="Pia Portal",
                                        company_id=cls.company.id, groups="base.group_portal")
        cls.agent_b = mail_new_test_user(
            cls.env, login="responso_agent_b", name="Bruno Agent B", company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)],
            groups="base.group_user,responso_autoresponder.group_responso_user")

    def test_no_forged_marketplace_message(self):
        """A message created directly (any user may create one linked to no record) cannot claim a marketplace
        message id: the poll would take the real buyer message for stored and never answer it."""
        values = {"message_type": "comment", "body": "x", "responso_source_id": self.src_messages.id,
                  "responso_account_id": self.acc_allegro.id, "responso_external_id": "upcoming-42",
                  "responso_kind": "buyer"}
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login):
                forged = self.env["mail.message"].with_user(user).create(dict(values))
                self.assertFalse(forged.sudo().responso_external_id or forged.sudo().responso_kind)
        with self.assertRaises(AccessError):  # Odoo refuses portal users a message on no record
            self.env["mail.message"].with_user(self.portal).create(dict(values))
        self.assertFalse(self.env["mail.message"]._responso_stored(self.src_messages.id, self.acc_allegro.id,
                                                                   "upcoming-42"))
        stored = self.conv_allegro.responso_post_buyer_message(Markup("<p>Where is it?</p>"), external_id="m-7")
        self.assertEqual(stored.responso_external_id, "m-7", "our own paths keep them")

    def test_no_role_rewritten_on_a_message(self):
        posted = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        # as an RPC call meets it: a fresh context (the posted record carries our code's own)
        message = self.env["mail.message"].with_user(self.agent).browse(posted.id)
        message.write({"body": "<p>Where is my parcel? (edited)</p>"})  # an agent may edit its text
        for values in ({"responso_kind": "auto_reply"}, {"responso_external_id": "x"},
                       {"responso_account_id": self.acc_allegro_2.id}):
            with self.subTest(values), self.assertRaises(AccessError):
                message.write(values)
        self.assertEqual(posted.responso_kind, "buyer")

    def test_polling_job_is_the_accounts_own(self):
        """A manager cannot point an account's polling job at another job (saving the account renames and stops
        it as superuser); a job that is not the account's own is left alone."""
        sender = self.env.ref("responso_autoresponder.ir_cron_send_due_replies")
        account = self.acc_allegro.with_user(self.manager)
        with self.assertRaises(AccessError):
            account.write({"poll_cron_id": sender.id, "active": False})
        self.acc_allegro.sudo().poll_cron_id = sender  # as if set by hand
        account.write({"name": "Shop Allegro (renamed)"})
        self.assertTrue(sender.active)
        self.assertNotIn("Shop Allegro", sender.name)
        own = self.acc_allegro.sudo().poll_cron_id
        self.assertNotEqual(own, sender)
        self.assertIn("renamed", own.name)
        account.unlink()  # the account's own job goes with it, whoever deletes the account
        self.assertFalse(own.exists())
        self.assertTrue(sender.exists())

    def test_release_needs_the_right_to_edit_the_conversation(self):
        self.conv_allegro.sudo().responso_hold_reason = "out of office"
        for user in (self.portal, self.agent_b):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.conv_allegro.with_user(user).action_responso_release()
        self.assertEqual(self.conv_allegro.responso_hold_reason, "out of office")
        self.conv_allegro.with_user(self.agent).action_responso_release()
        self.assertFalse(self.conv_allegro.responso_hold_reason)

    def test_test_wizard_shows_only_a_buyer_message_of_the_conversation(self):
        """The Test wizard showed the text of any message whose id it was given (mail.message fields are read as
        superuser): another company's, a private chat's."""
        secret = self.env["res.partner"].create({"name": "HR"}).message_post(
            body="Salary review: confidential", message_type="comment")
        buyer_message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        workflow = self._workflow("Each message")
        Wizard = self.env["responso.workflow.test.wizard"].with_user(self.agent)
        for values in ({"message_id": secret.id}, {"message_id": secret.id, "conversation_id": self.conv_allegro.id},
                       {"message_id": buyer_message.id, "conversation_id": self.conv_email.id}):
            with self.subTest(values), self.assertRaises(AccessError):
                wizard = Wizard.create(dict(values, workflow_id=workflow.id, mode="conversation"))
                wizard.read(["body"])
        wizard = Wizard.create({"workflow_id": workflow.id, "mode": "conversation",
                                "conversation_id": self.conv_allegro.id})
        self.assertEqual(wizard.message_id, buyer_message)
        self.assertIn("Where is my parcel?", wizard.body)
        with self.assertRaises(AccessError):  # another company's conversation: its history is not judged
            Wizard.with_user(self.agent_b).create({"workflow_id": workflow.id, "mode": "conversation",
                                                   "conversation_id": self.conv_allegro.id}).read(["verdict"])

    def test_out_of_range_values_give_clear_errors(self):
        Decision = self.env["responso.decision"].with_user(self.manager)
        self.assertFalse(Decision.search([("skipped_workflow_id", "=", 2**40)]))
        self.assertFalse(Decision.search([("skipped_workflow_id", "in", [-1, 0, 2**31])]))
        workflow = self._workflow("Each message")
        replay = self.env["responso.workflow.replay.wizard"].with_user(self.manager).create(
            {"workflow_id": workflow.id, "days": 10**8})
        self.assertEqual(replay.message_count, 0)
        holidays = self.env["responso.calendar.holidays.wizard"].with_user(self.manager)
        with self.assertRaises(UserError):
            holidays.create({"calendar_id": self.company.resource_calendar_id.id, "country_code": "PL",
                             "year_from": -3, "year_to": 2}).action_apply()

    def test_buyer_message_values_from_a_json_client(self):
        """responso_post_buyer_message is callable over RPC: a JSON client sends ids and signals in other shapes."""
        conversation = self.conv_allegro.with_user(self.agent)
        with self.assertRaises(UserError):
            conversation.responso_post_buyer_message("Hello", auto_signal={"rule": "x", "strength": "hard"})
        with self.assertRaises(UserError):
            conversation.responso_post_buyer_message("Hello", external_id=["a", "b"])
        stored = conversation.responso_post_buyer_message("Hello", external_id=12345)
        self.assertEqual(stored.sudo().responso_external_id, "12345")

    def test_shared_catalogue_is_changed_by_administrators(self):
        """Integrations and sources are shared by every company: a manager of one company switching Allegro's
        transport would stop every company's Allegro replies. Managers read them; administrators change them."""
        for record, values in ((self.int_allegro, {"transport": "chatter"}), (self.src_messages, {"active": False})):
            with self.subTest(record=record.display_name), self.assertRaises(AccessError):
                record.with_user(self.manager).write(values)
            self.assertTrue(record.with_user(self.manager).display_name)
        self.int_allegro.with_user(self.user_admin).write({"name": "Allegro"})

    def test_answer_time_record_is_the_autoresponders(self):
        """Agents edit conversations (tags, assignment…) but not the response clock's record (when the buyer started
        waiting, who answered), nor silence a buyer's automatic replies on the partner."""
        self._post_buyer(self.conv_allegro, "Where is my parcel?")
        conversation = self.conv_allegro.with_user(self.agent)
        for values in ({"responso_clock_stopped_at": "2026-12-01 10:00:00"},
                       {"responso_clock_stopped_by_id": self.agent.partner_id.id}, {"responso_deadline": False}):
            with self.subTest(values), self.assertRaises(AccessError):
                conversation.write(values)
        conversation.write({"user_id": self.agent.id})  # what agents do is still allowed
        self.assertTrue(self.conv_allegro.responso_deadline)
        clerk = mail_new_test_user(self.env, login="responso_clerk", name="Cleo Contacts",
                                   groups="base.group_user,base.group_partner_manager")
        with self.assertRaises(AccessError):
            self.buyer.with_user(clerk).write({"responso_autoreply_blocked_until": "2030-01-01 00:00:00"})
        self.buyer.with_user(clerk).write({"phone": "+48 600 000 000"})  # any other contact detail
        self.assertFalse(self.buyer.responso_autoreply_blocked_until)
