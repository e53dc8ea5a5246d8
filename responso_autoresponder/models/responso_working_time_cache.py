"""Working calendars and accounts' response-clock settings, cached in the registry.

A buyer message needs working time twice: a working-hours condition asks whether it arrived in working time, and
the response clock plans its answer deadline in the account's working hours. Both read the calendar once into a
plain ``WorkingCalendar`` (engine/working_calendar.py) kept by ``tools.ormcache`` until the calendar, its lines or
its time off change, so a buyer message reads no calendar, attendance, leave, account or integration row.
``registry.clear_cache()`` invalidates every worker and server, as for the compiled workflows.
"""

from datetime import timezone
from typing import NamedTuple

from odoo import api, models, tools
from odoo.exceptions import UserError

from ..engine.working_calendar import Attendance, WorkingCalendar

# A company field that decides which calendar or timezone an account's clock uses
COMPANY_CLOCK_FIELDS = ("responso_calendar_id", "resource_calendar_id", "responso_tz")


class ClockSettings(NamedTuple):
    """What the response clock needs of an account (or of a company, for a conversation without account)."""

    around_the_clock: bool  # Amazon: plain hours, weekends and holidays included
    hours: float
    calendar_id: int  # 0: none
    warn_hours: float


# One concern per file (docs/architecture.md): these models are extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited


def _aware(value):
    return value.replace(tzinfo=timezone.utc)


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    @api.model
    @tools.ormcache("calendar_id")
    def _responso_working_calendar(self, calendar_id):
        """The calendar's working time as plain data: its lines for the calendar as a whole (no resource's own
        line, no section, no lunch) and the time off that resource.calendar counts for it (global leaves of this
        calendar or of every calendar)."""
        calendar = self.sudo().with_context(active_test=False).browse(calendar_id or []).exists()
        if not calendar:
            # never "no working time" in silence: the decision log says what is wrong
            raise UserError(self.env._("Working hours #%(id)s no longer exist: choose other working hours in the "
                                       "workflow's condition.", id=calendar_id or 0))
        lines = calendar.attendance_ids.filtered(
            lambda line: not line.resource_id and not line.display_type and line.day_period != "lunch")
        leaves = self.env["resource.calendar.leaves"].sudo().search([
            ("time_type", "=", "leave"), ("calendar_id", "in", [False, calendar.id]), ("resource_id", "=", False)])
        return WorkingCalendar(
            calendar.tz or "UTC",
            [Attendance(int(line.dayofweek), line.hour_from, line.hour_to,
                        int(line.week_type) if calendar.two_weeks_calendar and line.week_type else None,
                        line.date_from or None, line.date_to or None) for line in lines],
            [(_aware(leave.date_from), _aware(leave.date_to)) for leave in leaves],
            two_weeks=calendar.two_weeks_calendar)


class ResourceCalendarAttendance(models.Model):
    _name = "resource.calendar.attendance"
    _inherit = ["resource.calendar.attendance", "responso.clears.compiled"]


class ResourceCalendarLeaves(models.Model):
    """Only time off that counts for a whole calendar (no resource) changes working time: an employee's own leave
    leaves the cache alone."""

    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        if any(not vals.get("resource_id") for vals in vals_list):
            self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "resource_id" in vals or any(not leave.resource_id for leave in self):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        if any(not leave.resource_id for leave in self):
            self.env.registry.clear_cache()
        return super().unlink()


class ResCompany(models.Model):
    _inherit = "res.company"

    def write(self, vals):
        if any(name in vals for name in COMPANY_CLOCK_FIELDS):
            self.env.registry.clear_cache()
        return super().write(vals)


class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    @api.model
    @tools.ormcache("account_id", "company_id")
    def _responso_clock_settings(self, account_id, company_id):
        """The response clock's settings of an account (0: none, in `company_id`'s working hours with the default
        response time)."""
        account = self.sudo().with_context(active_test=False).browse(account_id).exists()
        if account:
            return ClockSettings(account._responso_clock_around_the_clock(), account.responso_response_hours,
                                 account._responso_clock_calendar().id or 0, account.responso_warn_hours)
        company = self.env["res.company"].sudo().browse(company_id)
        calendar = company.responso_calendar_id or company.resource_calendar_id
        return ClockSettings(False, 0.0, calendar.id or 0, None)
