from odoo import api, fields, models


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoConversation(models.Model):
    """What the workflows' conditions read on a conversation beyond its messages: tags, status, return thread."""

    _inherit = "responso.conversation"

    responso_is_return = fields.Boolean(
        "Return / Post-purchase Issue", copy=False, tracking=True,
        help="The marketplace's return or post-purchase issue thread (set by the connectors that know it). "
             "Workflows can ask for it with the condition “Return created”.")
    tag_ids = fields.Many2many("responso.conversation.tag")
    user_id = fields.Many2one("res.users", string="Assigned Agent", index="btree_not_null", tracking=True,
                              domain=[("share", "=", False)])
    status_id = fields.Many2one(
        "responso.conversation.status", index=True, tracking=True, copy=False,
        compute="_compute_status_id", store=True, readonly=False, ondelete="restrict",
        group_expand="_read_group_status_ids",
        help="A closed status closes the conversation; any other keeps it open.")

    @api.depends("state")
    def _compute_status_id(self):
        """Closing or reopening (the state) moves the status to the first one of that kind, unless it already
        is one."""
        Status = self.env["responso.conversation.status"]
        for conversation in self:
            closed = conversation.state == "closed"
            if not conversation.status_id or conversation.status_id.is_closed != closed:
                conversation.status_id = Status._responso_default(closed, conversation.company_id)

    @api.model
    def _read_group_status_ids(self, statuses, domain):
        return statuses.search([])

    def write(self, vals):
        if vals.get("status_id") and "state" not in vals:
            status = self.env["responso.conversation.status"].browse(vals["status_id"])
            vals = dict(vals, state="closed" if status.is_closed else "open")
        return super().write(vals)

    def _responso_is_return(self):
        return self.responso_is_return

    def _responso_status(self):
        return self.status_id.id or None

    def _responso_tags(self):
        return frozenset(self.tag_ids.ids)

    @api.model
    def _responso_init_status(self):
        """Give conversations without a status the first one of their state (install, upgrade)."""
        conversations = self.with_context(active_test=False).sudo().search([("status_id", "=", False)])
        conversations._compute_status_id()
