"""Workflow conditions: what they are, how they are checked, and what makes one invalid.

A condition is one line of the workflow form: a kind (the seed's first dropdown), an operator (its
"Condition" dropdown: is one of / is none of, inside / outside) and values. All conditions of a workflow
must hold for it to answer.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

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
SENDER_EMAIL = "sender_email"
SUBJECT = "subject"
CUSTOMER_NAME = "customer_name"
MESSAGE_TEXT = "message_text"
NEW_CONVERSATION = "new_conversation"
RETURN_CREATED = "return_created"
TAG = "tag"
STATUS = "status"
LAST_RESPONSE = "last_response"
KINDS = (SOURCE, TRIGGER, ACCOUNT, INTEGRATION, WEEKDAY, TIME_WINDOW, WORKING_HOURS, DELAY, SENDER_EMAIL, SUBJECT,
         CUSTOMER_NAME, MESSAGE_TEXT, NEW_CONVERSATION, RETURN_CREATED, TAG, STATUS, LAST_RESPONSE)
SET_KINDS = (SOURCE, ACCOUNT, INTEGRATION, STATUS)  # compared with a fact holding one record id
# "contains (any of these phrases)" / "contains none of them", case- and accent-insensitive, on one text fact
TEXT_KINDS = (SUBJECT, CUSTOMER_NAME, MESSAGE_TEXT)
FLAG_KINDS = (NEW_CONVERSATION, RETURN_CREATED)  # yes / no facts: IN = is, NOT_IN = is not
MESSAGE_KINDS = (SENDER_EMAIL, TAG, LAST_RESPONSE) + TEXT_KINDS + FLAG_KINDS
FACT_OF_FLAG = {NEW_CONVERSATION: "is_new_conversation", RETURN_CREATED: "is_return"}
# why a yes / no condition fails: (when "is" was asked, when "is not" was asked)
FLAG_REASONS = {NEW_CONVERSATION: ("not_new_conversation", "new_conversation"),
                RETURN_CREATED: ("not_return", "return_thread")}

# the working-hours calendar of a condition that reads the message's account's own calendar (its response working
# hours, else the company's): resolved per message from MessageFacts.account_calendar
ACCOUNT_CALENDAR = "account"

# operators
IN = "in"  # is one of / inside
NOT_IN = "not_in"  # is none of / outside
OPERATORS = (IN, NOT_IN)

# trigger values (the seed's "Action" condition)
FIRST_MESSAGE = "first_message"
EACH_MESSAGE = "each_message"
TRIGGERS = (FIRST_MESSAGE, EACH_MESSAGE)

FACT_OF_KIND = {SOURCE: "source", ACCOUNT: "account", INTEGRATION: "integration", STATUS: "status", SUBJECT: "subject",
                CUSTOMER_NAME: "customer_name", MESSAGE_TEXT: "text", SENDER_EMAIL: "sender_email"}

# letters that do not decompose into a base letter and an accent
_FOLD = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


@lru_cache(maxsize=512)
def normalize_text(text):
    """Text as the text conditions compare it: case- and accent-insensitive, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", (text or "").casefold().translate(_FOLD))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.split())


def normalize_phrases(values):
    """The phrases of a text condition, normalized; blank ones dropped."""
    return frozenset(phrase for phrase in (normalize_text(value) for value in values) if phrase)


def contains_any(text, phrases):
    """The first of `phrases` (normalized) found in `text` (normalized), or None."""
    return next((phrase for phrase in sorted(phrases) if phrase in text), None)


def valid_email_pattern(pattern):
    """An address (``jan@example.com``) or a whole domain (``*@example.com``)."""
    if not isinstance(pattern, str) or pattern.count("@") != 1 or any(char.isspace() for char in pattern):
        return False
    local, domain = pattern.split("@")
    labels = domain.split(".")
    return (bool(local) and ("*" not in local or local == "*") and "*" not in domain and len(labels) > 1
            and all(labels))


