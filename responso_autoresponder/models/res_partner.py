from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    responso_autoreply_blocked_until = fields.Datetime(
        "No Automatic Reply Until", copy=False,
        help="Set when an automatic reply to this address bounced: the autoresponder stays silent until then.")
    responso_login = fields.Char("Marketplace Login", index="btree_not_null", copy=False,
                                 help="The buyer's login on the marketplace of the integration.")
    responso_integration_id = fields.Many2one("responso.integration", string="Marketplace", copy=False,
                                              ondelete="set null")
