"""WorkflowIndex: the same outcome as decide() over every workflow, evaluating only what can apply."""

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from responso_autoresponder.engine import Condition, MessageFacts, Reason, WorkflowIndex, WorkflowSpec, decide
from responso_autoresponder.engine.index import history_horizon
from responso_autoresponder.engine.loop_guard import HARD, SOFT, AutomaticSignal
from responso_autoresponder.engine.snapshot import (
    facts_from_data,
    facts_to_data,
    fingerprint,
    history_from_data,
    history_to_data,
    limits_from_data,
    limits_to_data,
    specs_from_data,
    specs_to_data,
)
from responso_autoresponder.engine.throttle import History, Limits

ACCOUNTS, SOURCES, INTEGRATIONS, CALENDARS = range(1, 9), range(11, 16), range(21, 24), (31, 32)
TIMEZONES = ("Europe/Warsaw", "UTC", "America/New_York")
TAGS, STATUSES = range(41, 45), range(51, 55)
EMAIL_PATTERNS = ["jan@example.com", "*@example.com", "*@shop.pl", "ola@shop.pl"]
EMAILS = ["jan@example.com", "ANNA@Example.com", "ola@shop.pl", "x@other.de", ""]
PHRASES = ["zwrot", "Reklamacja", "where is", "ŻÓŁW", "refund"]
TEXTS = ["Gdzie jest przesyłka? Chcę zwrot", "Where IS my parcel", "reklamacja: zolw uszkodzony", "", "Thanks!"]


def random_condition(rng):
    kind = rng.choice(("account", "source", "integration", "weekday", "time_window", "trigger", "delay",
                       "working_hours", "sender_email", "subject", "customer_name", "message_text",
                       "new_conversation", "return_created", "tag", "status", "last_response"))
    operator = rng.choice(("in", "not_in"))
    if kind == "sender_email":
        return Condition(kind, operator, frozenset(rng.sample(EMAIL_PATTERNS, rng.randint(1, 2))))
    if kind in ("subject", "customer_name", "message_text"):
        return Condition(kind, operator, frozenset(rng.sample(PHRASES, rng.randint(1, 3))))
    if kind in ("new_conversation", "return_created"):
        return Condition(kind, operator)
    if kind in ("tag", "status"):
        values = frozenset(rng.sample(list(TAGS if kind == "tag" else STATUSES), rng.randint(1, 2)))
        return Condition(kind, operator, values, labels={v: f"{kind} {v}" for v in values})
    if kind == "last_response":
        return Condition(kind, operator, delay_minutes=rng.choice((30, 24 * 60)))
    if kind in ("account", "source", "integration"):
        pool = {"account": ACCOUNTS, "source": SOURCES, "integration": INTEGRATIONS}[kind]
        values = frozenset(rng.sample(list(pool), rng.randint(1, 3)))
        return Condition(kind, operator, values, labels={v: f"{kind} {v}" for v in values})
    if kind == "weekday":
        return Condition(kind, operator, frozenset(rng.sample(range(7), rng.randint(1, 5))))
    if kind == "time_window":
        start, end = rng.sample(range(0, 24 * 60, 30), 2)
        return Condition(kind, operator, start_minute=start, end_minute=end)
    if kind == "trigger":
        return Condition(kind, "in", frozenset([rng.choice(("first_message", "each_message"))]))
    if kind == "working_hours":
        return Condition(kind, operator, calendar=rng.choice(CALENDARS + ("account",)))
    return Condition("delay", delay_minutes=rng.choice((0, 5, 60)))


def random_workflows(rng, count):
    return [WorkflowSpec(id=i, name=f"W{i}", sequence=rng.randint(1, 5), tz=rng.choice(TIMEZONES),
                         conditions=tuple(random_condition(rng) for _ in range(rng.randint(1, 5))),
                         action_count=rng.choice((1, 1, 1, 0)), interval_minutes=rng.choice((0, 60, 1440)),
                         sends=rng.random() < 0.7)
            for i in range(1, count + 1)]


def random_facts(rng):
    received = datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 14 * 24 * 60))
    working = {(calendar, tz): rng.random() < 0.5 for calendar in CALENDARS for tz in TIMEZONES}
    return MessageFacts(message_id=1, received_at=received, account=rng.choice(ACCOUNTS),
                        source=rng.choice(SOURCES), integration=rng.choice(INTEGRATIONS),
                        is_first_message=rng.random() < 0.5, working_time=working,
                        sender_email=rng.choice(EMAILS), subject=rng.choice(TEXTS), customer_name=rng.choice(TEXTS),
                        text=rng.choice(TEXTS), is_new_conversation=rng.random() < 0.5, is_return=rng.random() < 0.3,
                        tags=frozenset(rng.sample(list(TAGS), rng.randint(0, 2))), status=rng.choice(STATUSES),
                        last_customer_message=rng.choice((None, received - timedelta(minutes=rng.randint(1, 3000)))),
                        account_calendar=rng.choice(CALENDARS + (None,)))


