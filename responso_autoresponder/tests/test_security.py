from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from .common import ResponsoCase


@tagged("post_install", "-at_install")
class TestSecurity(ResponsoCase):
    """Managers edit workflows; agents read them and the log; companies see only their own records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Company 1")
        cls.workflow_2 = cls._workflow("Company 2", company_id=cls.company_2.id)
        cls.conv_2 = cls.env["responso.conversation"].create({
            "name": "Other company", "buyer_id": cls.buyer.id, "company_id": cls.company_2.id,
            "source_id": cls.src_email.id})

    @users("responso_agent")
    def test_agent_reads_but_does_not_edit_workflows(self):
        workflow = self.workflow.with_env(self.env)
        self.assertEqual(workflow.name, "Company 1")
        with self.assertRaises(AccessError):
            workflow.name = "Changed"
        with self.assertRaises(AccessError):
            self.env["responso.workflow"].create({"name": "x", "description": "y"})
        message = self._post_buyer(self.conv_allegro.with_env(self.env))
        self.assertTrue(self.env["responso.decision"].search([("message_id", "=", message.id)]))
        self.assertTrue(self.env["responso.reply"].search([("trigger_message_id", "=", message.id)]))
        with self.assertRaises(AccessError):
            self.env["responso.reply"].search([], limit=1).write({"state": "sent"})

    @users("responso_manager")
    def test_manager_edits_workflows(self):
        workflow = self.workflow.with_env(self.env)
        workflow.name = "Changed"
        self.assertEqual(workflow.name, "Changed")

    @users("responso_manager")
    def test_company_rules(self):
        """Truth table: records of a company the user is not in stay invisible; templates are shared."""
        Workflow = self.env["responso.workflow"]
        visible = Workflow.search([])
        self.assertIn(self.workflow, visible)
        self.assertNotIn(self.workflow_2, visible)
        self.assertIn(self.env.ref("responso_autoresponder.template_weekend"),
                      Workflow.search([("is_template", "=", True)]))
        conversations = self.env["responso.conversation"].search([])
        self.assertIn(self.conv_allegro, conversations)
        self.assertNotIn(self.conv_2, conversations)
