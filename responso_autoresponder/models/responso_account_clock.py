from datetime import timedelta, timezone

from odoo import api, fields, models

# docs/marketplace-contract.md M5: Amazon's Late Response Rate counts 24 hours, weekends and holidays included
AMAZON_RESPONSE_HOURS = 24.0
DEFAULT_WARN_HOURS = 2.0


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
        "Warn Before Deadline (hours)", default=DEFAULT_WARN_HOURS,
        help="This long before a conversation's answer deadline, one person gets an activity to answer: the user set "
             "in Warn, else the first of the account's agents.")
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

    @api.model
    def _responso_clock_plan(self, account_id, company_id, start):
        """(deadline, warn at), naive UTC, of a buyer message received at `start` (naive UTC) on the account
        `account_id` (0: none, in `company_id`'s working hours with the default response time). From the registry
        cache: no query."""
        settings = self._responso_clock_settings(account_id or 0, 0 if account_id else company_id)
        if settings.around_the_clock:
            deadline = start + timedelta(hours=AMAZON_RESPONSE_HOURS)
        else:
            hours = settings.hours or AMAZON_RESPONSE_HOURS
            deadline = None
            if settings.calendar_id:
                # attendances in the calendar's timezone, global time off excluded (as resource.calendar.plan_hours)
                planned = self.env["resource.calendar"]._responso_working_calendar(settings.calendar_id).plan_hours(
                    hours, start.replace(tzinfo=timezone.utc))
                deadline = planned and planned.astimezone(timezone.utc).replace(tzinfo=None)
            deadline = deadline or start + timedelta(hours=hours)  # a calendar without working hours: plain hours
        warn_hours = DEFAULT_WARN_HOURS if settings.warn_hours is None else settings.warn_hours
        return deadline, max(start, deadline - timedelta(hours=warn_hours or 0.0))

    def _responso_warn_user(self):
        return self.responso_warn_user_id or self.user_ids[:1]
