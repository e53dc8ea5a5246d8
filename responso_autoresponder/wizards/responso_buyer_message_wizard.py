from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html


class ResponsoBuyerMessageWizard(models.TransientModel):
    """Post a message in a conversation on behalf of its buyer: how a seller tries a workflow (and how an
    agent records a message the buyer sent another way). It travels exactly as a polled message does."""

    _name = "responso.buyer.message.wizard"
    _description = "Post a Buyer Message"

    conversation_id = fields.Many2one("responso.conversation", required=True, readonly=True)
    buyer_id = fields.Many2one(related="conversation_id.buyer_id")
    body = fields.Text("Message", required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "responso.conversation":
            values.setdefault("conversation_id", self.env.context.get("active_id"))
        return values

    def action_post(self):
        self.ensure_one()
        self.conversation_id.responso_post_buyer_message(Markup(plaintext2html(self.body)))
        return {"type": "ir.actions.act_window_close"}
