from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import Condition, condition_problems
from ..engine.schedule import format_window

KIND_SELECTION = [
    ("source", "Source"),
    ("trigger", "Action"),
    ("account", "Account"),
    ("integration", "Integration"),
    ("weekday", "Day of the week"),
    ("time_window", "Time window"),
    ("working_hours", "Working hours"),
    ("delay", "Delay"),
]
SET_KINDS = ("source", "account", "integration", "weekday")
RANGE_KINDS = ("time_window", "working_hours")


class ResponsoWorkflowCondition(models.Model):
    """One condition line of a workflow, as the seed's dropdowns show it: a kind, an operator, values."""

    _name = "responso.workflow.condition"
    _description = "Workflow Condition"
    _order = "sequence, id"
    _check_company_auto = True

    workflow_id = fields.Many2one("responso.workflow", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="workflow_id.company_id")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(KIND_SELECTION, string="Condition", required=True, default="source")
    operator = fields.Selection(
        [("in", "is one of"), ("not_in", "is none of")], default="in", required=True,
        help="For sources, accounts, integrations and days: the message's value must (not) be among the values.")
    range_operator = fields.Selection(
        [("in", "inside"), ("not_in", "outside")], default="in", required=True,
        help="For time windows and working hours: the message must arrive inside or outside them.")
    source_ids = fields.Many2many("responso.source", string="Sources")
    account_ids = fields.Many2many("responso.account", string="Accounts", check_company=True)
    integration_ids = fields.Many2many("responso.integration", string="Integrations")
    weekday_ids = fields.Many2many("responso.weekday", string="Days")
    trigger = fields.Selection(
        [("first_message", "First message of the buyer"), ("each_message", "Each new message of the buyer")],
        default="each_message",
        help="First message: only the first message a buyer ever writes to the account (a returning buyer "
             "in a new thread is not answered again). Each new message: every message.")
    time_from = fields.Float("From", default=18.0, help="Local time in the workflow's timezone.")
    time_to = fields.Float("To", default=10.0, help="May be earlier than From: the window then crosses midnight.")
    calendar_id = fields.Many2one(
        "resource.calendar", string="Working Hours", check_company=True, ondelete="restrict",
        compute="_compute_calendar_id", store=True, readonly=False)
    delay_amount = fields.Integer("Delay", default=5)
    delay_unit = fields.Selection([("minutes", "minutes"), ("hours", "hours")], default="minutes", required=True)
    summary = fields.Char(compute="_compute_summary")
    # display only: the condition as the seed shows it (type, then its operator, then its values)
    operator_label = fields.Char(compute="_compute_display_labels")
    values_label = fields.Text("Values", compute="_compute_display_labels")

    @api.depends("kind", "operator", "range_operator", "source_ids", "account_ids", "integration_ids",
                 "weekday_ids", "trigger", "time_from", "time_to", "calendar_id", "delay_amount", "delay_unit")
    def _compute_summary(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        operators = dict(self._fields["operator"]._description_selection(self.env))
        range_operators = dict(self._fields["range_operator"]._description_selection(self.env))
        triggers = dict(self._fields["trigger"]._description_selection(self.env))
        for line in self:
            kind = kinds.get(line.kind, "")
            if line.kind in SET_KINDS:
                values = ", ".join(line._values_field().mapped("display_name"))
                line.summary = f"{kind} {operators[line.operator]}: {values}"
            elif line.kind == "trigger":
                line.summary = f"{kind}: {triggers.get(line.trigger, '')}"
            elif line.kind == "time_window":
                line.summary = f"{range_operators[line.range_operator]} {format_window(*line._window_minutes())}"
            elif line.kind == "working_hours":
                line.summary = _("%(operator)s the working hours of %(calendar)s",
                                 operator=range_operators[line.range_operator],
                                 calendar=line.calendar_id.display_name or "?")
            elif line.kind == "delay":
                line.summary = _("Send %(amount)s %(unit)s after the message", amount=line.delay_amount,
                                 unit=dict(self._fields["delay_unit"]._description_selection(self.env))[line.delay_unit])
            else:
                line.summary = kind

    @api.depends("kind", "operator", "range_operator", "source_ids", "account_ids", "integration_ids",
                 "weekday_ids", "trigger", "time_from", "time_to", "calendar_id", "delay_amount", "delay_unit",
                 "workflow_id.interval_minutes")
    @api.depends_context("lang")
    def _compute_display_labels(self):
        operators = dict(self._fields["operator"]._description_selection(self.env))
        range_operators = dict(self._fields["range_operator"]._description_selection(self.env))
        triggers = dict(self._fields["trigger"]._description_selection(self.env))
        units = dict(self._fields["delay_unit"]._description_selection(self.env))
        for line in self:
            operator, values = "", ""
            if line.kind in SET_KINDS:
                operator = operators.get(line.operator, "")
                values = ", ".join(line._values_field().mapped("display_name"))
            elif line.kind in RANGE_KINDS:
                operator = range_operators.get(line.range_operator, "")
                values = (format_window(*line._window_minutes()) if line.kind == "time_window"
                          else line.calendar_id.display_name or "")
            elif line.kind == "trigger":
                # the throttling interval acts on the trigger: say it where the trigger is
                values = triggers.get(line.trigger, "")
                if line.workflow_id:
                    values = f"{values}\n{line.workflow_id.interval_text}"
            elif line.kind == "delay":
                values = _("%(amount)s %(unit)s after the buyer's message", amount=line.delay_amount,
                           unit=units.get(line.delay_unit, ""))
            line.operator_label = operator
            line.values_label = values

    @api.depends("kind")
    def _compute_calendar_id(self):
        """Working-hours lines start with the company's autoresponder (or default) working hours."""
        for line in self:
            if line.kind != "working_hours":
                line.calendar_id = False
            elif not line.calendar_id:
                company = line.workflow_id.company_id or self.env.company
                line.calendar_id = company.responso_calendar_id or company.resource_calendar_id

    def _values_field(self):
        return {"source": self.source_ids, "account": self.account_ids, "integration": self.integration_ids,
                "weekday": self.weekday_ids}[self.kind]

    def _window_minutes(self):
        return round(self.time_from * 60), round(self.time_to * 60)

    def _responso_condition(self):
        """This line as an engine Condition (plain values, names for the decision log)."""
        self.ensure_one()
        kind = self.kind
        values, labels = frozenset(), {}
        if kind == "weekday":
            values = frozenset(self.weekday_ids.mapped("number"))
        elif kind in SET_KINDS:
            records = self._values_field()
            values = frozenset(records.ids)
            labels = {record.id: record.display_name for record in records}
        elif kind == "trigger":
            values = frozenset([self.trigger]) if self.trigger else frozenset()
        start, end = self._window_minutes() if kind == "time_window" else (None, None)
        if kind == "working_hours":
            labels = {self.calendar_id.id: self.calendar_id.display_name}
        operator = self.range_operator if kind in RANGE_KINDS else self.operator
        delay = self.delay_amount * (60 if self.delay_unit == "hours" else 1) if kind == "delay" else 0
        return Condition(kind=kind, operator=operator, values=values, start_minute=start, end_minute=end,
                         calendar=self.calendar_id.id or None, delay_minutes=delay, labels=labels)

    @api.constrains("kind", "source_ids", "account_ids", "integration_ids", "weekday_ids", "trigger",
                    "time_from", "time_to", "calendar_id", "delay_amount")
    def _check_values(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for line in self:
            problems = condition_problems(line._responso_condition())
            if problems:
                raise ValidationError(self._problem_text(problems[0], kinds.get(line.kind, line.kind),
                                                         line.workflow_id.name))

    @api.model
    def _problem_text(self, problem, kind_label, workflow_name):
        params = dict(problem.params, workflow=workflow_name, kind=kind_label)
        texts = {
            "no_values": _("Workflow “%(workflow)s”: choose at least one value for the condition “%(kind)s”.",
                           **params),
            "window_empty": _("Workflow “%(workflow)s”: the time window %(expected)s starts and ends at the same "
                              "time; choose two different times.", workflow=workflow_name,
                              expected=problem.params.get("expected")),
            "window_invalid": _("Workflow “%(workflow)s”: a time window lies between 00:00 and 24:00.",
                                workflow=workflow_name),
            "no_calendar": _("Workflow “%(workflow)s”: choose the working hours for the condition “%(kind)s”.",
                             workflow=workflow_name, kind=kind_label),
            "negative_delay": _("Workflow “%(workflow)s”: a delay cannot be negative.", workflow=workflow_name),
        }
        return texts.get(problem.code) or _("Workflow “%(workflow)s”: invalid condition (%(problem)s).",
                                            workflow=workflow_name, problem=problem.text())

