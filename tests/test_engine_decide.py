"""decide(): which workflow answers a message, when, and why the others do not."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import permutations
from zoneinfo import ZoneInfo

import pytest

from responso_autoresponder.engine import Condition, MessageFacts, Reason, WorkflowSpec, decide
from responso_autoresponder.engine.throttle import History

TZ = "Europe/Warsaw"
AMAZON, ALLEGRO = 1, 2


def local(text, tz=TZ):
    """An aware UTC datetime for a wall-clock time in `tz`."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def message(when="2026-06-16 12:00", **kwargs):  # 2026-06-16 is a Tuesday
    values = {"message_id": 1, "received_at": local(when), "source": ALLEGRO, "is_first_message": False}
    values.update(kwargs)
    return MessageFacts(**values)


def workflow(id, sequence=10, *conditions, name=None, action_count=1, tz=TZ):
    return WorkflowSpec(id=id, name=name or f"Workflow {id}", sequence=sequence, tz=tz,
                        conditions=tuple(conditions), action_count=action_count)


def by_id(decisions):
    return {decision.workflow_id: decision for decision in decisions}


def answering(decisions):
    return [decision.workflow_id for decision in decisions if decision.answers]


SATURDAY_OR_SUNDAY = Condition("weekday", "in", frozenset({5, 6}))
NEVER = Condition("weekday", "in", frozenset())  # holds on no day


# ---------------------------------------------------------------- facts


def test_message_facts_refuse_naive_received_at():
    with pytest.raises(ValueError):
        MessageFacts(message_id=1, received_at=datetime(2026, 6, 16, 12, 0))


# ---------------------------------------------------------------- order and the single answer


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_order_is_sequence_then_id_whatever_the_input_order(order):
    workflows = [workflow(3, 10, name="C"), workflow(1, 20, name="A"), workflow(2, 10, name="B")]
    decisions = decide([workflows[i] for i in order], message(), now=local("2026-06-16 12:00"))
    assert [d.workflow_id for d in decisions] == [2, 3, 1]
    assert answering(decisions) == [2]
    assert [d.reason for d in decisions[1:]] == [Reason("already_answered", {"workflow": "B"})] * 2


def test_winner_reason_counts_its_conditions():
    decisions = decide([workflow(1, 10, SATURDAY_OR_SUNDAY, Condition("delay", delay_minutes=0))],
                       message("2026-06-13 12:00"), now=local("2026-06-13 12:00"))
    assert decisions[0].answers
    assert decisions[0].reason == Reason("matched", {"count": 2})
    assert decisions[0].reason.text() == "all conditions hold (2)"


def test_non_matching_workflow_reports_its_first_failing_condition():
    source = Condition("source", "in", frozenset({AMAZON}))
    decisions = by_id(decide([workflow(1, 10, SATURDAY_OR_SUNDAY, source), workflow(2, 20, source, SATURDAY_OR_SUNDAY)],
                             message(), now=local("2026-06-16 12:00")))
    assert decisions[1].reason.code == "weekday_not_in"
    assert decisions[2].reason.code == "not_one_of"
    assert not decisions[1].answers and decisions[1].send_at is None


def test_failing_workflow_before_the_winner_does_not_block_it():
    decisions = decide([workflow(1, 10, NEVER), workflow(2, 20), workflow(3, 30)], message(),
                       now=local("2026-06-16 12:00"))
    assert answering(decisions) == [2]
    assert by_id(decisions)[3].reason == Reason("already_answered", {"workflow": "Workflow 2"})
    assert by_id(decisions)[3].reason.text() == "another workflow answers this message: Workflow 2"


def test_workflow_without_action_does_not_answer_nor_block():
    decisions = by_id(decide([workflow(1, 10, action_count=0), workflow(2, 20)], message(),
                             now=local("2026-06-16 12:00")))
    assert not decisions[1].answers
    assert decisions[1].reason == Reason("no_action")
    assert decisions[2].answers


