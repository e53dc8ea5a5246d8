from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    responso_autoreply_blocked_until = fields.Datetime(
        "No Automatic Reply Until", copy=False,
        help="Set when an automatic reply to this address bounced: the autoresponder stays silent until then.")
