from odoo import fields, models


class ResponsoConversation(models.Model):
    """What the workflows' conditions read on a conversation beyond its messages."""

    _inherit = "responso.conversation"

    responso_is_return = fields.Boolean(
        "Return / Post-purchase Issue", copy=False, tracking=True,
        help="The marketplace's return or post-purchase issue thread (set by the connectors that know it). "
             "Workflows can ask for it with the condition “Return created”.")

    def _responso_is_return(self):
        return self.responso_is_return