def test_a_workflow_that_sends_nothing_applies_without_taking_the_answer():
    """Tags / assignment / status / note / "no answer needed" only: its actions apply, and the first matching
    workflow that sends a message answers, even after it in sequence."""
    tag = WorkflowSpec(id=1, name="Tag", sequence=1, tz=TZ, sends=False)
    reply = workflow(2, 20, name="Reply")
    later = workflow(3, 30, name="Later reply")
    decisions = by_id(decide([tag, reply, later], message(), now=local("2026-06-16 12:00")))
    assert decisions[1].applied and not decisions[1].answers
    assert decisions[1].reason == Reason("applied", {"count": 0})
    assert decisions[2].answers and not decisions[2].applied
    assert decisions[3].reason == Reason("already_answered", {"workflow": "Reply"})
    assert decisions[1].reason.text() == (
        "all conditions hold (0): its actions apply; it sends no message, the answer is left to others")


def test_automatic_message_skips_every_workflow():
    facts = message(automatic_signal="Auto-Submitted: auto-replied")
    decisions = decide([workflow(1, 10), workflow(2, 20, SATURDAY_OR_SUNDAY)], facts, now=local("2026-06-16 12:00"))
    assert answering(decisions) == []
    for decision in decisions:
        assert decision.reason == Reason("automatic_message", {"signal": "Auto-Submitted: auto-replied"})
        assert decision.send_at is None
    assert decisions[0].reason.text() == "automatic message: Auto-Submitted: auto-replied"


def test_missing_working_time_fact_raises_key_error():
    hours = workflow(1, 10, Condition("working_hours", "in", calendar=7))
    assert hours.working_time_keys() == {(7, TZ)}
    with pytest.raises(KeyError):
        decide([hours], message(), now=local("2026-06-16 12:00"))
    supplied = decide([hours], message(working_time={(7, TZ): True}), now=local("2026-06-16 12:00"))
    assert answering(supplied) == [1]


# ---------------------------------------------------------------- send time


def test_delay_sends_after_the_longest_delay():
    received = local("2026-06-16 12:00")
    delayed = workflow(1, 10, Condition("delay", delay_minutes=5), Condition("delay", delay_minutes=15))
    [decision] = decide([delayed], message(), now=received + timedelta(seconds=30))
    assert decision.send_at == received + timedelta(minutes=15)


def test_delay_on_an_old_message_sends_now():
    now = local("2026-06-16 12:00")
    delayed = workflow(1, 10, Condition("delay", delay_minutes=5))
    [decision] = decide([delayed], message("2026-06-16 08:00"), now=now)
    assert decision.send_at == now


@pytest.mark.parametrize("received", ["2026-06-16 12:00", "2026-06-16 11:59"])
def test_without_delay_sends_now(received):
    now = local("2026-06-16 12:00")
    [decision] = decide([workflow(1, 10)], message(received), now=now)
    assert decision.send_at == now


# ---------------------------------------------------------------- the seed's three templates (Europe/Warsaw)

AMAZON_REPLY = workflow(3, 5, Condition("source", "in", frozenset({AMAZON}), labels={AMAZON: "Amazon"}),
                        Condition("trigger", "in", frozenset({"each_message"})),
                        Condition("delay", delay_minutes=5), name="Amazon")
WEEKEND = workflow(1, 10, SATURDAY_OR_SUNDAY, name="Weekend")
OUT_OF_HOURS = workflow(2, 20, Condition("time_window", "not_in", start_minute=10 * 60, end_minute=18 * 60),
                        name="Out of hours")
TEMPLATES = [WEEKEND, OUT_OF_HOURS, AMAZON_REPLY]


