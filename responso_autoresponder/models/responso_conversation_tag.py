from odoo import api, fields, models
from odoo.exceptions import UserError


class ResponsoConversationTag(models.Model):
    """A tag sellers put on conversations, by hand or by a workflow's action; workflows can ask for it."""

    _name = "responso.conversation.tag"
    _inherit = ["responso.clears.compiled"]
    _description = "Conversation Tag"
    _order = "name, id"
    _responso_name_fields = ("name",)  # shown in the decision log's reasons

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: shared by every company.")

    _sql_constraints = [
        ("name_company_unique", "UNIQUE(name, company_id)", "A tag with this name already exists."),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        _responso_refuse_used(self, {"responso.workflow.condition": "tag_ids", "responso.workflow.action": "tag_ids"})


class ResponsoConversationStatus(models.Model):
    """Where a conversation stands. A "closed" status closes the conversation (no queued reply goes out), any other
    keeps it open."""

    _name = "responso.conversation.status"
    _inherit = ["responso.clears.compiled"]
    _description = "Conversation Status"
    _order = "sequence, id"
    _responso_name_fields = ("name",)

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    is_closed = fields.Boolean(
        "Closed", help="Conversations in this status are closed: the autoresponder sends nothing more in them.")
    fold = fields.Boolean("Folded in Kanban")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: shared by every company.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        _responso_refuse_used(self, {"responso.workflow.condition": "status_ids",
                                     "responso.workflow.action": "status_id"})

    @api.model
    def _responso_default(self, closed, company=None):
        """The first status of that kind (open or closed) the company can use."""
        company = company or self.env.company
        return self.search([("is_closed", "=", closed), ("company_id", "in", (False, company.id))], limit=1)


def _responso_refuse_used(records, fields_by_model):
    """A tag or status named by a workflow's condition or action cannot be deleted (archive it instead)."""
    env = records.env
    for model, field_name in fields_by_model.items():
        lines = env[model].sudo().with_context(active_test=False).search([(field_name, "in", records.ids)], limit=1)
        if lines:
            raise UserError(env._("“%(name)s” is used by the workflow “%(workflow)s”: change the workflow first, or "
                              "archive it.", name=lines[field_name][:1].display_name,
                              workflow=lines.workflow_id.display_name))
