from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged, users

from .common import ResponsoCase

FORM_VIEW = "responso_autoresponder.responso_workflow_view_form"


@tagged("post_install", "-at_install")
class TestWorkflowForm(ResponsoCase):
    """A manager builds workflows through the form, as the seed walks through it."""

    @users("responso_manager")
    def test_seed_first_autoresponder(self):
        """The seed's first autoresponder: each new message, sources Allegro Discussions and Message Center."""
        form = Form(self.env["responso.workflow"], view=FORM_VIEW)
        form.name = "Allegro: we answer within 24 hours"
        form.description = "Answers Allegro Discussions and Message Center buyers"
        self.assertTrue(form.active, "A new workflow is active by default.")
        with form.action_ids.new() as action:
            self.assertEqual(action.action_type, "send_message", "Send a message is the default action.")
            action.body_html = '<p>Thank you! An agent answers within <b>24 hours</b>. <a href="https://shop.example.com/faq">FAQ</a></p>'
        with form.condition_ids.new() as condition:
            self.assertEqual(condition.kind, "source", "Source is the default condition.")
            condition.kind = "trigger"
            condition.trigger = "each_message"
        with form.condition_ids.new() as condition:
            self.assertEqual(condition.operator, "in")
            condition.source_ids.add(self.src_discussions)
            condition.source_ids.add(self.src_messages)
        workflow = form.save()
        self.assertEqual(workflow.tz, "Europe/Warsaw", "The timezone defaults to the company's.")
        self.assertEqual(workflow.company_id, self.env.company)
        self.assertEqual(workflow.interval_minutes, 1440, "one automatic reply per buyer and day by default")
        self.assertEqual(len(workflow.condition_ids), 2)
        self.assertIn('<a href="https://shop.example.com/faq">', workflow.action_ids.body_html)
        self.assertIn("<b>24 hours</b>", workflow.action_ids.body_html)

        # it answers an Allegro message, not an e-mail
        message = self._post_buyer(self.conv_allegro.with_user(self.env.user).sudo())
        self.assertEqual(self._answering(message), workflow)
        message = self._post_buyer(self.conv_email)
        self.assertFalse(self._answering(message))
        self.assertEqual(self._decisions(message).reason_code, "not_one_of")
        self.assertIn("E-mail is not one of Allegro Discussions, Allegro Message Center",
                      self._decisions(message).reason)

    @users("responso_manager")
    def test_name_and_description_required(self):
        for name, description in (("", "Something"), ("Name", ""), ("   ", "Something"), ("Name", "  \n ")):
            with self.subTest(name=name, description=description):
                with self.assertRaises(ValidationError) as caught:
                    self._workflow(name="x").write({"name": name, "description": description})
                self.assertTrue("name" in str(caught.exception) or "Describe" in str(caught.exception))
        form = Form(self.env["responso.workflow"], view=FORM_VIEW)
        form.name = "No description"
        with form.action_ids.new() as action:
            action.body_html = "<p>Hi</p>"
        with form.condition_ids.new() as condition:
            condition.kind = "trigger"
        with self.assertRaises(AssertionError, msg="the form refuses to save without a description"):
            form.save()

    @users("responso_manager")
    def test_condition_validation(self):
        cases = [
            ({"kind": "source"}, "choose at least one value"),
            ({"kind": "account"}, "choose at least one value"),
            ({"kind": "integration"}, "choose at least one value"),
            ({"kind": "weekday"}, "choose at least one value"),
            ({"kind": "trigger", "trigger": False}, "choose at least one value"),
            ({"kind": "time_window", "time_from": 18.0, "time_to": 18.0}, "starts and ends at the same time"),
            ({"kind": "time_window", "time_from": 0.0, "time_to": 24.0}, "starts and ends at the same time"),
            ({"kind": "time_window", "time_from": 25.0, "time_to": 3.0}, "between 00:00 and 24:00"),
            ({"kind": "working_hours", "calendar_id": False}, "choose the working hours"),
            ({"kind": "delay", "delay_amount": -5}, "cannot be negative"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._workflow(conditions=[values])
            self.assertIn(message, str(caught.exception))

    @users("responso_manager")
    def test_unknown_timezone_refused(self):
        workflow = self._workflow()
        with self.assertRaises(ValidationError) as caught:
            workflow.tz = "Mars/Olympus"
        self.assertEqual(str(caught.exception), "Unknown timezone “Mars/Olympus”.")
        self.assertEqual(workflow.tz, "Europe/Warsaw", "nothing changed")

    @users("responso_manager")
    def test_needs_a_condition_and_an_action(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["responso.workflow"].create({
                "name": "No action", "description": "d",
                "condition_ids": [Command.create({"kind": "trigger"})]})
        self.assertIn("at least one action", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self.env["responso.workflow"].create({
                "name": "No condition", "description": "d",
                "action_ids": [Command.create({"body_html": "<p>Hi</p>"})]})
        self.assertIn("at least one condition", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self._workflow(body="<p><br></p>")
        self.assertIn("write the message", str(caught.exception))

    @users("responso_manager")
    def test_edit_duplicate_disable_delete(self):
        workflow = self._workflow("Weekend", conditions=[
            {"kind": "weekday", "weekday_ids": [Command.set(self._weekdays(5, 6))]}])
        copy = workflow.copy()
        self.assertEqual(copy.name, "Weekend (copy)")
        self.assertEqual(copy.condition_ids.weekday_ids, workflow.condition_ids.weekday_ids)
        self.assertNotEqual(copy.action_ids, workflow.action_ids)
        with Form(workflow, view=FORM_VIEW) as form:
            form.active = False
        self.assertFalse(workflow.active)
        copy.unlink()
        self.assertFalse(copy.exists())

    @users("responso_manager")
    def test_marketplace_content_rules_checked_on_save(self):
        long_body = "<p>" + "Thank you for your message. " * 80 + "</p>"  # 2,240 characters
        with self.assertRaises(ValidationError) as caught:
            self._workflow(body=long_body, conditions=[
                {"kind": "source", "source_ids": [Command.set(self.src_messages.ids)]}])
        self.assertIn("Allegro Message Center accepts 2000", str(caught.exception))
        # the same text is fine where the channel takes it (Allegro Discussions: 20,000)
        self._workflow(body=long_body, conditions=[
            {"kind": "source", "source_ids": [Command.set(self.src_discussions.ids)]}])

        ebay = self._workflow(body='<p>Questions? <a href="https://shop.example.com">shop.example.com</a> or '
                                   "help@shop.example.com</p>", conditions=[
            {"kind": "source", "source_ids": [Command.set(self.src_ebay.ids)]}])
        self.assertIn("eBay forbids contact details and links", ebay.content_warnings)
        self.assertIn("help@shop.example.com", ebay.content_warnings)
        ebay.condition_ids.source_ids = self.src_messages
        self.assertFalse(ebay.content_warnings, "Allegro has no such rule")

    def _weekdays(self, *numbers):
        return self.env["responso.weekday"].search([("number", "in", numbers)]).ids