@pytest.mark.parametrize("when, source, amazon, weekend, out_of_hours", [
    ("2026-06-13 11:00", ALLEGRO, "not_one_of", "matched", "inside_window"),           # Saturday
    ("2026-06-16 19:00", ALLEGRO, "not_one_of", "weekday_not_in", "matched"),         # Tuesday evening
    ("2026-06-16 12:00", ALLEGRO, "not_one_of", "weekday_not_in", "inside_window"),   # Tuesday noon
    ("2026-06-14 22:00", ALLEGRO, "not_one_of", "matched", "already_answered"),       # Sunday night
    ("2026-06-16 12:00", AMAZON, "matched", "weekday_not_in", "inside_window"),       # Amazon, Tuesday noon
    ("2026-06-14 22:00", AMAZON, "matched", "already_answered", "already_answered"),  # Amazon, Sunday night
])
def test_seed_templates(when, source, amazon, weekend, out_of_hours):
    decisions = decide(TEMPLATES, message(when, source=source), now=local(when))
    assert [d.workflow_id for d in decisions] == [3, 1, 2]
    assert [d.reason.code for d in decisions] == [amazon, weekend, out_of_hours]
    assert len(answering(decisions)) <= 1
    assert [d.answers for d in decisions] == [code == "matched" for code in (amazon, weekend, out_of_hours)]


def test_sunday_night_only_the_weekend_template_answers():
    when = local("2026-06-14 22:00")
    decisions = by_id(decide(TEMPLATES, message("2026-06-14 22:00"), now=when))
    assert answering(decisions.values()) == [WEEKEND.id]
    assert decisions[WEEKEND.id].send_at == when
    assert decisions[OUT_OF_HOURS.id].reason == Reason("already_answered", {"workflow": "Weekend"})
    assert decisions[AMAZON_REPLY.id].reason == Reason(
        "not_one_of", {"subject": "source", "actual": ALLEGRO, "expected": ["Amazon"]})


def test_amazon_message_is_answered_five_minutes_later():
    received = local("2026-06-16 12:00")
    decisions = by_id(decide(TEMPLATES, message("2026-06-16 12:00", source=AMAZON), now=received))
    assert answering(decisions.values()) == [AMAZON_REPLY.id]
    assert decisions[AMAZON_REPLY.id].send_at == received + timedelta(minutes=5)


def test_tuesday_evening_reason_texts():
    decisions = by_id(decide(TEMPLATES, message("2026-06-16 19:00"), now=local("2026-06-16 19:00")))
    assert decisions[WEEKEND.id].reason.text() == "Tuesday is not one of Saturday, Sunday (Europe/Warsaw)"
    assert decisions[AMAZON_REPLY.id].reason.text() == "source 2 is not one of Amazon"


def test_trigger_first_message_in_decide():
    first_only = workflow(1, 10, Condition("trigger", "in", frozenset({"first_message"})))
    assert answering(decide([first_only], message(is_first_message=True), now=local("2026-06-16 12:00"))) == [1]
    [decision] = decide([first_only], message(is_first_message=False), now=local("2026-06-16 12:00"))
    assert decision.reason == Reason("not_first_message")


def test_workflows_in_other_timezones_see_their_own_day():
    instant = datetime(2026, 5, 15, 20, 0, tzinfo=timezone.utc)  # Saturday in Tokyo, Friday in Los Angeles
    facts = MessageFacts(message_id=1, received_at=instant)
    weekend_la = workflow(1, 10, SATURDAY_OR_SUNDAY, tz="America/Los_Angeles")
    weekend_tokyo = workflow(2, 20, SATURDAY_OR_SUNDAY, tz="Asia/Tokyo")
    decisions = by_id(decide([weekend_la, weekend_tokyo], facts, now=instant))
    assert answering(decisions.values()) == [2]
    assert decisions[1].reason.params == {"actual": "Friday", "expected": ["Saturday", "Sunday"],
                                          "tz": "America/Los_Angeles"}


