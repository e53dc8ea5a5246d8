from odoo import fields, models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    _inherit = "res.partner"

    responso_autoreply_blocked_until = fields.Datetime(
        "No Automatic Reply Until", copy=False,
        help="Set when an automatic reply to this address bounced: the autoresponder stays silent until then.")
    responso_login = fields.Char("Marketplace Login", index="btree_not_null", copy=False,
                                 help="The buyer's login on the marketplace of the integration.")
    responso_integration_id = fields.Many2one("responso.integration", string="Marketplace", copy=False,
                                              ondelete="set null")

    def write(self, vals):
        # set by the bounce handling (as superuser): any internal user may edit a partner, but silencing a buyer's
        # automatic replies is for administrators
        if "responso_autoreply_blocked_until" in vals and not (self.env.su or self.env.is_system()):
            raise AccessError(self.env._("Only administrators stop the automatic replies to an address."))
        return super().write(vals)
