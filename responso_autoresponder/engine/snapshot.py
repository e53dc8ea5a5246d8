"""Plain-JSON forms of the engine's inputs, so that a decision can be explained later, exactly.

A buyer message's decision log keeps one row: the facts, the history and the limits the engine saw, and a
reference to the snapshot of the workflows as they were. Running `decide()` again on those gives every
workflow's reason, word for word, whatever was edited since; the hot path stores a few hundred bytes instead of
one row per workflow.
"""

import hashlib
import json
from datetime import datetime

from .conditions import Condition
from .decide import WorkflowSpec
from .facts import MessageFacts
from .loop_guard import AutomaticSignal
from .throttle import History, Limits


def _dt(value):
    return value.isoformat() if value else None


def _parse_dt(value):
    return datetime.fromisoformat(value) if value else None


def condition_to_data(condition):
    return {
        "kind": condition.kind,
        "operator": condition.operator,
        "values": sorted(condition.values, key=str),
        "start": condition.start_minute,
        "end": condition.end_minute,
        "calendar": condition.calendar,
        "delay": condition.delay_minutes,
        "labels": [[value, label] for value, label in sorted(condition.labels.items(), key=lambda kv: str(kv[0]))],
    }


def condition_from_data(data):
    return Condition(
        kind=data["kind"], operator=data["operator"], values=frozenset(data["values"]),
        start_minute=data["start"], end_minute=data["end"], calendar=data["calendar"],
        delay_minutes=data["delay"], labels={value: label for value, label in data["labels"]})


def specs_to_data(specs):
    return [{
        "id": spec.id, "name": spec.name, "sequence": spec.sequence, "tz": spec.tz,
        "conditions": [condition_to_data(condition) for condition in spec.conditions],
        "actions": spec.action_count, "interval": spec.interval_minutes, "sends": spec.sends,
    } for spec in sorted(specs, key=lambda spec: (spec.sequence, spec.id))]


def specs_from_data(data):
    return [WorkflowSpec(id=item["id"], name=item["name"], sequence=item["sequence"], tz=item["tz"],
                         conditions=tuple(condition_from_data(c) for c in item["conditions"]),
                         action_count=item["actions"], interval_minutes=item["interval"],
                         # snapshots taken before 18.0.1.1.0 knew no other kind: every workflow with actions took
                         # the answer, and their decisions replay as they were taken
                         sends=item.get("sends", True))
            for item in data]


def fingerprint(data):
    """A stable digest of JSON-able data: equal configurations share one snapshot."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def facts_to_data(facts):
    signal = facts.automatic_signal
    return {
        "message": facts.message_id,
        "received_at": _dt(facts.received_at),
        "source": facts.source, "integration": facts.integration, "account": facts.account,
        "first": facts.is_first_message,
        "signal": [getattr(signal, "strength", "hard"), str(signal)] if signal is not None else None,
        "working_time": [[calendar, tz, inside] for (calendar, tz), inside in sorted(facts.working_time.items())],
        "labels": [[kind, value, label] for (kind, value), label in facts.labels.items()],
        "sender_email": facts.sender_email, "subject": facts.subject, "customer_name": facts.customer_name,
        "text": facts.text, "new_conversation": facts.is_new_conversation, "return": facts.is_return,
        "tags": sorted(facts.tags), "status": facts.status, "last_customer": _dt(facts.last_customer_message),
        "account_calendar": facts.account_calendar,
    }


def facts_from_data(data, working_time=None):
    """The facts back; `working_time` may be a mapping that computes missing (calendar, tz) keys on demand
    (workflows that the index ruled out were not asked about their calendars)."""
    known = {(calendar, tz): inside for calendar, tz, inside in data["working_time"]}
    if working_time is not None:
        working_time.update(known)
    signal = data["signal"]
    return MessageFacts(
        message_id=data["message"], received_at=_parse_dt(data["received_at"]), source=data["source"],
        integration=data["integration"], account=data["account"], is_first_message=data["first"],
        automatic_signal=AutomaticSignal(signal[0], signal[1]) if signal else None,
        working_time=working_time if working_time is not None else known,
        labels={(kind, value): label for kind, value, label in data["labels"]},
        # absent from decisions logged before these conditions existed (no workflow could ask for them)
        sender_email=data.get("sender_email", ""), subject=data.get("subject", ""),
        customer_name=data.get("customer_name", ""), text=data.get("text", ""),
        is_new_conversation=data.get("new_conversation", False), is_return=data.get("return", False),
        tags=frozenset(data.get("tags", ())), status=data.get("status"),
        last_customer_message=_parse_dt(data.get("last_customer")), account_calendar=data.get("account_calendar"))


def history_to_data(history):
    return {
        "last_buyer": _dt(history.last_reply_to_buyer),
        "last_conversation": _dt(history.last_reply_in_conversation),
        "conversation_24h": history.conversation_replies_24h,
        "account_1h": history.account_replies_1h,
        "same_body": history.same_body_seen,
        "held": history.held_for_human,
        "paused": history.account_paused,
        "blocked_until": _dt(history.buyer_blocked_until),
    }


def history_from_data(data):
    return History(
        last_reply_to_buyer=_parse_dt(data["last_buyer"]),
        last_reply_in_conversation=_parse_dt(data["last_conversation"]),
        conversation_replies_24h=data["conversation_24h"], account_replies_1h=data["account_1h"],
        same_body_seen=data["same_body"], held_for_human=data["held"], account_paused=data["paused"],
        buyer_blocked_until=_parse_dt(data["blocked_until"]))


def limits_to_data(limits):
    return {"conversation_day": limits.conversation_per_day, "account_hour": limits.account_per_hour,
            "echo": limits.echo_seconds, "max_age": limits.max_age_hours}


def limits_from_data(data):
    return Limits(conversation_per_day=data["conversation_day"], account_per_hour=data["account_hour"],
                  echo_seconds=data["echo"], max_age_hours=data["max_age"])
