from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import is_html_empty


class ResponsoWorkflowAction(models.Model):
    """One action line of a workflow. Today: send a message (formatted HTML with placeholders).

    Bodies render with mail.render.mixin, as mail.template does: the placeholders the conversation allows
    (``responso.conversation.mail_allowed_qweb_expressions``, e.g. ``<t t-out="object.buyer_id.name"/>``) are
    open to every manager, anything more needs the "Mail Template Editor" group, and rendering happens in the
    sending cron.

    ``_unrestricted_rendering``: as on mail.template, the check happens when a body is saved (create, write,
    translations: ``_check_access_right_dynamic_template``), and a saved body is trusted when rendered. This is
    what makes a non-editor's body safe: the sending cron renders as superuser, so a body checked only at
    rendering time would run whatever a manager wrote with full rights."""

    _name = "responso.workflow.action"
    _description = "Workflow Action"
    _inherit = ["mail.render.mixin"]
    _order = "sequence, id"
    _unrestricted_rendering = True
    _check_company_auto = True

    workflow_id = fields.Many2one("responso.workflow", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="workflow_id.company_id")
    sequence = fields.Integer(default=10)
    action_type = fields.Selection([("send_message", "Send a message")], string="Action", required=True,
                                   default="send_message")
    body_html = fields.Html("Message", translate=True, sanitize="email_outgoing", render_engine="qweb",
                            render_options={"post_process": True},
                            help="Sent to the buyer. Placeholders: the buyer's name, the order reference, "
                                 "the account's name…")

    @api.depends("workflow_id")
    def _compute_render_model(self):
        self.render_model = "responso.conversation"

    @api.constrains("action_type", "body_html")
    def _check_body(self):
        for action in self:
            if action.action_type == "send_message" and is_html_empty(action.body_html):
                raise ValidationError(_("Workflow “%(name)s”: write the message to send.",
                                        name=action.workflow_id.name))

    def _responso_render(self, record, lang):
        """The message body for `record` in `lang` (a plain str of HTML)."""
        self.ensure_one()
        action = self.with_context(lang=lang)
        return action._render_template(action.body_html, record._name, record.ids, engine="qweb",
                                       options={"post_process": True})[record.id]