@pytest.mark.parametrize("seed", range(300))
def test_index_gives_the_outcome_of_decide_over_all_workflows(seed):
    rng = random.Random(seed)
    workflows, facts = random_workflows(rng, rng.randint(1, 40)), random_facts(rng)
    history = History(last_reply_to_buyer=facts.received_at - timedelta(minutes=rng.choice((5, 100, 5000))))
    now = facts.received_at + timedelta(seconds=30)
    full = decide(workflows, facts, now, history)
    outcome = WorkflowIndex(workflows).decide(facts, now, history)

    first = next((d for d in full if d.answers or d.reason.code not in _FAILED | {"applied"}), None)
    assert (outcome.decision.workflow_id if outcome.decision else None) == (first.workflow_id if first else None)
    if first is not None:
        assert outcome.decision == first
    assert list(outcome.skipped) == [d.workflow_id for d in full
                                     if d.reason.code in ("already_answered", "first_held_back")]
    assert list(outcome.applied) == [d.workflow_id for d in full if d.applied]
    assert list(outcome.acting) == [d.workflow_id for d in full if d.applied or d.answers]
    assert outcome.total == len(workflows)


# reasons of workflows whose conditions do not all hold (or that cannot act)
_FAILED = {"not_one_of", "one_of_excluded", "not_first_message", "weekday_not_in", "weekday_excluded",
           "outside_window", "inside_window", "outside_working_hours", "inside_working_hours", "no_action",
           "already_answered", "first_held_back", "contains_none", "contains_excluded", "not_new_conversation",
           "new_conversation",
           "not_return", "return_thread", "tag_set", "tag_not_set", "no_previous_message",
           "last_response_not_older", "last_response_not_newer"}


def test_a_message_evaluates_only_the_workflows_of_its_account():
    workflows = [WorkflowSpec(id=i, name=f"W{i}", sequence=10, tz="UTC",
                              conditions=(Condition("account", "in", frozenset([i % 100])),))
                 for i in range(1, 10_001)]
    index = WorkflowIndex(workflows)
    facts = MessageFacts(message_id=1, received_at=datetime(2026, 6, 1, 12, tzinfo=timezone.utc), account=7)
    outcome = index.decide(facts, facts.received_at)
    assert outcome.evaluated == 100
    assert outcome.decision.workflow_id == 7 and outcome.decision.answers
    assert len(outcome.skipped) == 99
    assert outcome.total == 10_000


def test_exclusions_and_negations_keep_workflows_generic():
    excluded = WorkflowSpec(id=1, name="not A", sequence=1, tz="UTC",
                            conditions=(Condition("account", "not_in", frozenset([1])),))
    intersect = WorkflowSpec(id=2, name="A and B", sequence=2, tz="UTC", conditions=(
        Condition("account", "in", frozenset([1, 2])), Condition("account", "in", frozenset([2, 3]))))
    index = WorkflowIndex([excluded, intersect])
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    assert [s.id for s in index.candidates(MessageFacts(1, at, account=1))] == [1]
    assert [s.id for s in index.candidates(MessageFacts(1, at, account=2))] == [1, 2]
    assert [s.id for s in index.candidates(MessageFacts(1, at, account=3))] == [1]


def test_a_message_level_guard_evaluates_nothing():
    spec = WorkflowSpec(id=1, name="W", sequence=1, tz="UTC",
                        conditions=(Condition("trigger", "in", frozenset(["each_message"])),))
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    facts = MessageFacts(1, at, automatic_signal=AutomaticSignal(HARD, "Auto-Submitted: auto-replied"))
    outcome = WorkflowIndex([spec]).decide(facts, at)
    assert outcome.decision is None and outcome.evaluated == 0
    assert outcome.reason == Reason("automatic_message", {"signal": "Auto-Submitted: auto-replied"})


def test_non_sending_workflows_apply_and_leave_the_answer_to_the_first_sending_one():
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    tag = WorkflowSpec(id=1, name="Tag returns", sequence=1, tz="UTC", sends=False)
    reply = WorkflowSpec(id=2, name="Reply", sequence=2, tz="UTC")
    other = WorkflowSpec(id=3, name="Other reply", sequence=3, tz="UTC")
    assign = WorkflowSpec(id=4, name="Assign", sequence=4, tz="UTC", sends=False)
    outcome = WorkflowIndex([assign, other, reply, tag]).decide(MessageFacts(1, at), at)
    assert outcome.answers and outcome.decision.workflow_id == 2
    assert outcome.applied == (1, 4) and outcome.applied_names == ("Tag returns", "Assign")
    assert outcome.acting == (1, 2, 4), "actions run in workflow sequence order"
    assert outcome.skipped == (3,), "only a sending workflow is skipped"
    assert outcome.reason == Reason("matched", {"count": 0})


