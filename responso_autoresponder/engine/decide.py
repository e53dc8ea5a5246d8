"""decide(): which workflow answers a buyer message, when, and why the others do not."""

from dataclasses import dataclass
from datetime import datetime

from . import conditions as cond
from .reasons import Reason
from .schedule import local_time, send_time
from .throttle import DEFAULT_INTERVAL_MINUTES, History, Limits, message_guard, reply_guard


@dataclass(frozen=True)
class WorkflowSpec:
    id: int
    name: str
    sequence: int
    tz: str
    conditions: tuple = ()
    action_count: int = 1
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    # whether one of its actions sends a message: only such a workflow takes the message's one answer; the others
    # (tags, assignment, status, note, "no answer needed") apply whenever their conditions hold
    sends: bool = True

    @property
    def delay_minutes(self):
        return max((c.delay_minutes for c in self.conditions if c.kind == cond.DELAY), default=0)

    def working_time_keys(self, account_calendar=None):
        """(calendar, tz) pairs whose working time the facts must carry for this workflow; `account_calendar`: the
        calendar of the message's account, for conditions on the account's working hours."""
        calendars = (account_calendar if c.calendar == cond.ACCOUNT_CALENDAR else c.calendar
                     for c in self.conditions if c.kind == cond.WORKING_HOURS)
        return {(calendar, self.tz) for calendar in calendars if calendar is not None}

    @property
    def uses_account_calendar(self):
        return any(c.kind == cond.WORKING_HOURS and c.calendar == cond.ACCOUNT_CALENDAR for c in self.conditions)


@dataclass(frozen=True)
class Decision:
    workflow_id: int
    answers: bool
    reason: Reason
    send_at: datetime | None = None
    applied: bool = False  # a workflow that sends no message: its conditions hold, its actions apply


def applied_decision(workflow):
    """The Decision of a matching workflow that sends no message: it acts, and leaves the answer to others."""
    return Decision(workflow.id, False, Reason("applied", {"count": len(workflow.conditions)}), applied=True)


def evaluate(workflow, facts):
    """The first failing condition of `workflow` (a Reason), or None when all hold."""
    moment = local_time(facts.received_at, workflow.tz)
    for condition in workflow.conditions:
        reason = cond.check(condition, facts, moment, workflow.tz)
        if reason is not None:
            return reason
    return None


def decide(workflows, facts, now, history=None, limits=None):
    """One Decision per workflow, in sequence order. At most one workflow answers a message (the seed asks
    for as few messages as possible): the first that sends a message and whose conditions all hold, unless a guard
    stops it (throttling, a cap: then none answers); later sending matches are skipped. Every matching workflow
    that sends no message applies its actions (`applied`), before or after the answering one. A message-level guard
    (another autoresponder, a held conversation…) stops every workflow."""
    history, limits = history or History(), limits or Limits()
    ordered = sorted(workflows, key=lambda w: (w.sequence, w.id))
    blocked = message_guard(facts, history, limits, now)
    if blocked is not None:
        return [Decision(workflow.id, False, blocked) for workflow in ordered]
    decisions = []
    winner, winner_stopped = None, False
    for workflow in ordered:
        failed = evaluate(workflow, facts)
        if failed is not None:
            decisions.append(Decision(workflow.id, False, failed))
        elif not workflow.action_count:
            decisions.append(Decision(workflow.id, False, Reason("no_action")))
        elif not workflow.sends:
            decisions.append(applied_decision(workflow))
        elif winner is not None:
            # one answer per message: the first sending match takes it, or, stopped by a guard, leaves none
            code = "first_held_back" if winner_stopped else "already_answered"
            decisions.append(Decision(workflow.id, False, Reason(code, {"workflow": winner.name})))
        else:
            winner = workflow
            stopped = reply_guard(workflow.interval_minutes, facts, history, limits)
            if stopped is not None:
                winner_stopped = True
                decisions.append(Decision(workflow.id, False, stopped))
                continue
            at = send_time(facts.received_at, now, workflow.delay_minutes)
            decisions.append(Decision(workflow.id, True, Reason("matched", {"count": len(workflow.conditions)}), at))
    return decisions
