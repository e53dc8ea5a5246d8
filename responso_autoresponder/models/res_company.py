from odoo import fields, models

from odoo.addons.base.models.res_partner import _tz_get


class ResCompany(models.Model):
    _inherit = "res.company"

    responso_tz = fields.Selection(
        _tz_get, string="Autoresponder Timezone",
        help="Timezone in which new autoresponder workflows check days and hours.")
    responso_calendar_id = fields.Many2one(
        "resource.calendar", string="Autoresponder Working Hours", check_company=True,
        help="Working hours proposed for new working-hours conditions (public holidays are its time off).")

    def _responso_default_tz(self):
        self.ensure_one()
        return self.responso_tz or self.partner_id.tz or self.env.user.tz or "UTC"
