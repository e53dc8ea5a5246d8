from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import is_html_empty

ACTION_TYPES = [
    ("send_message", "Send a message"),
    ("add_tags", "Add tags"),
    ("remove_tags", "Remove tags"),
    ("assign", "Assign"),
    ("set_status", "Set the status"),
    ("post_note", "Post an internal note"),
    ("no_answer_needed", "Mark \"no answer needed\""),
]


class ResponsoWorkflowAction(models.Model):
    """One action line of a workflow: send a message (formatted HTML with placeholders, queued), or act on the
    conversation at once (tags, assignment, status, internal note, "no answer needed"), in the lines' order.

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
    action_type = fields.Selection(ACTION_TYPES, string="Action", required=True, default="send_message")
    # archived tags and statuses still count: an action never loses its values silently
    tag_ids = fields.Many2many("responso.conversation.tag", string="Tags", context={"active_test": False})
    status_id = fields.Many2one("responso.conversation.status", ondelete="restrict",
                                context={"active_test": False})
    assign_to = fields.Selection(
        [("agent", "An agent"), ("team", "The account's team (round robin)")], default="agent", required=True,
        help="The account's team: its agents in turn, one conversation each.")
    user_id = fields.Many2one("res.users", string="Agent", domain=[("share", "=", False)])
    note_body = fields.Html("Internal Note", sanitize=True, help="Posted in the conversation for agents only.")
    details = fields.Char(compute="_compute_details", help="What the action does, in one line.")
    body_html = fields.Html("Message", translate=True, sanitize="email_outgoing", render_engine="qweb",
                            render_options={"post_process": True},
                            help="Sent to the buyer. Placeholders: the buyer's name, the order reference, "
                                 "the account's name…")

    @api.depends("workflow_id")
    def _compute_render_model(self):
        self.render_model = "responso.conversation"

    @api.constrains("action_type", "body_html", "tag_ids", "status_id", "assign_to", "user_id", "note_body")
    def _check_body(self):
        for action in self:
            name = action.workflow_id.name
            kind = action.action_type
            if kind == "send_message" and is_html_empty(action.body_html):
                raise ValidationError(_("Workflow “%(name)s”: write the message to send.", name=name))
            if kind in ("add_tags", "remove_tags") and not action.tag_ids:
                raise ValidationError(_("Workflow “%(name)s”: choose the tags to add or remove.", name=name))
            if kind == "set_status" and not action.status_id:
                raise ValidationError(_("Workflow “%(name)s”: choose the status to set.", name=name))
            if kind == "assign" and action.assign_to == "agent" and not action.user_id:
                raise ValidationError(_("Workflow “%(name)s”: choose the agent to assign.", name=name))
            if kind == "post_note" and is_html_empty(action.note_body):
                raise ValidationError(_("Workflow “%(name)s”: write the internal note.", name=name))

    @api.depends("action_type", "body_html", "tag_ids", "status_id", "assign_to", "user_id", "note_body")
    @api.depends_context("lang")
    def _compute_details(self):
        for action in self:
            kind = action.action_type
            if kind in ("add_tags", "remove_tags"):
                action.details = ", ".join(action.tag_ids.mapped("display_name"))
            elif kind == "set_status":
                action.details = action.status_id.display_name or ""
            elif kind == "assign":
                action.details = (action.user_id.display_name or "" if action.assign_to == "agent"
                                  else dict(self._fields["assign_to"]._description_selection(self.env))["team"])
            elif kind == "post_note":
                action.details = tools.html2plaintext(action.note_body or "")[:80]
            else:
                action.details = ""

    @tools.ormcache("company_id")
    def _responso_action_types(self, company_id):
        """{action id: type} of the company's workflows, cached with the compiled workflows (cleared together):
        the hot path knows which actions send without reading them."""
        actions = self.sudo().search([("workflow_id.company_id", "=", company_id)])
        return {action.id: action.action_type for action in actions}

    def _responso_render(self, record, lang):
        """The message body for `record` in `lang` (a plain str of HTML)."""
        self.ensure_one()
        action = self.with_context(lang=lang)
        return action._render_template(action.body_html, record._name, record.ids, engine="qweb",
                                       options={"post_process": True})[record.id]

    def write(self, vals):
        self.env["responso.workflow"]._responso_check_line_target(vals)
        return super().write(vals)
