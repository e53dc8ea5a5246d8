"""Workflow conditions: what they are, how they are checked, and what makes one invalid.

A condition is one line of the workflow form: a kind (the seed's first dropdown), an operator (its
"Condition" dropdown: is one of / is none of, inside / outside) and values. All conditions of a workflow
must hold for it to answer.
"""

from dataclasses import dataclass, field

from .reasons import WEEKDAY_NAMES, Reason
from .schedule import MINUTES_PER_DAY, format_minutes, format_window, in_window, minute_of_day

# kinds
SOURCE = "source"
TRIGGER = "trigger"
ACCOUNT = "account"
INTEGRATION = "integration"
WEEKDAY = "weekday"
TIME_WINDOW = "time_window"
WORKING_HOURS = "working_hours"
DELAY = "delay"
KINDS = (SOURCE, TRIGGER, ACCOUNT, INTEGRATION, WEEKDAY, TIME_WINDOW, WORKING_HOURS, DELAY)
SET_KINDS = (SOURCE, ACCOUNT, INTEGRATION)  # compared with a fact holding one record id

# operators
IN = "in"  # is one of / inside
NOT_IN = "not_in"  # is none of / outside
OPERATORS = (IN, NOT_IN)

# trigger values (the seed's "Action" condition)
FIRST_MESSAGE = "first_message"
EACH_MESSAGE = "each_message"
TRIGGERS = (FIRST_MESSAGE, EACH_MESSAGE)

FACT_OF_KIND = {SOURCE: "source", ACCOUNT: "account", INTEGRATION: "integration"}


@dataclass(frozen=True)
class Condition:
    """One condition line. `values` holds record ids (source, account, integration), weekday numbers
    (0 = Monday) or trigger values; the time window is in minutes of the day; `labels` maps values to
    names for the decision log."""

    kind: str
    operator: str = IN
    values: frozenset = frozenset()
    start_minute: int | None = None
    end_minute: int | None = None
    calendar: int | None = None
    delay_minutes: int = 0
    labels: dict = field(default_factory=dict, compare=False)

    def value_labels(self):
        if self.kind == WEEKDAY:
            return [WEEKDAY_NAMES[day] for day in sorted(self.values)]
        return sorted(str(self.labels.get(value, value)) for value in self.values)


def condition_problems(condition):
    """Reasons why a condition cannot be saved (empty list when it is fine)."""
    kind = condition.kind
    if kind not in KINDS:
        return [Reason("unknown_condition", {"subject": kind})]
    if kind in SET_KINDS + (TRIGGER, WEEKDAY) and not condition.values:
        return [Reason("no_values", {"subject": kind})]
    if kind == WEEKDAY and not all(isinstance(d, int) and 0 <= d <= 6 for d in condition.values):
        return [Reason("no_values", {"subject": kind})]
    if kind == TRIGGER and not set(condition.values) <= set(TRIGGERS):
        return [Reason("no_values", {"subject": kind})]
    if kind == TIME_WINDOW:
        start, end = condition.start_minute, condition.end_minute
        if start is None or end is None or not (0 <= start <= MINUTES_PER_DAY and 0 <= end <= MINUTES_PER_DAY):
            return [Reason("window_invalid")]
        if start % MINUTES_PER_DAY == end % MINUTES_PER_DAY:
            return [Reason("window_empty", {"expected": format_window(start, end)})]
    if kind == WORKING_HOURS and not condition.calendar:
        return [Reason("no_calendar")]
    if kind == DELAY and condition.delay_minutes < 0:
        return [Reason("negative_delay")]
    return []


def check(condition, facts, local_moment, tz_name):
    """None when the condition holds for the message received at `local_moment`, else the Reason why not."""
    kind, negate = condition.kind, condition.operator == NOT_IN
    if kind in SET_KINDS:
        actual = getattr(facts, FACT_OF_KIND[kind])
        if (actual in condition.values) != negate:
            return None
        params = {"subject": kind, "actual": facts.label(kind, actual), "expected": condition.value_labels()}
        return Reason("one_of_excluded" if negate else "not_one_of", params)
    if kind == TRIGGER:
        # "each new message" includes the first one; "first message" alone needs a first-time sender.
        if EACH_MESSAGE in condition.values or facts.is_first_message:
            return None
        return Reason("not_first_message")
    if kind == WEEKDAY:
        day = local_moment.weekday()
        if (day in condition.values) != negate:
            return None
        params = {"actual": WEEKDAY_NAMES[day], "expected": condition.value_labels(), "tz": tz_name}
        return Reason("weekday_excluded" if negate else "weekday_not_in", params)
    if kind == TIME_WINDOW:
        minute = minute_of_day(local_moment)
        start, end = condition.start_minute % MINUTES_PER_DAY, condition.end_minute % MINUTES_PER_DAY
        if in_window(minute, start, end) != negate:
            return None
        params = {"actual": format_minutes(minute), "expected": format_window(start, end), "tz": tz_name}
        return Reason("inside_window" if negate else "outside_window", params)
    if kind == WORKING_HOURS:
        try:  # indexing, not .get(): the facts may compute missing calendars on demand (explanations)
            inside = facts.working_time[(condition.calendar, tz_name)]
        except KeyError:
            raise KeyError(f"no working-time fact for calendar {condition.calendar} in {tz_name}") from None
        if inside != negate:
            return None
        params = {"actual": local_moment.strftime("%a %H:%M"),
                  "expected": condition.labels.get(condition.calendar, condition.calendar), "tz": tz_name}
        return Reason("inside_working_hours" if negate else "outside_working_hours", params)
    if kind == DELAY:
        return None  # not a filter: it sets when the reply goes out
    raise ValueError(f"unknown condition kind {kind!r}")