def email_matches(email, patterns):
    """The first pattern (lowercase) matching the address, or None."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1]
    return next((p for p in sorted(patterns) if p == email or (p.startswith("*@") and p[2:] == domain)), None)


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
    calendar: int | str | None = None  # a resource.calendar id, or ACCOUNT_CALENDAR
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
    if kind in SET_KINDS + (TRIGGER, WEEKDAY, SENDER_EMAIL, TAG) and not condition.values:
        return [Reason("no_values", {"subject": kind})]
    if kind in (TAG, STATUS) and not all(isinstance(value, int) and value > 0 for value in condition.values):
        return [Reason("unknown_record", {"subject": kind, "expected": sorted(map(str, condition.values))})]
    if kind == LAST_RESPONSE and condition.delay_minutes <= 0:
        return [Reason("no_duration")]
    if kind in TEXT_KINDS and not normalize_phrases(condition.values):
        return [Reason("no_phrases", {"subject": kind})]
    if kind == SENDER_EMAIL:
        bad = sorted(str(p) for p in condition.values if not valid_email_pattern(p))
        if bad:
            return [Reason("invalid_email_pattern", {"expected": bad})]
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


def calendar_of(condition, facts):
    """The calendar id a working-hours condition reads for this message (None: the account has none)."""
    return facts.account_calendar if condition.calendar == ACCOUNT_CALENDAR else condition.calendar


def is_working_time(condition, facts, tz_name):
    """Whether the message arrived in the working time of the condition's calendar (no calendar: never)."""
    calendar = calendar_of(condition, facts)
    if calendar is None:
        return False
    try:  # indexing, not .get(): the facts may compute missing calendars on demand (explanations)
        return facts.working_time[(calendar, tz_name)]
    except KeyError:
        raise KeyError(f"no working-time fact for calendar {calendar} in {tz_name}") from None


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
        if is_working_time(condition, facts, tz_name) != negate:
            return None
        calendar = calendar_of(condition, facts)
        expected = facts.labels.get((WORKING_HOURS, calendar)) or condition.labels.get(calendar, calendar)
        if condition.calendar == ACCOUNT_CALENDAR:  # the calendar's name, else the condition's wording
            expected = expected or condition.labels.get(ACCOUNT_CALENDAR, ACCOUNT_CALENDAR)
        params = {"actual": local_moment.strftime("%a %H:%M"), "expected": expected, "tz": tz_name}
        return Reason("inside_working_hours" if negate else "outside_working_hours", params)
    if kind in MESSAGE_KINDS:
        return _check_message(condition, facts, negate)
    if kind == DELAY:
        return None  # not a filter: it sets when the reply goes out
    raise ValueError(f"unknown condition kind {kind!r}")


def _check_message(condition, facts, negate):
    """check() for the conditions on the message itself: sender, texts, yes / no facts."""
    kind = condition.kind
    if kind == SENDER_EMAIL:
        actual = facts.sender_email
        if (email_matches(actual, condition.values) is not None) != negate:
            return None
        params = {"subject": kind, "actual": actual or "—", "expected": sorted(condition.values)}
        return Reason("one_of_excluded" if negate else "not_one_of", params)
    if kind in TEXT_KINDS:
        found = contains_any(normalize_text(getattr(facts, FACT_OF_KIND[kind])), normalize_phrases(condition.values))
        if (found is not None) != negate:
            return None
        if negate:
            return Reason("contains_excluded", {"subject": kind, "found": found})
        return Reason("contains_none", {"subject": kind, "expected": sorted(normalize_phrases(condition.values))})
    if kind in FLAG_KINDS:
        if bool(getattr(facts, FACT_OF_FLAG[kind])) != negate:
            return None
        return Reason(FLAG_REASONS[kind][negate])
    if kind == TAG:
        found = sorted(condition.labels.get(tag, tag) for tag in condition.values & facts.tags)
        if bool(found) != negate:
            return None
        if negate:
            return Reason("tag_set", {"found": found})
        return Reason("tag_not_set", {"expected": condition.value_labels()})
    if kind == LAST_RESPONSE:
        return _check_last_response(condition, facts, negate)
    raise ValueError(f"unknown condition kind {kind!r}")


def last_response_holds(condition, facts):
    """Whether the buyer's previous message in the conversation is older (operator IN) or newer (NOT_IN) than the
    condition's duration, counted up to this message. No previous message: neither."""
    previous = facts.last_customer_message
    if previous is None:
        return False
    older = facts.received_at - previous > timedelta(minutes=condition.delay_minutes)
    return older != (condition.operator == NOT_IN)


def _check_last_response(condition, facts, negate):
    if last_response_holds(condition, facts):
        return None
    if facts.last_customer_message is None:
        return Reason("no_previous_message")
    params = {"minutes": int((facts.received_at - facts.last_customer_message).total_seconds() // 60),
              "expected": condition.delay_minutes}
    return Reason("last_response_not_older" if not negate else "last_response_not_newer", params)
