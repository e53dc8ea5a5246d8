from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import Condition, condition_problems
from ..engine.conditions import ACCOUNT_CALENDAR
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
    ("sender_email", "Sender e-mail"),
    ("subject", "Subject"),
    ("customer_name", "Customer name"),
    ("message_text", "Message"),
    ("new_conversation", "New conversation"),
    ("return_created", "Return created"),
    ("tag", "Tag"),
    ("status", "Status"),
    ("last_response", "Last customer response"),
]
SET_KINDS = ("source", "account", "integration", "weekday", "status")
RANGE_KINDS = ("time_window", "working_hours")
TEXT_KINDS = ("subject", "customer_name", "message_text")
FLAG_KINDS = ("new_conversation", "return_created")
MESSAGE_KINDS = TEXT_KINDS + FLAG_KINDS + ("sender_email", "tag", "last_response")
DURATION_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


def _split_lines(text):
    """The non-blank lines of a text field, stripped (phrases, e-mail patterns)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


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
    account_calendar = fields.Boolean(
        "Account's Working Hours",
        help="Read the working hours of each message's account: its Response Working Hours, else the company's "
             "autoresponder working hours, else its default working hours, with their time off (public holidays). "
             "One workflow then fits every account.")
    text_operator = fields.Selection(
        [("in", "contains"), ("not_in", "does not contain")], default="in", required=True,
        help="For the subject, the customer name and the message: whether it contains any of the phrases "
             "(ignoring case and accents), or none of them.")
    flag_operator = fields.Selection(
        [("in", "is"), ("not_in", "is not")], default="in", required=True,
        help="For a new conversation or a return: whether the message opens one (is a return), or not.")
    phrases = fields.Text(
        help="One phrase per line; any of them matches. Case and accents are ignored: “zwrot” also "
                        "finds “ZWROT”, “przesylka” finds “przesyłka”.")
    email_patterns = fields.Text(
        "E-mail Addresses", help="One per line: an address (jan@example.com) or a whole domain (*@example.com).")
    tag_operator = fields.Selection([("in", "is set"), ("not_in", "is not set")], default="in", required=True,
                                    help="Any of the tags is set on the conversation, or none of them.")
    # archived tags and statuses still count: a condition never loses its values silently
    tag_ids = fields.Many2many("responso.conversation.tag", check_company=True,
                               context={"active_test": False})
    status_ids = fields.Many2many("responso.conversation.status", string="Statuses", check_company=True,
                                  context={"active_test": False})
    duration_operator = fields.Selection(
        [("in", "older than"), ("not_in", "newer than")], default="in", required=True,
        help="The buyer's previous message in the conversation is older (or newer) than the duration. A first "
             "message (no previous one) satisfies neither.")
    duration_amount = fields.Integer("Duration", default=1)
    duration_unit = fields.Selection([("minutes", "minutes"), ("hours", "hours"), ("days", "days")],
                                     default="days", required=True)
    delay_amount = fields.Integer("Delay", default=5)
    delay_unit = fields.Selection([("minutes", "minutes"), ("hours", "hours")], default="minutes", required=True)
    summary = fields.Char(compute="_compute_summary")
    # display only: the condition as the seed shows it (type, then its operator, then its values)
    operator_label = fields.Char(compute="_compute_display_labels")
    values_label = fields.Text("Values", compute="_compute_display_labels")

    @api.depends("kind", "operator", "range_operator", "source_ids", "account_ids", "integration_ids",
                 "weekday_ids", "trigger", "time_from", "time_to", "calendar_id", "account_calendar", "delay_amount",
                 "delay_unit", "text_operator", "flag_operator", "phrases", "email_patterns", "tag_operator", "tag_ids",
                 "status_ids",
                 "duration_operator", "duration_amount", "duration_unit")
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
            elif line.kind == "working_hours" and line.account_calendar:
                line.summary = _("%(operator)s the account's working hours",
                                 operator=range_operators[line.range_operator])
            elif line.kind == "working_hours":
                line.summary = _("%(operator)s the working hours of %(calendar)s",
                                 operator=range_operators[line.range_operator],
                                 calendar=line.calendar_id.display_name or "?")
            elif line.kind == "delay":
                line.summary = _("Send %(amount)s %(unit)s after the message", amount=line.delay_amount,
                                 unit=dict(self._fields["delay_unit"]._description_selection(self.env))[line.delay_unit])
            elif line.kind in MESSAGE_KINDS:
                operator, values = line._message_labels()
                line.summary = " ".join(part for part in (kind, operator, values.replace("\n", ", ")) if part)
            else:
                line.summary = kind

    @api.depends("kind", "operator", "range_operator", "source_ids", "account_ids", "integration_ids",
                 "weekday_ids", "trigger", "time_from", "time_to", "calendar_id", "account_calendar", "delay_amount",
                 "delay_unit", "workflow_id.interval_minutes", "text_operator", "flag_operator", "phrases",
                 "email_patterns",
                 "tag_operator", "tag_ids", "status_ids", "duration_operator", "duration_amount", "duration_unit")
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
                          else _("The account's working hours") if line.account_calendar
                          else line.calendar_id.display_name or "")
            elif line.kind == "trigger":
                # the throttling interval acts on the trigger: say it where the trigger is
                values = triggers.get(line.trigger, "")
                if line.workflow_id:
                    values = f"{values}\n{line.workflow_id.interval_text}"
            elif line.kind == "delay":
                values = _("%(amount)s %(unit)s after the buyer's message", amount=line.delay_amount,
                           unit=units.get(line.delay_unit, ""))
            elif line.kind in MESSAGE_KINDS:
                operator, values = line._message_labels()
            line.operator_label = operator
            line.values_label = values

    def _message_labels(self):
        """(operator, values) of a condition on the message itself, as the form shows them."""
        field = {"sender_email": "operator", "new_conversation": "flag_operator", "return_created": "flag_operator",
                 "tag": "tag_operator", "last_response": "duration_operator"}.get(self.kind, "text_operator")
        operator = dict(self._fields[field]._description_selection(self.env)).get(self[field], "")
        if self.kind == "sender_email":
            return operator, "\n".join(_split_lines(self.email_patterns))
        if self.kind in TEXT_KINDS:
            return operator, "\n".join(_split_lines(self.phrases))
        if self.kind == "tag":
            return operator, ", ".join(self.tag_ids.mapped("display_name"))
        if self.kind == "last_response":
            units = dict(self._fields["duration_unit"]._description_selection(self.env))
            return operator, f"{self.duration_amount} {units.get(self.duration_unit, '')}"
        return operator, ""

    @api.depends("kind", "account_calendar")
    def _compute_calendar_id(self):
        """Working-hours lines start with the company's autoresponder (or default) working hours; a line on the
        account's working hours names none (a calendar it does not read must stay deletable)."""
        for line in self:
            if line.kind != "working_hours" or line.account_calendar:
                line.calendar_id = False
            elif not line.calendar_id:
                company = line.workflow_id.company_id or self.env.company
                line.calendar_id = company.responso_calendar_id or company.resource_calendar_id

    def _values_field(self):
        return {"source": self.source_ids, "account": self.account_ids, "integration": self.integration_ids,
                "weekday": self.weekday_ids, "status": self.status_ids, "tag": self.tag_ids}[self.kind]

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
        calendar = self.calendar_id.id or None
        if kind == "working_hours" and self.account_calendar:
            calendar = ACCOUNT_CALENDAR  # resolved per message: the calendar of the message's account
            labels = {ACCOUNT_CALENDAR: _("the account's working hours")}
        elif kind == "working_hours":
            labels = {self.calendar_id.id: self.calendar_id.display_name}
        elif kind == "sender_email":
            values = frozenset(pattern.lower() for pattern in _split_lines(self.email_patterns))
        elif kind in TEXT_KINDS:
            values = frozenset(_split_lines(self.phrases))
        elif kind == "tag":
            values = frozenset(self.tag_ids.ids)
            labels = {tag.id: tag.display_name for tag in self.tag_ids}
        operator = (self.range_operator if kind in RANGE_KINDS else self.text_operator if kind in TEXT_KINDS
                    else self.flag_operator if kind in FLAG_KINDS else self.tag_operator if kind == "tag"
                    else self.duration_operator if kind == "last_response" else self.operator)
        delay = self.delay_amount * (60 if self.delay_unit == "hours" else 1) if kind == "delay" else 0
        if kind == "last_response":  # the duration travels in the engine condition's minutes
            delay = self.duration_amount * DURATION_MINUTES.get(self.duration_unit, 1)
        return Condition(kind=kind, operator=operator, values=values, start_minute=start, end_minute=end,
                         calendar=calendar, delay_minutes=delay, labels=labels)

    @api.constrains("kind", "source_ids", "account_ids", "integration_ids", "weekday_ids", "trigger",
                    "time_from", "time_to", "calendar_id", "account_calendar", "delay_amount", "phrases",
                    "email_patterns", "tag_ids",
                    "status_ids", "duration_amount", "duration_unit")
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
            "no_duration": _("Workflow “%(workflow)s”: the duration of the condition “%(kind)s” must be positive.",
                             workflow=workflow_name, kind=kind_label),
            "unknown_record": _("Workflow “%(workflow)s”: the condition “%(kind)s” names a tag or status that no "
                                "longer exists; choose existing ones.", workflow=workflow_name, kind=kind_label),
            "no_phrases": _("Workflow “%(workflow)s”: write at least one phrase (one per line) for the condition "
                            "“%(kind)s”.", workflow=workflow_name, kind=kind_label),
            "invalid_email_pattern": _(
                "Workflow “%(workflow)s”: “%(patterns)s” is not an e-mail address or a domain pattern; write one "
                "per line, e.g. jan@example.com or *@example.com.", workflow=workflow_name,
                patterns=", ".join(problem.params.get("expected") or [])),
        }
        return texts.get(problem.code) or _("Workflow “%(workflow)s”: invalid condition (%(problem)s).",
                                            workflow=workflow_name, problem=problem.text())

    def write(self, vals):
        self.env["responso.workflow"]._responso_check_line_target(vals)
        return super().write(vals)
