"""Workflows compiled once and indexed by what narrows them cheaply, so that a buyer message only evaluates the
workflows that could apply to it.

A workflow whose conditions say "account is one of A, B" can only answer messages of A or B: it is filed under
those accounts, and a message of account C never looks at it. The same goes for sources and integrations; a
workflow with no such positive condition is filed as generic and always evaluated. Within the candidates,
conditions are checked by predicates compiled once, without building any reason text: the reasons of every
workflow are rebuilt on demand by `decide()` from the same facts (see `snapshot.py`), never on the hot path.

The outcome is the one `decide()` gives over all workflows, only cheaper: same order (sequence, id), same single
answer, same workflows applying their actions without sending, same guards (property-tested against `decide()`).
"""

from dataclasses import dataclass
from datetime import timedelta

from . import conditions as cond
from .decide import Decision
from .reasons import Reason
from .schedule import MINUTES_PER_DAY, check_timezone, in_window, send_time
from .throttle import History, Limits, message_guard, reply_guard

# the dimensions a workflow is filed under, most selective first
DIMENSIONS = (cond.ACCOUNT, cond.SOURCE, cond.INTEGRATION)


@dataclass(frozen=True)
class Outcome:
    """What happens to one buyer message.

    `decision` is the first workflow that sends a message and whose conditions all hold (answers, or was stopped
    by a guard), or None; `skipped` the later sending workflows whose conditions held too but that do not answer
    (one answer per message); `applied` the matching workflows that send no message: their actions apply (tags,
    assignment, status, note, "no answer needed") and they take no answer; `acting` the workflows whose actions
    run, in sequence order (the applied ones and the answering one); `blocked` the message-level guard (automatic
    message, held, paused…) when no workflow was evaluated."""

    decision: Decision | None = None
    skipped: tuple = ()
    blocked: Reason | None = None
    evaluated: int = 0  # candidates the index let through
    total: int = 0  # workflows of the company
    applied: tuple = ()  # ids of the matching workflows that send no message, in sequence order
    applied_names: tuple = ()
    acting: tuple = ()  # ids of the workflows whose actions run, in sequence order

    @property
    def answers(self):
        return bool(self.decision and self.decision.answers)

    @property
    def reason(self):
        if self.blocked is not None:
            return self.blocked
        if self.decision is not None:
            return self.decision.reason
        if self.applied:
            return Reason("actions_applied", {"workflows": list(self.applied_names)})
        return Reason("no_match", {"count": self.total})


def _predicate(condition):
    """A fast yes/no check of one condition: (facts, local moment, tz) -> bool. No reason is built."""
    kind, values, negate = condition.kind, condition.values, condition.operator == cond.NOT_IN
    if kind in cond.SET_KINDS:
        attribute = cond.FACT_OF_KIND[kind]
        return lambda facts, moment, tz: (getattr(facts, attribute) in values) != negate
    if kind == cond.TRIGGER:
        if cond.EACH_MESSAGE in values:
            return None  # always holds
        return lambda facts, moment, tz: facts.is_first_message
    if kind == cond.WEEKDAY:
        return lambda facts, moment, tz: (moment.weekday() in values) != negate
    if kind == cond.TIME_WINDOW:
        start, end = condition.start_minute % MINUTES_PER_DAY, condition.end_minute % MINUTES_PER_DAY
        return lambda facts, moment, tz: in_window(moment.hour * 60 + moment.minute, start, end) != negate
    if kind == cond.WORKING_HOURS:
        calendar = condition.calendar
        if calendar == cond.ACCOUNT_CALENDAR:
            return lambda facts, moment, tz: cond.is_working_time(condition, facts, tz) != negate
        return lambda facts, moment, tz: facts.working_time[(calendar, tz)] != negate
    if kind == cond.SENDER_EMAIL:
        return lambda facts, moment, tz: (cond.email_matches(facts.sender_email, values) is not None) != negate
    if kind in cond.TEXT_KINDS:
        attribute, phrases = cond.FACT_OF_KIND[kind], cond.normalize_phrases(values)
        # normalize_text is cached: the message's text is normalized once, whatever the number of workflows
        def contains(facts, moment, tz):
            text = cond.normalize_text(getattr(facts, attribute))
            return any(phrase in text for phrase in phrases) != negate
        return contains
    if kind in cond.FLAG_KINDS:
        attribute = cond.FACT_OF_FLAG[kind]
        return lambda facts, moment, tz: bool(getattr(facts, attribute)) != negate
    if kind == cond.TAG:
        return lambda facts, moment, tz: bool(values & facts.tags) != negate
    if kind == cond.LAST_RESPONSE:
        return lambda facts, moment, tz: cond.last_response_holds(condition, facts)
    if kind == cond.DELAY:
        return None  # not a filter
    raise ValueError(f"unknown condition kind {kind!r}")


@dataclass(frozen=True)
class _Compiled:
    spec: object
    predicates: tuple


