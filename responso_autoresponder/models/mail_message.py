from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    responso_kind = fields.Selection(
        [("buyer", "Buyer message"), ("auto_reply", "Automatic reply")],
        string="Autoresponder Role", readonly=True, index="btree_not_null",
        help="Buyer messages are evaluated by the autoresponder; automatic replies never are.")
    responso_account_id = fields.Many2one(
        "responso.account", string="Marketplace Account", readonly=True, index="btree_not_null",
        ondelete="set null")
