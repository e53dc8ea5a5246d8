from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    responso_tz = fields.Selection(related="company_id.responso_tz", readonly=False)
    responso_calendar_id = fields.Many2one(related="company_id.responso_calendar_id", readonly=False)
    responso_workflow_count = fields.Integer(compute="_compute_responso_workflow_count")

    def _compute_responso_workflow_count(self):
        count = self.env["responso.workflow"].search_count([("is_template", "=", False)])
        self.responso_workflow_count = count
