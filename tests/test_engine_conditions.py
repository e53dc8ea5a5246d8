"""Conditions of a workflow: checking each kind with both operators, the failing reasons, and validation."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from responso_autoresponder.engine import Condition, MessageFacts, Reason, condition_problems
from responso_autoresponder.engine.conditions import check

TZ = "Europe/Warsaw"
# 2026-06-16 is a Tuesday; Warsaw is on summer time (UTC+2).
TUESDAY_NOON = datetime(2026, 6, 16, 12, 0, tzinfo=ZoneInfo(TZ))

AMAZON, ALLEGRO, EBAY = 1, 2, 3
LABELS = {("source", AMAZON): "Amazon", ("source", ALLEGRO): "Allegro", ("source", EBAY): "eBay",
          ("account", 10): "Shop PL", ("account", 11): "Shop DE",
          ("integration", 20): "Amazon EU", ("integration", 21): "Allegro main"}


def facts(**kwargs):
    values = {"message_id": 1, "received_at": TUESDAY_NOON.astimezone(timezone.utc),
              "source": ALLEGRO, "account": 10, "integration": 21, "labels": LABELS}
    values.update(kwargs)
    return MessageFacts(**values)


def run(condition, message=None, moment=TUESDAY_NOON, tz=TZ):
    message = message or facts()
    return check(condition, message, moment.astimezone(ZoneInfo(tz)), tz)


# ---------------------------------------------------------------- source / account / integration


SET_CASES = [
    # kind, fact value, operator, condition values, holds
    ("source", ALLEGRO, "in", {ALLEGRO, EBAY}, True),
    ("source", AMAZON, "in", {ALLEGRO, EBAY}, False),
    ("source", ALLEGRO, "not_in", {ALLEGRO, EBAY}, False),
    ("account", 10, "in", {10}, True),
    ("account", 11, "in", {10}, False),
    ("integration", 20, "in", {20, 21}, True),
    ("integration", None, "in", {20, 21}, False),
    ("integration", 20, "not_in", {20}, False),
]


@pytest.mark.parametrize("kind, actual, operator, values, holds", SET_CASES)
def test_set_conditions(kind, actual, operator, values, holds):
    condition = Condition(kind, operator, frozenset(values))
    reason = run(condition, facts(**{kind: actual}))
    assert (reason is None) is holds
    if not holds:
        assert reason.code == ("not_one_of" if operator == "in" else "one_of_excluded")
        assert reason.params["subject"] == kind


def test_source_not_one_of_reason_uses_labels():
    condition = Condition("source", "in", frozenset({ALLEGRO, EBAY}),
                          labels={ALLEGRO: "Allegro", EBAY: "eBay"})
    reason = run(condition, facts(source=AMAZON))
    assert reason == Reason("not_one_of", {"subject": "source", "actual": "Amazon",
                                           "expected": ["Allegro", "eBay"]})
    assert reason.text() == "source Amazon is not one of Allegro, eBay"


def test_account_excluded_reason_uses_labels():
    condition = Condition("account", "not_in", frozenset({10, 11}), labels={10: "Shop PL", 11: "Shop DE"})
    reason = run(condition, facts(account=11))
    assert reason.code == "one_of_excluded"
    assert reason.params == {"subject": "account", "actual": "Shop DE", "expected": ["Shop DE", "Shop PL"]}
    assert reason.text() == "account Shop DE is one of the excluded Shop DE, Shop PL"


def test_unlabelled_values_fall_back_to_ids_and_missing_fact_to_dash():
    condition = Condition("integration", "in", frozenset({20}))
    reason = run(condition, MessageFacts(message_id=1, received_at=TUESDAY_NOON, integration=None))
    assert reason.params == {"subject": "integration", "actual": "—", "expected": ["20"]}


# ---------------------------------------------------------------- trigger


@pytest.mark.parametrize("values, is_first, holds", [
    ({"first_message"}, True, True),
    ({"first_message"}, False, False),
    ({"each_message"}, True, True),   # "each new message" includes the first one
    ({"each_message"}, False, True),
])
def test_trigger(values, is_first, holds):
    reason = run(Condition("trigger", "in", frozenset(values)), facts(is_first_message=is_first))
    assert (reason is None) is holds
    if not holds:
        assert reason == Reason("not_first_message")
        assert reason.text() == "not the first message of this buyer to this account"


# ---------------------------------------------------------------- weekday


@pytest.mark.parametrize("operator, days, holds", [
    ("in", {1}, True),           # Tuesday
    ("in", {5, 6}, False),
    ("not_in", {5, 6}, True),
    ("not_in", {1, 3}, False),
])
def test_weekday(operator, days, holds):
    reason = run(Condition("weekday", operator, frozenset(days)))
    assert (reason is None) is holds


def test_weekday_not_in_reason():
    reason = run(Condition("weekday", "in", frozenset({6, 5})))
    assert reason == Reason("weekday_not_in", {"actual": "Tuesday", "expected": ["Saturday", "Sunday"], "tz": TZ})
    assert reason.text() == "Tuesday is not one of Saturday, Sunday (Europe/Warsaw)"


def test_weekday_excluded_reason():
    reason = run(Condition("weekday", "not_in", frozenset({3, 1})))
    assert reason == Reason("weekday_excluded", {"actual": "Tuesday", "expected": ["Tuesday", "Thursday"], "tz": TZ})
    assert reason.text() == "Tuesday is one of the excluded days Tuesday, Thursday (Europe/Warsaw)"


# ---------------------------------------------------------------- time window

DAY_WINDOW = (10 * 60, 18 * 60)    # 10:00–18:00
NIGHT_WINDOW = (18 * 60, 10 * 60)  # 18:00–10:00, crosses midnight


@pytest.mark.parametrize("window, operator, hour, minute, holds", [
    (DAY_WINDOW, "in", 9, 59, False),
    (DAY_WINDOW, "in", 10, 0, True),      # start inclusive
    (DAY_WINDOW, "in", 17, 59, True),
    (DAY_WINDOW, "in", 18, 0, False),     # end exclusive
    (DAY_WINDOW, "not_in", 23, 59, True),
    (DAY_WINDOW, "not_in", 10, 0, False),
    (NIGHT_WINDOW, "in", 18, 0, True),    # start inclusive
    (NIGHT_WINDOW, "in", 23, 59, True),
    (NIGHT_WINDOW, "in", 0, 0, True),
    (NIGHT_WINDOW, "in", 10, 0, False),   # end exclusive
    (NIGHT_WINDOW, "not_in", 9, 59, False),
    (NIGHT_WINDOW, "not_in", 10, 0, True),
])
def test_time_window_edges(window, operator, hour, minute, holds):
    moment = datetime(2026, 6, 16, hour, minute, tzinfo=ZoneInfo(TZ))
    reason = run(Condition("time_window", operator, start_minute=window[0], end_minute=window[1]), moment=moment)
    assert (reason is None) is holds
    if not holds:
        assert reason.code == ("outside_window" if operator == "in" else "inside_window")
        assert reason.params["actual"] == f"{hour:02d}:{minute:02d}"


def test_time_window_outside_reason():
    moment = datetime(2026, 6, 16, 19, 5, tzinfo=ZoneInfo(TZ))
    reason = run(Condition("time_window", "in", start_minute=600, end_minute=1080), moment=moment)
    assert reason == Reason("outside_window", {"actual": "19:05", "expected": "10:00–18:00", "tz": TZ})
    assert reason.text() == "19:05 is outside 10:00–18:00 (Europe/Warsaw)"


def test_time_window_inside_excluded_reason():
    moment = datetime(2026, 6, 16, 23, 59, tzinfo=ZoneInfo(TZ))
    reason = run(Condition("time_window", "not_in", start_minute=1080, end_minute=600), moment=moment)
    assert reason == Reason("inside_window", {"actual": "23:59", "expected": "18:00–10:00", "tz": TZ})
    assert reason.text() == "23:59 is inside the excluded window 18:00–10:00 (Europe/Warsaw)"


def test_time_window_ending_at_24_00_covers_the_evening():
    condition = Condition("time_window", "in", start_minute=1080, end_minute=1440)
    assert run(condition, moment=datetime(2026, 6, 16, 23, 59, tzinfo=ZoneInfo(TZ))) is None
    assert run(condition, moment=datetime(2026, 6, 16, 0, 0, tzinfo=ZoneInfo(TZ))) is not None


# ---------------------------------------------------------------- working hours

CALENDAR = 7


@pytest.mark.parametrize("operator, inside, holds", [
    ("in", True, True),
    ("in", False, False),
    ("not_in", False, True),
    ("not_in", True, False),
])
def test_working_hours(operator, inside, holds):
    condition = Condition("working_hours", operator, calendar=CALENDAR, labels={CALENDAR: "Office 8-16"})
    reason = run(condition, facts(working_time={(CALENDAR, TZ): inside}))
    assert (reason is None) is holds
    if not holds:
        code = "outside_working_hours" if operator == "in" else "inside_working_hours"
        assert reason == Reason(code, {"actual": "Tue 12:00", "expected": "Office 8-16", "tz": TZ})


def test_working_hours_reason_text():
    condition = Condition("working_hours", "in", calendar=CALENDAR, labels={CALENDAR: "Office 8-16"})
    reason = run(condition, facts(working_time={(CALENDAR, TZ): False}))
    assert reason.text() == "Tue 12:00 is outside the working hours of Office 8-16 (Europe/Warsaw)"


def test_working_hours_fact_is_looked_up_by_calendar_and_timezone():
    condition = Condition("working_hours", "in", calendar=CALENDAR)
    message = facts(working_time={(CALENDAR, "Asia/Tokyo"): False, (CALENDAR, TZ): True, (8, TZ): False})
    assert run(condition, message) is None


def test_missing_working_time_fact_raises_key_error():
    condition = Condition("working_hours", "in", calendar=CALENDAR)
    with pytest.raises(KeyError):
        run(condition, facts(working_time={(CALENDAR, "Asia/Tokyo"): True}))


# ---------------------------------------------------------------- delay


def test_delay_is_not_a_filter():
    assert run(Condition("delay", delay_minutes=24 * 60)) is None


# ---------------------------------------------------------------- condition_problems


@pytest.mark.parametrize("condition, code", [
    (Condition("source"), "no_values"),
    (Condition("integration"), "no_values"),
    (Condition("trigger"), "no_values"),
    (Condition("weekday"), "no_values"),
    (Condition("weekday", values=frozenset({7})), "no_values"),
    (Condition("trigger", values=frozenset({"every_second_message"})), "no_values"),
    (Condition("time_window", start_minute=600, end_minute=600), "window_empty"),
    (Condition("time_window", start_minute=0, end_minute=1440), "window_empty"),
    (Condition("time_window", start_minute=-1, end_minute=600), "window_invalid"),
    (Condition("time_window", start_minute=1441, end_minute=600), "window_invalid"),
    (Condition("time_window", start_minute=600, end_minute=1441), "window_invalid"),
    (Condition("time_window", start_minute=None, end_minute=600), "window_invalid"),
    (Condition("working_hours"), "no_calendar"),
    (Condition("delay", delay_minutes=-5), "negative_delay"),
    (Condition("moon_phase", values=frozenset({"full"})), "unknown_condition"),
])
def test_condition_problems(condition, code):
    problems = condition_problems(condition)
    assert [problem.code for problem in problems] == [code]


def test_problem_params_and_texts():
    assert condition_problems(Condition("weekday")) == [Reason("no_values", {"subject": "weekday"})]
    assert condition_problems(Condition("weekday"))[0].text() == "the condition “weekday” has no value"
    empty = condition_problems(Condition("time_window", start_minute=0, end_minute=1440))[0]
    assert empty.params == {"expected": "00:00–24:00"}
    assert empty.text() == "the time window starts and ends at the same time (00:00–24:00)"
    unknown = condition_problems(Condition("moon_phase"))[0]
    assert unknown.text() == "unknown condition type “moon_phase”"


@pytest.mark.parametrize("condition", [
    Condition("source", "in", frozenset({AMAZON})),
    Condition("trigger", values=frozenset({"each_message"})),
    Condition("weekday", values=frozenset(range(7))),
    Condition("time_window", start_minute=600, end_minute=1080),
    Condition("working_hours", calendar=CALENDAR),
])
def test_valid_conditions_have_no_problems(condition):
    assert condition_problems(condition) == []


# ---------------------------------------------------------------- Reason texts


def test_reason_text_uses_given_templates_and_falls_back_to_english():
    reason = Reason("weekday_not_in", {"actual": "Tuesday", "expected": ["Saturday"], "tz": TZ})
    polish = {"weekday_not_in": "%(actual)s nie jest w %(expected)s (%(tz)s)"}
    assert reason.text(polish) == "Tuesday nie jest w Saturday (Europe/Warsaw)"
    assert Reason("no_action").text(polish) == "the workflow has no action"
    assert str(Reason("automatic_message", {"signal": "auto-submitted"})) == "automatic message: auto-submitted"


# ---------------------------------------------------------------- sender e-mail, texts, new conversation, return

EMAIL_CASES = [
    # sender, operator, patterns, holds
    ("jan@example.com", "in", {"jan@example.com"}, True),
    ("Jan@Example.COM", "in", {"jan@example.com"}, True),
    ("ola@example.com", "in", {"*@example.com"}, True),
    ("ola@sub.example.com", "in", {"*@example.com"}, False),
    ("ola@shop.pl", "in", {"*@example.com", "jan@example.com"}, False),
    ("ola@shop.pl", "not_in", {"*@example.com"}, True),
    ("jan@example.com", "not_in", {"*@example.com"}, False),
    ("", "in", {"*@example.com"}, False),
    ("", "not_in", {"*@example.com"}, True),
]


@pytest.mark.parametrize("sender, operator, patterns, holds", EMAIL_CASES)
def test_sender_email(sender, operator, patterns, holds):
    reason = run(Condition("sender_email", operator, frozenset(patterns)), facts(sender_email=sender))
    assert (reason is None) is holds
    if not holds:
        assert reason.code == ("not_one_of" if operator == "in" else "one_of_excluded")
        assert reason.params["subject"] == "sender_email"


def test_sender_email_reason_text():
    reason = run(Condition("sender_email", "in", frozenset({"*@shop.pl"})), facts(sender_email="x@other.de"))
    assert reason.text() == "sender_email x@other.de is not one of *@shop.pl"


@pytest.mark.parametrize("patterns", [{"jan"}, {"jan@"}, {"@example.com"}, {"*@*.example.com"}, {"j*n@example.com"},
                                      {"jan@example"}, {"jan @example.com"}, {"a@b@example.com"}])
def test_malformed_email_patterns_are_refused(patterns):
    problems = condition_problems(Condition("sender_email", "in", frozenset(patterns)))
    assert [p.code for p in problems] == ["invalid_email_pattern"]
    assert problems[0].params["expected"] == sorted(patterns)


def test_sender_email_needs_a_pattern():
    assert [p.code for p in condition_problems(Condition("sender_email", "in"))] == ["no_values"]


TEXT_CASES = [
    # kind, fact, text, operator, phrases, holds
    ("message_text", "text", "Gdzie jest moja PRZESYŁKA?", "in", {"przesylka"}, True),
    ("message_text", "text", "Zółw  uszkodzony", "in", {"żółw uszkodzony"}, True),
    ("message_text", "text", "Où est mon colis ?", "in", {"OU EST", "refund"}, True),
    ("message_text", "text", "Thanks a lot", "in", {"refund", "return"}, False),
    ("message_text", "text", "I want a refund", "not_in", {"refund", "return"}, False),
    ("message_text", "text", "Thanks a lot", "not_in", {"refund"}, True),
    ("subject", "subject", "Zwrot towaru #123", "in", {"zwrot"}, True),
    ("subject", "subject", "Question", "in", {"zwrot"}, False),
    ("subject", "subject", "", "not_in", {"zwrot"}, True),
    ("customer_name", "customer_name", "Łukasz Nowak", "in", {"lukasz"}, True),
    ("customer_name", "customer_name", "Łukasz Nowak", "not_in", {"NOWAK"}, False),
]


@pytest.mark.parametrize("kind, fact, text, operator, phrases, holds", TEXT_CASES)
def test_text_conditions(kind, fact, text, operator, phrases, holds):
    reason = run(Condition(kind, operator, frozenset(phrases)), facts(**{fact: text}))
    assert (reason is None) is holds
    if not holds:
        assert reason.code == ("contains_none" if operator == "in" else "contains_excluded")
        assert reason.params["subject"] == kind


def test_text_condition_reasons():
    reason = run(Condition("message_text", "not_in", frozenset({"Refund"})), facts(text="I want a REFUND now"))
    assert reason.text() == "message_text contains the excluded “refund”"
    reason = run(Condition("subject", "in", frozenset({"Zwrot", "reklamacja"})), facts(subject="Hello"))
    assert reason.text() == "subject contains none of reklamacja, zwrot"


@pytest.mark.parametrize("phrases", [set(), {""}, {"  ", "\n"}])
def test_text_condition_needs_a_phrase(phrases):
    problems = condition_problems(Condition("message_text", "in", frozenset(phrases)))
    assert [p.code for p in problems] == ["no_phrases"]
    assert problems[0].text() == "the condition “message_text” has no phrase"


@pytest.mark.parametrize("kind, fact, failing", [
    ("new_conversation", "is_new_conversation", ("not_new_conversation", "new_conversation")),
    ("return_created", "is_return", ("not_return", "return_thread")),
])
def test_yes_no_conditions(kind, fact, failing):
    assert run(Condition(kind, "in"), facts(**{fact: True})) is None
    assert run(Condition(kind, "in"), facts(**{fact: False})).code == failing[0]
    assert run(Condition(kind, "not_in"), facts(**{fact: False})) is None
    assert run(Condition(kind, "not_in"), facts(**{fact: True})).code == failing[1]
    assert condition_problems(Condition(kind, "in")) == []


# ---------------------------------------------------------------- tags, status, last customer response

URGENT, VIP = 41, 42


def test_tag_is_set_or_not():
    condition = Condition("tag", "in", frozenset({URGENT, VIP}), labels={URGENT: "Urgent", VIP: "VIP"})
    assert run(condition, facts(tags=frozenset({VIP, 99}))) is None
    reason = run(condition, facts(tags=frozenset()))
    assert reason.text() == "none of the tags Urgent, VIP is set"
    excluded = Condition("tag", "not_in", frozenset({URGENT}), labels={URGENT: "Urgent"})
    assert run(excluded, facts(tags=frozenset({VIP}))) is None
    assert run(excluded, facts(tags=frozenset({URGENT}))).text() == "the excluded tag Urgent is set"


def test_status_is_or_is_not():
    condition = Condition("status", "in", frozenset({51}), labels={51: "Open"})
    assert run(condition, facts(status=51)) is None
    reason = run(condition, facts(status=52, labels={("status", 52): "Closed"}))
    assert reason.text() == "status Closed is not one of Open"
    assert run(Condition("status", "not_in", frozenset({51})), facts(status=52)) is None
    assert run(Condition("status", "not_in", frozenset({51})), facts(status=51)).code == "one_of_excluded"


@pytest.mark.parametrize("kind", ["tag", "status"])
def test_tag_and_status_need_known_records(kind):
    assert [p.code for p in condition_problems(Condition(kind, "in"))] == ["no_values"]
    problems = condition_problems(Condition(kind, "in", frozenset({"urgent"})))
    assert [p.code for p in problems] == ["unknown_record"]
    assert problems[0].text() == f"the condition “{kind}” names unknown records: urgent"


def test_last_customer_response():
    received = TUESDAY_NOON.astimezone(timezone.utc)
    older = Condition("last_response", "in", delay_minutes=24 * 60)
    newer = Condition("last_response", "not_in", delay_minutes=24 * 60)
    two_days = facts(last_customer_message=received - timedelta(days=2))
    one_hour = facts(last_customer_message=received - timedelta(hours=1))
    assert run(older, two_days) is None
    assert run(older, one_hour).text() == "the buyer last wrote 60 min ago, not more than 1440 min ago"
    assert run(newer, one_hour) is None
    assert run(newer, two_days).text() == "the buyer last wrote 2880 min ago, not less than 1440 min ago"
    for condition in (older, newer):
        assert run(condition, facts()).text() == "no earlier message of the buyer in this conversation"
    assert [p.code for p in condition_problems(Condition("last_response", "in"))] == ["no_duration"]