def _narrowing(spec):
    """(dimension, allowed values) of the workflow's most selective positive condition, or None (generic).
    Several "is one of" lines of one kind must all hold: their values intersect."""
    for dimension in DIMENSIONS:
        allowed = None
        for condition in spec.conditions:
            if condition.kind == dimension and condition.operator == cond.IN:
                allowed = condition.values if allowed is None else allowed & condition.values
        if allowed is not None:
            return dimension, allowed
    return None


class WorkflowIndex:
    """The active workflows of one company, ready for many messages. Immutable once built: safe to share
    between threads and to keep in a cache."""

    def __init__(self, specs):
        self.specs = tuple(sorted(specs, key=lambda spec: (spec.sequence, spec.id)))
        self._compiled = tuple(
            _Compiled(spec, tuple(p for p in map(_predicate, spec.conditions) if p is not None))
            for spec in self.specs)
        generic, buckets = [], {dimension: {} for dimension in DIMENSIONS}
        for rank, spec in enumerate(self.specs):
            narrowing = _narrowing(spec)
            if narrowing is None:
                generic.append(rank)
                continue
            dimension, allowed = narrowing
            for value in allowed:  # an empty intersection files it nowhere: it can never answer
                buckets[dimension].setdefault(value, []).append(rank)
        self._rank_of = {spec.id: rank for rank, spec in enumerate(self.specs)}
        self._generic = tuple(generic)
        self._buckets = {dimension: {value: tuple(ranks) for value, ranks in by_value.items()}
                         for dimension, by_value in buckets.items()}
        # the condition kinds in use: facts that cost something to read are read only when asked for
        self.kinds = frozenset(condition.kind for spec in self.specs for condition in spec.conditions)
        self.max_interval_minutes = max((spec.interval_minutes for spec in self.specs), default=0)
        # some workflow reads the working hours of the message's account: the facts must name its calendar
        self.uses_account_calendar = any(spec.uses_account_calendar for spec in self.specs)

    def __len__(self):
        return len(self.specs)

    def spec(self, workflow_id):
        return self.specs[self._rank_of[workflow_id]]

    def _candidate_ranks(self, facts):
        ranks = set(self._generic)
        for dimension in DIMENSIONS:
            ranks.update(self._buckets[dimension].get(getattr(facts, cond.FACT_OF_KIND[dimension]), ()))
        return sorted(ranks)

    def candidates(self, facts):
        """The workflows that could apply to the message, in sequence order."""
        return [self.specs[rank] for rank in self._candidate_ranks(facts)]

    def working_time_keys(self, candidates, account_calendar=None):
        """(calendar, tz) pairs whose working time the facts must carry for these candidates (`account_calendar`: the
        calendar of the message's account)."""
        return {key for spec in candidates for key in spec.working_time_keys(account_calendar)}

    def decide(self, facts, now, history=None, limits=None, candidates=None):
        """The Outcome for the message: what `decide()` over all workflows gives, evaluating only candidates."""
        history, limits = history or History(), limits or Limits()
        blocked = message_guard(facts, history, limits, now)
        if blocked is not None:
            return Outcome(blocked=blocked, total=len(self.specs))
        ranks = (self._candidate_ranks(facts) if candidates is None
                 else sorted(self._rank_of[spec.id] for spec in candidates))
        compiled = [self._compiled[rank] for rank in ranks]
        moments = {}
        decision, skipped, applied, acting = None, [], [], []
        for item in compiled:
            spec = item.spec
            moment = moments.get(spec.tz)
            if moment is None:
                moment = moments[spec.tz] = facts.received_at.astimezone(check_timezone(spec.tz))
            if not all(predicate(facts, moment, spec.tz) for predicate in item.predicates):
                continue
            if not spec.action_count:
                continue
            if not spec.sends:
                applied.append(spec)
                acting.append(spec.id)
                continue
            if decision is not None:
                skipped.append(spec.id)
                continue
            stopped = reply_guard(spec.interval_minutes, facts, history, limits)
            if stopped is not None:
                decision = Decision(spec.id, False, stopped)
            else:
                at = send_time(facts.received_at, now, spec.delay_minutes)
                decision = Decision(spec.id, True, Reason("matched", {"count": len(spec.conditions)}), at)
                acting.append(spec.id)
        return Outcome(decision=decision, skipped=tuple(skipped), evaluated=len(compiled), total=len(self.specs),
                       applied=tuple(spec.id for spec in applied), applied_names=tuple(spec.name for spec in applied),
                       acting=tuple(acting))


def history_horizon(index, limits, now):
    """How far back the reply history must be read for this index: the longest throttling interval, a day
    for the caps, the echo window; nothing older can change a decision."""
    minutes = max(index.max_interval_minutes, 24 * 60, limits.echo_seconds // 60 + 1)
    return now - timedelta(minutes=minutes)
