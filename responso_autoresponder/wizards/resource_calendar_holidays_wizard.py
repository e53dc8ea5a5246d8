from odoo import api, fields, models

from ..models.resource_calendar_holidays import holiday_countries, holiday_subdivisions, load_public_holidays


class ResourceCalendarHolidaysWizard(models.TransientModel):
    """Add a country's (and region's) public holidays to a working-hours calendar, as its time off."""

    _name = "responso.calendar.holidays.wizard"
    _description = "Add Public Holidays"

    calendar_id = fields.Many2one("resource.calendar", string="Working Hours", required=True, ondelete="cascade",
                                  default=lambda self: self._default_calendar())
    country_code = fields.Selection(
        "_selection_country", string="Country", required=True, default=lambda self: self._default_country())
    subdivision = fields.Char(
        "Region", help="Code of the region (state, province) when its holidays differ from the country's, "
                       "e.g. BY for Bavaria. Empty: the national holidays only.")
    subdivision_hint = fields.Char("Regions", compute="_compute_subdivision_hint")
    year_from = fields.Integer("From Year", required=True, default=lambda self: fields.Date.today().year)
    year_to = fields.Integer("To Year", required=True, default=lambda self: fields.Date.today().year + 1)

    @api.model
    def _selection_country(self):
        return holiday_countries(self.env)

    @api.model
    def _default_calendar(self):
        if self.env.context.get("active_model") == "resource.calendar":
            return self.env.context.get("active_id")
        return self.env.company.responso_calendar_id.id or self.env.company.resource_calendar_id.id

    @api.model
    def _default_country(self):
        code = self.env.company.country_id.code
        countries = dict(self._selection_country())
        return code if code in countries else "PL"

    @api.depends("country_code")
    def _compute_subdivision_hint(self):
        for wizard in self:
            regions = holiday_subdivisions(wizard.country_code)
            wizard.subdivision_hint = ", ".join(regions) if regions else self.env._("none: national holidays only")

    def action_apply(self):
        self.ensure_one()
        added, updated, removed = load_public_holidays(
            self.calendar_id, self.country_code, self.subdivision, self.year_from, self.year_to)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Public holidays on %(calendar)s: %(added)s added, %(updated)s updated, %(removed)s removed.",
                    calendar=self.calendar_id.display_name, added=added, updated=updated, removed=removed),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
