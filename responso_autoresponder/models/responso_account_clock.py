from datetime import timedelta

import pytz

from odoo import api, fields, models

# docs/marketplace-contract.md M5: Amazon's Late Response Rate counts 24 hours, weekends and holidays included
AMAZON_RESPONSE_HOURS = 24.0


class ResponsoAccount(models.Model):
    """The marketplace response clock's settings of an account."""

    _inherit = "responso.account"

    responso_response_hours = fields.Float(
        "Response Time (hours)", default=24.0,
        help="Time a person has to answer a buyer, counted in the working hours below from the first unanswered "
             "buyer message. Amazon accounts always count 24 hours around the clock, weekends and holidays "
             "included (Amazon's Late Response Rate).")
    responso_clock_calendar_id = fields.Many2one(
        "resource.calendar", string="Response Working Hours", check_company=True,
        help="Working hours (and their time off: public holidays) in which the response time is counted. "
             "Empty: the company's autoresponder working hours, else its default working hours.")
    responso_warn_hours = fields.Float(
        "Warn Before Deadline (hours)", default=2.0,
        help="This long before a conversation's answer deadline, the account's agents get an activity to answer.")
    responso_warn_user_id = fields.Many2one(
        "res.users", string="Warn", domain=[("share", "=", False)],
        help="Who gets the activity before a deadline. Empty: the first of the account's agents.")
    responso_clock_rule = fields.Char("Response Rule", compute="_compute_responso_clock_rule")

    @api.depends("integration_id", "responso_response_hours", "responso_clock_calendar_id")
    @api.depends_context("lang")
    def _compute_responso_clock_rule(self):
        for account in self:
            if account._responso_clock_around_the_clock():
                account.responso_clock_rule = self.env._(
                    "Amazon: a person answers within 24 hours, weekends and holidays included.")
                continue
            calendar = account._responso_clock_calendar()
            hours = "%g" % (account.responso_response_hours or AMAZON_RESPONSE_HOURS)
            if calendar:
                account.responso_clock_rule = self.env._(
                    "A person answers within %(hours)s working hours of %(calendar)s (its time off excluded).",
                    hours=hours, calendar=calendar.display_name)
            else:
                account.responso_clock_rule = self.env._(
                    "A person answers within %(hours)s hours.", hours=hours)

    def _responso_clock_around_the_clock(self):
        """Whether this account's deadline is counted in plain hours (Amazon), not in working hours."""
        return self.integration_id.code == "amazon"

    def _responso_clock_calendar(self):
        company = self.company_id or self.env.company
        return (self.responso_clock_calendar_id or company.responso_calendar_id
                or company.resource_calendar_id)

    def _responso_deadline(self, start, company=None):
        """The answer deadline (naive UTC) of a buyer message received at `start` (naive UTC) on this account;
        with no account, in `company`'s working hours with the default response time."""
        if self and self._responso_clock_around_the_clock():
            return start + timedelta(hours=AMAZON_RESPONSE_HOURS)
        hours = (self.responso_response_hours if self else 0.0) or AMAZON_RESPONSE_HOURS
        company = company or self.env.company
        calendar = (self._responso_clock_calendar() if self else
                    (company.responso_calendar_id or company.resource_calendar_id)).sudo()
        if calendar:
            # resource.calendar does the work: attendances in the calendar's timezone, global time off excluded
            deadline = calendar.plan_hours(hours, pytz.utc.localize(start), compute_leaves=True)
            if deadline:
                return deadline.astimezone(pytz.utc).replace(tzinfo=None)
        return start + timedelta(hours=hours)  # a calendar without working hours: plain hours

    def _responso_warn_user(self):
        return self.responso_warn_user_id or self.user_ids[:1]
