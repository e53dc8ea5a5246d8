from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    responso_tz = fields.Selection(related="company_id.responso_tz", readonly=False)
    responso_calendar_id = fields.Many2one(related="company_id.responso_calendar_id", readonly=False)
    responso_tz_explained = fields.Char("Timezone That Applies", compute="_compute_responso_tz_explained")
    responso_workflow_count = fields.Integer(compute="_compute_responso_workflow_count")
    responso_cap_conversation_day = fields.Integer(
        "Automatic replies per conversation in 24 h", default=3,
        config_parameter="responso_autoresponder.cap_conversation_day")
    responso_cap_account_hour = fields.Integer(
        "Automatic replies per account in 1 h", default=100,
        config_parameter="responso_autoresponder.cap_account_hour")

    @api.constrains("responso_cap_conversation_day", "responso_cap_account_hour")
    def _check_responso_caps(self):
        for settings in self:
            if settings.responso_cap_conversation_day < 0 or settings.responso_cap_account_hour < 0:
                raise ValidationError(_("The caps on automatic replies are whole numbers, 0 or more."))

    @api.depends("company_id", "responso_tz")
    @api.depends_context("tz", "uid")
    def _compute_responso_tz_explained(self):
        for settings in self:
            # the value being edited, not yet saved, decides
            settings.responso_tz_explained = settings.company_id._responso_tz_explained(settings.responso_tz or False)

    def _compute_responso_workflow_count(self):
        count = self.env["responso.workflow"].search_count([("is_template", "=", False)])
        self.responso_workflow_count = count
