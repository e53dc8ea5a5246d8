import pytz

from odoo import Command, _, api, fields, models
from odoo.http import request

from odoo.addons.base.models.res_partner import _tz_get

from .reason_labels import timezone_name


class ResCompany(models.Model):
    _inherit = "res.company"

    responso_tz = fields.Selection(
        _tz_get, string="Autoresponder Timezone",
        help="Timezone in which new autoresponder workflows check days and hours.")
    responso_calendar_id = fields.Many2one(
        "resource.calendar", string="Autoresponder Working Hours", check_company=True,
        help="Working hours proposed for new working-hours conditions (public holidays are its time off).")

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._responso_ensure_calendar()
        return companies

    def _responso_ensure_calendar(self):
        """The default working hours, 10:00–18:00 on weekdays, for a company that has none of its own (a new
        company; every company at install): the out-of-hours template answers outside them, 18:00–10:00, as the
        product promises — not outside Odoo's default 8:00–17:00 with its lunch break."""
        Calendar = self.env["resource.calendar"].sudo()
        for company in self.filtered(lambda company: not company.responso_calendar_id):
            env = company.with_context(lang=company.partner_id.lang or self.env.lang).env
            days = dict(env["resource.calendar.attendance"]._fields["dayofweek"]._description_selection(env))
            company.sudo().responso_calendar_id = Calendar.create({
                "name": env._("Autoresponder hours (10:00–18:00)"), "company_id": company.id,
                "tz": company._responso_default_tz(),
                "attendance_ids": [Command.create({"name": days[str(day)], "dayofweek": str(day), "hour_from": 10,
                                                   "hour_to": 18, "day_period": "morning"}) for day in range(5)],
            })

    def _responso_default_tz(self):
        """The timezone of new workflows and template copies of this company."""
        return self._responso_tz_origin()[0]

    def _responso_tz_origin(self, responso_tz=None):
        """(timezone, origin) of new workflows: the autoresponder's setting, else the company's timezone, else the
        user's, else the browser's (as Odoo sets a user's timezone at first login: the web client's ``tz``
        cookie, or ``tz`` in the context). Origin "none" (UTC) only when none of them is known.
        ``responso_tz``: the setting being edited, instead of the saved one."""
        self.ensure_one()
        responso_tz = self.responso_tz if responso_tz is None else responso_tz
        browser = self.env.context.get("tz") or (request and request.httprequest.cookies.get("tz"))
        for tz, origin in ((responso_tz, "autoresponder"), (self.partner_id.tz, "company"),
                           (self.env.user.tz, "user"), (browser, "browser")):
            if tz and tz in pytz.all_timezones_set:
                return tz, origin
        return "UTC", "none"

    def _responso_tz_explained(self, responso_tz=None):
        """Which timezone new workflows take and why, in words."""
        tz, origin = self._responso_tz_origin(responso_tz)
        why = {
            "autoresponder": _("the autoresponder's timezone"),
            "company": _("the timezone of the company %(company)s", company=self.name),
            "user": _("your user preferences"),
            "browser": _("your browser"),
            "none": _("no timezone is known"),
        }[origin]
        return _("New workflows read days and hours in %(tz)s (%(why)s).", tz=timezone_name(self.env, tz), why=why)
