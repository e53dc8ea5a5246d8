"""explain() and replay(): every condition's verdict for one workflow, and one workflow over past messages."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from responso_autoresponder.engine import Condition, MessageFacts, WorkflowSpec
from responso_autoresponder.engine.explain import ReplayItem, explain, replay
from responso_autoresponder.engine.throttle import History, Limits

TZ = "Europe/Warsaw"
AMAZON, ALLEGRO = 1, 2


def local(text, tz=TZ):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def message(when="2026-06-16 12:00", message_id=1, **kwargs):  # a Tuesday
    values = {"message_id": message_id, "received_at": local(when), "source": ALLEGRO, "is_first_message": False,
              "labels": {("source", ALLEGRO): "Allegro", ("source", AMAZON): "Amazon"}}
    values.update(kwargs)
    return MessageFacts(**values)


def workflow(*conditions, tz=TZ, action_count=1, interval=0):
    return WorkflowSpec(id=7, name="Weekend", sequence=10, tz=tz, conditions=tuple(conditions),
                        action_count=action_count, interval_minutes=interval)


WEEKEND = Condition("weekday", "in", frozenset({5, 6}))
ALLEGRO_ONLY = Condition("source", "in", frozenset({ALLEGRO}), labels={ALLEGRO: "Allegro"})
EVENINGS = Condition("time_window", "in", start_minute=18 * 60, end_minute=10 * 60)
DELAY = Condition("delay", delay_minutes=10)
FIRST = Condition("trigger", "in", frozenset({"first_message"}))


def test_a_workflow_that_answers_explains_every_condition_with_the_values():
    facts = message("2026-06-20 20:30")  # Saturday evening
    result = explain(workflow(ALLEGRO_ONLY, WEEKEND, EVENINGS, DELAY), facts, facts.received_at)
    assert result.answers
    assert result.reason.code == "matched"
    assert result.decision.send_at == facts.received_at + timedelta(minutes=10)
    assert result.delay_minutes == 10
    assert result.local_received_at.strftime("%a %H:%M %Z") == "Sat 20:30 CEST"
    assert [c.holds for c in result.conditions] == [True, True, True, True]
    # a condition that holds still shows the message's value
    assert [c.actual for c in result.conditions] == ["Allegro", "Saturday", "20:30", 10]
    assert all(c.reason is None for c in result.conditions)


def test_a_workflow_that_does_not_answer_checks_every_condition_not_only_the_first():
    facts = message("2026-06-16 12:00", source=AMAZON)  # Tuesday noon, Amazon
    result = explain(workflow(ALLEGRO_ONLY, WEEKEND, EVENINGS, FIRST), facts, facts.received_at)
    assert not result.answers
    assert result.reason.code == "not_one_of"  # decide() names the first failing condition
    verdicts = [(c.holds, c.reason and c.reason.code, c.actual) for c in result.conditions]
    assert verdicts == [(False, "not_one_of", "Amazon"), (False, "weekday_not_in", "Tuesday"),
                        (False, "outside_window", "12:00"), (False, "not_first_message", False)]
    assert str(result.conditions[1].reason) == "Tuesday is not one of Saturday, Sunday (Europe/Warsaw)"


def test_the_outcome_is_decides_own_guards_included():
    facts = message("2026-06-20 20:30")
    history = History(last_reply_to_buyer=facts.received_at - timedelta(minutes=5))
    result = explain(workflow(WEEKEND, interval=60), facts, facts.received_at, history)
    assert [c.holds for c in result.conditions] == [True]
    assert not result.answers and result.reason.code == "throttled"
    old = explain(workflow(WEEKEND), facts, facts.received_at + timedelta(days=2))
    assert old.reason.code == "too_old"


def test_working_hours_show_the_local_time():
    calendar = Condition("working_hours", "in", calendar=3, labels={3: "Office"})
    facts = message("2026-06-16 12:00", working_time={(3, TZ): True})
    result = explain(workflow(calendar), facts, facts.received_at)
    assert result.answers and result.conditions[0].actual == "Tue 12:00"


def test_replay_counts_per_local_day_and_reasons():
    spec = workflow(WEEKEND, EVENINGS)
    items = [
        ReplayItem(message("2026-06-20 20:30", 1), local("2026-06-20 20:30")),  # Saturday evening: answered
        ReplayItem(message("2026-06-20 23:59", 2), local("2026-06-20 23:59")),  # Saturday (UTC: still Saturday)
        ReplayItem(message("2026-06-21 00:30", 3), local("2026-06-21 00:30")),  # Sunday 00:30 local, Sat in UTC
        ReplayItem(message("2026-06-21 12:00", 4), local("2026-06-21 12:00")),  # Sunday noon: outside the window
        ReplayItem(message("2026-06-22 20:00", 5), local("2026-06-22 20:00")),  # Monday
        ReplayItem(message("2026-06-22 21:00", 6, automatic_signal="Auto-Submitted"),
                   local("2026-06-22 21:00"), History(), Limits()),
    ]
    summary = replay(spec, items)
    assert summary.total == 6
    assert [message_id for message_id, decision in summary.decisions if decision.answers] == [1, 2, 3]
    assert summary.per_day == {date(2026, 6, 20): [2, 0], date(2026, 6, 21): [1, 1], date(2026, 6, 22): [0, 2]}
    assert (summary.answered, summary.not_answered) == (3, 3)
    assert summary.reasons == {"outside_window": 1, "weekday_not_in": 1, "automatic_message": 1}


def test_replay_of_nothing():
    summary = replay(workflow(WEEKEND), [])
    assert (summary.total, summary.answered, summary.per_day) == (0, 0, {})
