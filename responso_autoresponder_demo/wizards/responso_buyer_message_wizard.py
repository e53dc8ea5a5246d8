from odoo import models


class ResponsoBuyerMessageWizard(models.TransientModel):
    _inherit = "responso.buyer.message.wizard"

    def action_post(self):
        """On a demo account the message travels through the fake marketplace and the real connector."""
        self.ensure_one()
        conversation = self.conversation_id
        account = conversation.account_id.sudo()
        if not (account._responso_is_demo() and conversation.external_thread_id):
            return super().action_post()
        account._responso_demo_buyer_message(conversation, self.body)
        return {"type": "ir.actions.act_window_close"}
