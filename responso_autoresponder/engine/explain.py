"""Dry run and replay of one workflow, in plain Python: every condition held or not with the message's value, and
what the workflow would have done with past buyer messages.

`decide()` stops at a workflow's first failing condition (that is all a decision needs); a person testing a
workflow wants each condition's verdict. `explain()` calls `conditions.check()` on every condition, so that any
condition kind the engine knows is explained, and takes the outcome itself from `decide([spec], …)`, so that a
dry run never disagrees with what the hot path would do. `replay()` runs `decide([spec], …)` over the stored
inputs of past decisions: no query per message.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from . import conditions as cond
from .decide import Decision, decide
from .reasons import Reason
from .schedule import local_time


@dataclass(frozen=True)
class ConditionResult:
    """One condition of the workflow for one message: whether it holds, why not, and the message's value as the
    condition sees it (a label, a local time, a weekday…; None when the condition has none to show)."""

    condition: cond.Condition
    holds: bool
    reason: Reason | None = None
    actual: object = None


@dataclass(frozen=True)
class Explanation:
    """The dry run of one workflow on one message."""

    decision: Decision
    conditions: tuple = ()
    local_received_at: datetime | None = None  # the message's time on the workflow's wall clock
    delay_minutes: int = 0

    @property
    def answers(self):
        return self.decision.answers

    @property
    def reason(self):
        return self.decision.reason


def _negated(condition):
    operator = cond.NOT_IN if condition.operator == cond.IN else cond.IN
    return replace(condition, operator=operator)


def actual_value(condition, facts, local_moment, tz_name):
    """The message's value for `condition`, as its reason would name it. A condition that holds gives no reason:
    its negation fails, and that reason carries the value (works for every kind whose reasons name an "actual")."""
    if condition.kind == cond.TRIGGER:
        return facts.is_first_message
    if condition.kind == cond.DELAY:
        return condition.delay_minutes
    for candidate in (condition, _negated(condition)):
        try:
            reason = cond.check(candidate, facts, local_moment, tz_name)
        except (KeyError, ValueError):
            return None
        if reason is not None:
            return reason.params.get("actual")
    return None


def check_all(spec, facts):
    """Every condition of `spec` for the message: a ConditionResult each, in the workflow's order."""
    moment = local_time(facts.received_at, spec.tz)
    results = []
    for condition in spec.conditions:
        reason = cond.check(condition, facts, moment, spec.tz)
        results.append(ConditionResult(condition, reason is None, reason,
                                       actual_value(condition, facts, moment, spec.tz)))
    return tuple(results)


def explain(spec, facts, now, history=None, limits=None):
    """The dry run of `spec` on the message: its Decision (exactly `decide([spec], …)`) and each condition."""
    decision = decide([spec], facts, now, history, limits)[0]
    return Explanation(decision=decision, conditions=check_all(spec, facts),
                       local_received_at=local_time(facts.received_at, spec.tz), delay_minutes=spec.delay_minutes)


@dataclass(frozen=True)
class ReplayItem:
    """A past buyer message as the engine saw it (the inputs stored with its decision)."""

    facts: object
    now: datetime
    history: object = None
    limits: object = None


@dataclass
class ReplaySummary:
    """What a workflow would have done with past buyer messages: each message's Decision, replies per day (the
    workflow's local day of the message) and why the others would not have been answered."""

    decisions: list = field(default_factory=list)  # (message id, Decision)
    per_day: dict = field(default_factory=dict)  # date -> [answered, not answered]
    reasons: Counter = field(default_factory=Counter)  # reason code -> messages not answered

    @property
    def answered(self):
        return sum(day[0] for day in self.per_day.values())

    @property
    def not_answered(self):
        return sum(day[1] for day in self.per_day.values())

    @property
    def total(self):
        return len(self.decisions)


def replay(spec, items):
    """Run `spec` alone over past messages (ReplayItems): one `decide([spec], …)` each, nothing else read.

    The history is the one stored with each message (the replies really sent then), not the replies this workflow
    would have sent: throttling and caps are judged as they were at the time."""
    summary = ReplaySummary()
    for item in items:
        decision = decide([spec], item.facts, item.now, item.history, item.limits)[0]
        summary.decisions.append((item.facts.message_id, decision))
        day: date = local_time(item.facts.received_at, spec.tz).date()
        counts = summary.per_day.setdefault(day, [0, 0])
        if decision.answers:
            counts[0] += 1
        else:
            counts[1] += 1
            summary.reasons[decision.reason.code] += 1
    summary.per_day = dict(sorted(summary.per_day.items()))
    return summary