def test_old_messages_get_no_automatic_answer():
    """A message fetched long after it was written (a first poll, an outage) is for a person to answer."""
    from datetime import datetime, timedelta, timezone

    from responso_autoresponder.engine import MessageFacts, WorkflowSpec, decide

    received = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    workflow = WorkflowSpec(1, "Each message", 10, "Europe/Warsaw")
    facts = MessageFacts(1, received)
    (decision,) = decide([workflow], facts, received + timedelta(hours=25))
    assert not decision.answers
    assert decision.reason.text() == "received 25 h ago: too old for an automatic answer"
    (decision,) = decide([workflow], facts, received + timedelta(hours=23))
    assert decision.answers


# ---------------------------------------------------------------- the account's working hours


def test_working_hours_of_the_account_read_the_calendar_the_message_names():
    """A condition on "the account's working hours" reads the calendar of the message's account: one workflow (the
    out-of-hours template) fits accounts with different calendars; an account without a calendar is never inside."""
    out_of_hours = WorkflowSpec(id=1, name="Out of hours", sequence=1, tz=TZ, conditions=(
        Condition("working_hours", "not_in", calendar="account"),))
    assert out_of_hours.uses_account_calendar
    assert out_of_hours.working_time_keys(account_calendar=7) == {(7, TZ)}
    assert out_of_hours.working_time_keys() == set()
    working = {(7, TZ): True, (8, TZ): False}
    shop_open = message(account_calendar=7, working_time=working, labels={("working_hours", 7): "Shop A"})
    shop_closed = message(account_calendar=8, working_time=working)
    at = local("2026-06-16 12:00")
    assert answering(decide([out_of_hours], shop_closed, at)) == [1]
    [decision] = decide([out_of_hours], shop_open, at)
    assert decision.reason == Reason("inside_working_hours",
                                     {"actual": "Tue 12:00", "expected": "Shop A", "tz": TZ})
    assert answering(decide([out_of_hours], message(), at)) == [1], "no calendar: never working time"
    inside = replace(out_of_hours, conditions=(Condition("working_hours", "in", calendar="account"),))
    assert decide([inside], message(), at)[0].reason.params["expected"] == "account"


def test_reason_text_survives_missing_params_and_broken_translations():
    """A stored reason whose parameters are missing (an older row, a row written by hand) or whose translation has a
    broken placeholder still reads as words: one bad row must not fail the whole Decisions log."""
    assert Reason("matched", {}).text() == "all conditions hold (?)"
    assert Reason("matched", None).text() == "all conditions hold (?)"
    assert Reason("matched", {"count": 2}).text({"matched": "toutes les conditions (%(count)d"}) == (
        "all conditions hold (2)")
    assert Reason("matched", {"count": 2}).text({"matched": "toutes les conditions sont remplies (%(count)s)"}) == (
        "toutes les conditions sont remplies (2)")
    assert Reason("no_such_code", {"x": 1}).text() == "no_such_code"


def test_a_held_back_first_match_is_named_as_such():
    """The first sending match takes the message's one answer; when a guard holds it back (throttled here), no other
    answers, and the later matches say so — not "another workflow answers this message", which no workflow did."""
    first = replace(workflow(1, 10, name="Each message"), interval_minutes=24 * 60)
    later = workflow(2, 20, name="Out of hours")
    at = local("2026-06-16 20:00")
    history = History(last_reply_to_buyer=at - timedelta(hours=5))
    decisions = by_id(decide([first, later], message("2026-06-16 20:00"), now=at, history=history))
    assert decisions[1].reason.code == "throttled"
    assert not any(d.answers for d in decisions.values())
    assert decisions[2].reason == Reason("first_held_back", {"workflow": "Each message"})
    assert decisions[2].reason.text() == ("Each message comes first and was held back (throttling or a cap): one "
                                          "answer per message, none this time")
    # not held back: the later match is skipped because the first answers
    decisions = by_id(decide([first, later], message("2026-06-16 20:00"), now=at))
    assert decisions[1].answers and decisions[2].reason.code == "already_answered"
