from odoo import Command
from odoo.tests import Form, tagged

from .common import ResponsoCase

FORM_VIEW = "responso_autoresponder.responso_workflow_view_form"


@tagged("post_install", "-at_install")
class TestTimezone(ResponsoCase):
    """New workflows and template copies never fall silently to UTC: the autoresponder's timezone, else the
    company's, else the user's, else the browser's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the common case the seller met: Odoo leaves the company's timezone empty
        cls.company.write({"responso_tz": False})
        cls.company.partner_id.tz = False
        cls.manager.tz = False

    def _new_workflow(self, user, **context):
        form = Form(self.env["responso.workflow"].with_user(user).with_context(**context), view=FORM_VIEW)
        form.name = "Timezone"
        form.description = "Which timezone a new workflow takes"
        with form.action_ids.new() as action:
            action.body_html = "<p>Hi</p>"
        with form.condition_ids.new() as condition:
            condition.kind = "trigger"
            condition.trigger = "each_message"
        return form.save()

    def _copy_template(self, user, **context):
        template = self.env.ref("responso_autoresponder.template_weekend").with_user(user).with_context(**context)
        return self.env["responso.workflow"].browse(template.action_add_from_template()["res_id"])

    def test_browser_timezone_when_nothing_else_is_known(self):
        """The web client's timezone (``tz`` in the context, as for a user's first login), not UTC."""
        self.assertEqual(self._new_workflow(self.manager, tz="Europe/Paris").tz, "Europe/Paris")
        self.assertEqual(self._copy_template(self.manager, tz="Europe/Paris").tz, "Europe/Paris",
                         "the template shows Europe/Warsaw; the copy takes the seller's timezone")

    def test_order_of_precedence(self):
        cases = [
            ("user", {"manager": "America/Montreal"}, "America/Montreal"),
            ("company", {"manager": "America/Montreal", "partner": "Europe/Lisbon"}, "Europe/Lisbon"),
            ("autoresponder", {"manager": "America/Montreal", "partner": "Europe/Lisbon",
                               "responso": "Europe/Warsaw"}, "Europe/Warsaw"),
        ]
        for label, values, expected in cases:
            with self.subTest(label):
                self.manager.tz = values.get("manager", False)
                self.company.partner_id.tz = values.get("partner", False)
                self.company.responso_tz = values.get("responso", False)
                self.assertEqual(self._new_workflow(self.manager, tz="Asia/Tokyo").tz, expected)
                self.assertEqual(self._copy_template(self.manager, tz="Asia/Tokyo").tz, expected)

    def test_workflow_of_another_company_takes_that_company_timezone(self):
        self.company_2.responso_tz = "Asia/Tokyo"
        workflow = self.env["responso.workflow"].with_context(tz="Europe/Paris").create({
            "name": "Tokyo", "description": "Other company", "company_id": self.company_2.id,
            "condition_ids": [Command.create({"kind": "trigger", "trigger": "each_message"})],
            "action_ids": [Command.create({"body_html": "<p>Hi</p>"})],
        })
        self.assertEqual(workflow.tz, "Asia/Tokyo")

    def test_settings_say_which_timezone_applies(self):
        admin = self.user_admin
        admin.tz = False
        settings = Form(self.env["res.config.settings"].with_user(admin).with_context(tz="Europe/Paris"))
        self.assertFalse(settings.responso_tz, "no autoresponder timezone: the Settings prompt for one")
        self.assertIn("Paris Time", settings.responso_tz_explained)
        self.assertIn("your browser", settings.responso_tz_explained)
        settings.responso_tz = "Europe/Warsaw"
        self.assertIn("Warsaw Time", settings.responso_tz_explained, "the value being edited decides")
        self.assertIn("the autoresponder's timezone", settings.responso_tz_explained)
        settings.save()
        self.assertEqual(self.company.responso_tz, "Europe/Warsaw")
