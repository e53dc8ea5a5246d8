import re
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .common import install_languages


def _screenshots(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002 - CDP's parameter name
    """Console hook: a tour step logging "responso_screenshot:<name>" gets a screenshot of the screen, saved
    with the test artefacts (Odoo's screenshots directory, `--screenshots`), never in the repository."""
    first = (args or [{}])[0].get("value")
    if type == "log" and isinstance(first, str) and first.startswith("responso_screenshot:"):
        name = re.sub(r"\W", "_", first.split(":", 1)[1])
        browser.take_screenshot(prefix=f"responso_{name}_")
    return _original_console(browser, type, args=args, stackTrace=stackTrace, **kw)


_original_console = ChromeBrowser._handle_console


@tagged("post_install", "-at_install", "is_tour")
class TestSellerTours(HttpCase):
    """Issue 9: a French seller clicks the seed's steps in Chromium, as a manager who is not an administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        install_languages(cls.env, "fr_FR")
        cls.company = cls.env.company
        cls.company.responso_tz = "Europe/Warsaw"
        cls.manager = new_test_user(
            cls.env, login="responso_tour_manager", name="Marie Gérante", lang="fr_FR", tz="Europe/Warsaw",
            groups="base.group_user,responso_autoresponder.group_responso_manager", company_id=cls.company.id)
        assert not cls.manager.has_group("base.group_system")
        ref = cls.env.ref
        cls.account = cls.env["responso.account"].create({
            "name": "Boutique Allegro", "integration_id": ref("responso_autoresponder.integration_allegro").id,
            "company_id": cls.company.id, "user_ids": [Command.set(cls.manager.ids)]})
        cls.buyer = cls.env["res.partner"].create({"name": "Jan Kowalski", "email": "jan.kowalski@example.com"})
        cls.conversation = cls.env["responso.conversation"].create({
            "name": "Où est mon colis ?", "account_id": cls.account.id,
            "source_id": ref("responso_autoresponder.source_allegro_messages").id, "buyer_id": cls.buyer.id})
        # demo data may hold workflows: each tour starts from its own
        cls.env["responso.workflow"].with_context(active_test=False).search([("is_template", "=", False)]).unlink()

    def _tour(self, name, url="/odoo"):
        with patch.object(ChromeBrowser, "_handle_console", _screenshots):
            # a generous overall limit: the machines running the suite are shared (steps still wait for the DOM)
            self.start_tour(url, name, login=self.manager.login, timeout=240)

    def test_seed_walkthrough_in_french(self):
        """(a) The seed's steps, with the seed's labels, end with the workflow answering an Allegro buyer."""
        self._tour("responso_seed_walkthrough")
        workflow = self.env["responso.workflow"].search([("name", "=", "Allegro : nous répondons sous 24 heures")])
        self.assertEqual(len(workflow), 1)
        self.assertTrue(workflow.active)
        self.assertEqual(workflow.create_uid, self.manager)
        self.assertEqual(workflow.action_ids.action_type, "send_message")
        self.assertEqual(sorted(workflow.condition_ids.mapped("kind")), ["source", "trigger"])
        source = workflow.condition_ids.filtered(lambda c: c.kind == "source")
        self.assertEqual(source.source_ids, self.env.ref("responso_autoresponder.source_allegro_discussions")
                         | self.env.ref("responso_autoresponder.source_allegro_messages"))
        decision = self.env["responso.decision"].search(
            [("workflow_id", "=", workflow.id), ("conversation_id", "=", self.conversation.id)])
        self.assertTrue(decision.answers, decision.reason)
        # the sending cron runs in its own process in production; here it runs between the two tours
        self.env["responso.reply"]._cron_send_due()
        self.assertEqual(self.env["responso.reply"].search([("workflow_id", "=", workflow.id)]).state, "sent")
        self._tour("responso_seed_chatter", f"/odoo/responso.conversation/{self.conversation.id}")

    def test_templates_in_two_clicks(self):
        """(b) Each template is added in two clicks (Templates, Add) and shows the company's timezone."""
        self._tour("responso_templates_two_clicks")
        added = self.env["responso.workflow"].search([("is_template", "=", False)])
        self.assertEqual(len(added), 3)
        self.assertEqual(set(added.mapped("tz")), {"Europe/Warsaw"})
        self.assertTrue(all(added.mapped("active")))

    def test_templates_are_read_only_for_managers(self):
        """A shared template opens read-only for a manager (only administrators change it: record rules), who
        still adds copies from it."""
        template = self.env.ref("responso_autoresponder.template_amazon")
        before = (template.name, template.condition_ids, template.action_ids.body_html)
        self.assertTrue(template.with_user(self.manager).template_locked)
        self.assertFalse(template.with_user(self.env.ref("base.user_admin")).template_locked,
                         "the administrator may change it")
        self._tour("responso_template_read_only")
        self.assertEqual((template.name, template.condition_ids, template.action_ids.body_html), before)

    def test_amazon_warning_and_its_delay(self):
        """A workflow built by hand for Amazon warns on the form and adds the 10-minute delay in one click."""
        self._tour("responso_amazon_delay")
        workflow = self.env["responso.workflow"].search([("name", "=", "Amazon fait maison")])
        delay = workflow.condition_ids.filtered(lambda c: c.kind == "delay")
        self.assertEqual((delay.delay_amount, delay.delay_unit), (10, "minutes"))
        self.assertFalse(workflow.amazon_without_delay)

    def test_template_message_rewritten_in_the_form(self):
        """The seed's templates "personnalisez-les selon vos besoins": the weekend template added and its message
        rewritten in the French form; the template's own English text (every language's fallback) follows the
        edit, so no buyer gets the template's message the seller replaced."""
        template = self.env.ref("responso_autoresponder.template_weekend_action")
        field = template._fields["body_html"]
        self.assertEqual(set(field._get_stored_translations(template)), {"en_US", "fr_FR"})
        self._tour("responso_template_message_rewritten",
                   "/odoo/action-responso_autoresponder.responso_workflow_action")
        copy = self.env["responso.workflow"].search([("is_template", "=", False)])
        self.assertEqual(len(copy), 1)
        texts = field._get_stored_translations(copy.action_ids)
        self.assertIn("Boutique fermée jusqu'au 7 janvier", texts["fr_FR"])
        self.assertEqual(texts, {"en_US": texts["fr_FR"], "fr_FR": texts["fr_FR"]})
        self.assertEqual(copy.action_ids.write_uid, self.manager)

    def test_disable_enable_delete_from_the_list(self):
        """(c) A disabled workflow stays in the list, greyed; "…" > Modifier / Supprimer."""
        weekend = self._workflow("Week-end maison")
        other = self._workflow("Hors horaires maison")
        self._tour("responso_list_disable_enable_delete")
        self.assertFalse(weekend.exists())
        self.assertTrue(other.exists())
        self.assertFalse(other.active, "disabled from the list, kept")

    def _workflow(self, name):
        return self.env["responso.workflow"].create({
            "name": name, "description": f"{name} : test", "company_id": self.company.id, "tz": "Europe/Warsaw",
            "condition_ids": [Command.create({"kind": "trigger", "trigger": "each_message"})],
            "action_ids": [Command.create({"body_html": "<p>Nous lirons votre message lundi.</p>"})],
        })
