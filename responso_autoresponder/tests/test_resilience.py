"""Issue 8, fault 6: whatever fails in the autoresponder, the buyer's message is stored (never lost), the decision log
says why it was not answered, and the account's managers are told."""

from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RAW_EMAIL, ResponsoCase


@tagged("post_install", "-at_install")
class TestBuyerMessageNeverLost(ResponsoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Each message")

    def _broken(self):
        """A bug anywhere in the decision path (here: building the message's facts)."""
        return patch.object(type(self.env["responso.conversation"]), "_responso_facts",
                            side_effect=ZeroDivisionError("division by zero"))

    def test_a_bug_in_the_autoresponder_keeps_the_message(self):
        with self._broken(), self.assertLogs(
                "odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin", "ERROR") as logs:
            message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        self.assertTrue(message.exists(), "message_post returned the stored message")
        self.assertIn(message, self.conv_allegro.message_ids)
        self.assertIn(f"buyer message {message.id}", logs.output[0], "the log names the message")
        decision = self._decision(message)
        self.assertEqual(len(decision), 1, "one decision row per buyer message")
        self.assertEqual(decision.reason_code, "error")
        self.assertEqual(decision.reason, "autoresponder error: ZeroDivisionError: division by zero")
        self.assertFalse(self._replies(message))
        notice = self.acc_allegro.message_ids.filtered(lambda m: "autoresponder failed" in (m.body or ""))
        self.assertEqual(len(notice), 1, "the account's managers are told")
        self.assertIn(self.manager.partner_id, notice.partner_ids)
        # a second failure in the same hour: logged, not notified again
        with self._broken(), self.assertLogs(
                "odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin", "ERROR"):
            second = self._post_buyer(self.conv_allegro, "Hello again?")
        self.assertEqual(self._decision(second).reason_code, "error")
        self.assertEqual(len(self.acc_allegro.message_ids.filtered(
            lambda m: "autoresponder failed" in (m.body or ""))), 1)
        # once repaired, the next message is answered
        third = self._post_buyer(self.conv_allegro, "Third?")
        self.assertTrue(self._decision(third).answers)

    def test_the_mail_gateway_stores_the_mail_whatever_fails(self):
        self.env["mail.alias"].create({
            "alias_name": "shop-broken",
            "alias_model_id": self.env["ir.model"]._get_id("responso.conversation"),
            "alias_defaults": {"account_id": self.acc_email.id, "source_id": self.src_email.id},
            "alias_domain_id": self.mail_alias_domain.id,
        })
        raw = RAW_EMAIL.format(email_from="olga@example.org", to="shop-broken@test.mycompany.com",
                               subject="Broken day", msg_id="<olga-1@example.org>", extra="", body="Hello?")
        with self._broken(), self.mock_mail_gateway(), self.assertLogs(
                "odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin", "ERROR"):
            self.env["mail.thread"].sudo().message_process(None, raw)
        conversation = self.env["responso.conversation"].search([("name", "=", "Broken day")])
        message = conversation.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(message), 1, "the e-mail is stored")
        self.assertEqual(self._decision(message).reason_code, "error")

    def test_a_non_integer_cap_parameter_falls_back_to_the_default(self):
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_account_hour", "a hundred")
        with self.assertLogs("odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin_facts", "WARNING"):
            message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        self.assertTrue(self._decision(message).answers)
        self.assertEqual(self._decision(message).inputs["limits"]["account_hour"], 100)

    def test_caps_are_validated_on_save(self):
        for value in (-1, -100):
            with self.assertRaises(ValidationError):
                self.env["res.config.settings"].create({"responso_cap_account_hour": value})
        self.env["res.config.settings"].create({"responso_cap_account_hour": 0,
                                                "responso_cap_conversation_day": 5}).execute()
        self.assertEqual(self.env["ir.config_parameter"].get_param("responso_autoresponder.cap_conversation_day"),
                         "5")

    def test_deleting_the_working_hours_of_a_workflow_is_refused(self):
        calendar = self.env["resource.calendar"].create({"name": "Shop hours", "company_id": self.company.id})
        self._workflow("Office", conditions=[{"kind": "working_hours", "range_operator": "not_in",
                                              "calendar_id": calendar.id}])
        with self.assertRaisesRegex(UserError, "Office"):
            calendar.unlink()
        self.assertTrue(calendar.exists())

    def test_a_workflow_left_without_its_calendar_keeps_the_message(self):
        calendar = self.env["resource.calendar"].create({"name": "Gone hours", "company_id": self.company.id})
        workflow = self._workflow("Office", conditions=[{"kind": "working_hours", "range_operator": "not_in",
                                                         "calendar_id": calendar.id}], sequence=1)
        # the calendar disappears behind the ORM's back (an older version allowed it, or SQL)
        self.env.cr.execute("ALTER TABLE responso_workflow_condition DROP CONSTRAINT "
                            "responso_workflow_condition_calendar_id_fkey")
        self.env.cr.execute("UPDATE responso_workflow_condition SET calendar_id = NULL WHERE calendar_id = %s",
                            [calendar.id])
        self.env.cr.execute("DELETE FROM resource_calendar WHERE id = %s", [calendar.id])
        self.env.invalidate_all()
        self.env.registry.clear_cache()  # another worker compiles the workflows afresh
        self.assertTrue(workflow.active)
        with self.assertLogs("odoo.addons.responso_autoresponder.models.responso_autoresponder_mixin", "ERROR"):
            message = self._post_buyer(self.conv_allegro, "Where is my parcel?")
        self.assertIn(message, self.conv_allegro.message_ids)
        self.assertEqual(self._decision(message).reason_code, "error")
