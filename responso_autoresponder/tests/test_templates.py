from datetime import timedelta

from odoo.tests import Form, tagged, users
from odoo.tools.safe_eval import safe_eval

from .common import ResponsoCase, warsaw

TEMPLATES = ("template_amazon", "template_weekend", "template_out_of_hours")


@tagged("post_install", "-at_install")
class TestTemplates(ResponsoCase):
    """The seed's three templates, added in two clicks and answering at the seed's times."""

    def _add(self, xmlid):
        template = self.env.ref(f"responso_autoresponder.{xmlid}")
        action = template.action_add_from_template()
        return self.env["responso.workflow"].browse(action["res_id"])

    def test_gallery_lists_the_templates(self):
        action = self.env.ref("responso_autoresponder.responso_workflow_template_action")
        templates = self.env["responso.workflow"].search(safe_eval(action.domain))
        for xmlid in TEMPLATES:
            self.assertIn(self.env.ref(f"responso_autoresponder.{xmlid}"), templates)

    @users("responso_manager")
    def test_add_creates_an_active_editable_copy(self):
        workflow = self._add("template_weekend")
        template = self.env.ref("responso_autoresponder.template_weekend")
        self.assertTrue(workflow.active)
        self.assertFalse(workflow.is_template)
        self.assertEqual(workflow.company_id, self.env.company)
        self.assertEqual(workflow.tz, "Europe/Warsaw")
        self.assertEqual(workflow.name, template.name)
        self.assertNotEqual(workflow.condition_ids, template.condition_ids)
        with Form(workflow, view="responso_autoresponder.responso_workflow_view_form") as form:
            with form.action_ids.edit(0) as action:
                action.body_html = "<p>Back on Monday!</p>"
        self.assertIn("Back on Monday!", workflow.action_ids.body_html)
        self.assertNotIn("Back on Monday!", template.action_ids.body_html, "the template is untouched")

    def test_templates_at_the_seed_times(self):
        amazon, weekend, out_of_hours = (self._add(xmlid) for xmlid in TEMPLATES)
        cases = [
            ("Saturday 11:00", warsaw(2026, 11, 28, 11, 0), self.conv_allegro, weekend),
            ("Tuesday 19:00", warsaw(2026, 12, 1, 19, 0), self.conv_allegro, out_of_hours),
            ("Tuesday 12:00", warsaw(2026, 12, 1, 12, 0), self.conv_allegro, None),
            ("Sunday 22:00", warsaw(2026, 11, 29, 22, 0), self.conv_allegro, weekend),
            ("Amazon, Tuesday 12:00", warsaw(2026, 12, 1, 12, 0), self.conv_amazon, amazon),
            ("Amazon, Sunday 22:00", warsaw(2026, 11, 29, 22, 0), self.conv_amazon, amazon),
        ]
        for index, (label, at, conversation, expected) in enumerate(cases):
            with self.subTest(label):
                buyer = self.env["res.partner"].create({"name": f"Buyer {index}"})
                thread = self._conversation(conversation.account_id, conversation.source_id, buyer, label)
                message = self._post_buyer(thread, at=at)
                replies = self._replies(message)
                if expected is None:
                    self.assertFalse(replies, f"{label}: no template answers")
                    continue
                self.assertEqual(len(replies), 1, f"{label}: exactly one answer")
                self.assertEqual(replies.workflow_id, expected)
        # Sunday 22:00: both weekend and out-of-hours match; out-of-hours is recorded as skipped
        message = self.env["responso.decision"].search([("workflow_id", "=", weekend.id), ("answers", "=", True)],
                                                       order="id desc", limit=1).message_id
        skipped = self._decisions(message).filtered(lambda d: d.workflow_id == out_of_hours)
        self.assertEqual(skipped.reason_code, "already_answered")

    def test_amazon_template_waits_before_answering(self):
        amazon = self._add("template_amazon")
        at = warsaw(2026, 12, 1, 12, 0)
        message = self._post_buyer(self.conv_amazon, at=at)
        reply = self._replies(message)
        self.assertEqual(reply.workflow_id, amazon)
        self.assertEqual(reply.send_at, at + timedelta(minutes=10))
        with self.mock_mail_gateway():
            self._send_due(at=at + timedelta(minutes=9))
            self.assertEqual(reply.state, "scheduled")
            self._send_due(at=at + timedelta(minutes=10))
        self.assertEqual(reply.state, "sent")
        self.assertSentEmail(self.company.email_formatted, [self.buyer])

    def test_template_texts_translated(self):
        for lang, word in (("fr_FR", "Merci"), ("pl_PL", "Dziękujemy")):
            with self.subTest(lang):
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"]._load_module_terms(["responso_autoresponder"], [lang], overwrite=True)
                for xmlid in TEMPLATES:
                    template = self.env.ref(f"responso_autoresponder.{xmlid}").with_context(lang=lang)
                    self.assertIn(word, template.action_ids.body_html, f"{xmlid} in {lang}")
                    self.assertNotEqual(template.name, template.with_context(lang="en_US").name)