def test_only_non_sending_workflows_say_which_applied():
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    tag = WorkflowSpec(id=1, name="Tag returns", sequence=1, tz="UTC", sends=False)
    throttled = WorkflowSpec(id=2, name="Reply", sequence=2, tz="UTC", interval_minutes=60,
                             conditions=(Condition("account", "in", frozenset([9])),))
    outcome = WorkflowIndex([tag, throttled]).decide(MessageFacts(1, at), at)
    assert outcome.decision is None and not outcome.answers and outcome.acting == (1,)
    assert outcome.reason.text() == "no workflow sends an answer; actions applied by Tag returns"
    # throttling stops a reply, never the actions of a workflow that sends nothing
    history = History(last_reply_to_buyer=at - timedelta(minutes=5))
    outcome = WorkflowIndex([tag, throttled]).decide(MessageFacts(1, at, account=9), at, history)
    assert outcome.decision.reason.code == "throttled" and outcome.acting == (1,)
    # a message-level guard stops every workflow, those that send nothing included
    signal = AutomaticSignal(HARD, "Auto-Submitted: auto-replied")
    outcome = WorkflowIndex([tag, throttled]).decide(MessageFacts(1, at, automatic_signal=signal), at)
    assert outcome.acting == () and outcome.applied == ()


def test_no_match_reason_counts_the_workflows():
    spec = WorkflowSpec(id=1, name="W", sequence=1, tz="UTC", conditions=(Condition("account", "in", frozenset([1])),))
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    outcome = WorkflowIndex([spec]).decide(MessageFacts(1, at, account=2), at)
    assert outcome.reason.text() == "no workflow applies (1 active)"


def test_history_horizon_covers_the_longest_interval_and_a_day():
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    week = WorkflowSpec(id=1, name="W", sequence=1, tz="UTC", interval_minutes=7 * 24 * 60)
    assert history_horizon(WorkflowIndex([week]), Limits(), at) == at - timedelta(days=7)
    assert history_horizon(WorkflowIndex([]), Limits(), at) == at - timedelta(days=1)


# ---------------------------------------------------------------- snapshots


@pytest.mark.parametrize("seed", range(30))
def test_snapshot_round_trip_explains_the_same_way(seed):
    rng = random.Random(seed)
    workflows, facts = random_workflows(rng, 15), random_facts(rng)
    facts = MessageFacts(**{**facts.__dict__, "labels": {("account", facts.account): "Shop", ("source", 11): "S"},
                            "automatic_signal": AutomaticSignal(SOFT, "out of office") if seed % 3 == 0 else None})
    history = History(last_reply_to_buyer=facts.received_at - timedelta(hours=3), conversation_replies_24h=1,
                      held_for_human=None, buyer_blocked_until=None)
    limits = Limits(conversation_per_day=5)
    now = facts.received_at + timedelta(minutes=1)

    data = json.loads(json.dumps({"specs": specs_to_data(workflows), "facts": facts_to_data(facts),
                                  "history": history_to_data(history), "limits": limits_to_data(limits)}))
    again = decide(specs_from_data(data["specs"]), facts_from_data(data["facts"]), now,
                   history_from_data(data["history"]), limits_from_data(data["limits"]))
    assert again == decide(workflows, facts, now, history, limits)


def test_snapshots_taken_before_non_sending_workflows_replay_as_they_were():
    """A snapshot without "sends" (before 18.0.1.1.0) is read as every workflow sending: its decisions (the first
    matching workflow took the answer, whatever its actions) come out as they were taken."""
    old = [{"id": 1, "name": "Tag", "sequence": 1, "tz": "UTC", "conditions": [], "actions": 1, "interval": 0},
           {"id": 2, "name": "Reply", "sequence": 2, "tz": "UTC", "conditions": [], "actions": 1, "interval": 0}]
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    decisions = decide(specs_from_data(old), MessageFacts(1, at), at)
    assert [(d.answers, d.applied, d.reason.code) for d in decisions] == [
        (True, False, "matched"), (False, False, "already_answered")]
    specs = specs_from_data([dict(old[0], sends=False), old[1]])
    assert specs_from_data(specs_to_data(specs)) == specs
    decisions = decide(specs, MessageFacts(1, at), at)
    assert [(d.answers, d.applied, d.reason.code) for d in decisions] == [
        (False, True, "applied"), (True, False, "matched")]


def test_fingerprint_ignores_key_order_and_sees_any_change():
    data = specs_to_data([WorkflowSpec(id=1, name="W", sequence=1, tz="UTC")])
    same = json.loads(json.dumps(data))
    assert fingerprint(data) == fingerprint(same)
    same[0]["tz"] = "Europe/Warsaw"
    assert fingerprint(data) != fingerprint(same)


def test_missing_working_time_is_computed_on_demand():
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    data = facts_to_data(MessageFacts(1, at, working_time={(31, "UTC"): True}))
    asked = []

    class Lazy(dict):
        def __missing__(self, key):
            asked.append(key)
            return False

    facts = facts_from_data(data, working_time=Lazy())
    assert facts.working_time[(31, "UTC")] is True
    assert facts.working_time[(32, "UTC")] is False
    assert asked == [(32, "UTC")]
