"""Guards against sending too much: other autoresponders, repeats, throttling and global caps.

In the spirit of Sieve's vacation `:days` (RFC 5230 §4.1) and what Zammad and FreeScout learned from
autoresponder loops: one automatic answer per buyer per interval, a cap per conversation and per account that
no workflow can exceed, and a conversation held for a human as soon as something looks automatic.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from .loop_guard import HARD
from .reasons import Reason

DEFAULT_INTERVAL_MINUTES = 24 * 60  # per workflow: a buyer hears from the autoresponder once a day at most


@dataclass(frozen=True)
class Limits:
    """Global settings no workflow can exceed."""

    conversation_per_day: int = 3
    account_per_hour: int = 100
    echo_seconds: int = 30  # a buyer message this soon after our automatic reply comes from a machine
    max_age_hours: int = 24  # older messages (a first poll, an outage) get a person's answer, not an automatic one


@dataclass(frozen=True)
class History:
    """Automatic replies already sent or queued and the state of the thread, as the Odoo layer reads them."""

    last_reply_to_buyer: datetime | None = None  # ours to this buyer on this account, any workflow
    last_reply_in_conversation: datetime | None = None
    conversation_replies_24h: int = 0
    account_replies_1h: int = 0
    same_body_seen: bool = False  # an earlier message of the thread has exactly this text
    held_for_human: str | None = None  # the conversation waits for a person, and why
    account_paused: bool = False
    buyer_blocked_until: datetime | None = None  # our automatic replies to this address bounced


def message_guard(facts, history, limits, now=None):
    """A Reason why no workflow may answer this message at all, or None."""
    if now is not None and now - facts.received_at > timedelta(hours=limits.max_age_hours):
        hours = int((now - facts.received_at).total_seconds() // 3600)
        return Reason("too_old", {"hours": hours})
    signal = facts.automatic_signal
    if signal is not None and getattr(signal, "strength", HARD) == HARD:
        return Reason("automatic_message", {"signal": str(signal)})
    if signal is not None:
        return Reason("held_for_human", {"reason": str(signal)})
    if history.held_for_human:
        return Reason("held_for_human", {"reason": history.held_for_human})
    if history.account_paused:
        return Reason("account_paused")
    if history.buyer_blocked_until and facts.received_at < history.buyer_blocked_until:
        return Reason("buyer_bounced", {"until": history.buyer_blocked_until.strftime("%Y-%m-%d")})
    last = history.last_reply_in_conversation
    if last is not None and timedelta(0) <= facts.received_at - last <= timedelta(seconds=limits.echo_seconds):
        return held("echo", seconds=int((facts.received_at - last).total_seconds()))
    if history.same_body_seen:
        return held("same_text")
    return None


def held(code, **params):
    """A held_for_human Reason whose own reason is a code and its parameters ("hold", "hold_params"), for the Odoo
    layer to put in words in the reader's language; "reason" keeps the English text."""
    return Reason("held_for_human", {"reason": Reason(code, params).text(), "hold": code, "hold_params": params})


def reply_guard(interval_minutes, facts, history, limits):
    """A Reason why the workflow chosen for this message must not send now, or None."""
    last = history.last_reply_to_buyer
    if interval_minutes and last is not None and facts.received_at - last < timedelta(minutes=interval_minutes):
        ago = max(int((facts.received_at - last).total_seconds() // 60), 0)
        return Reason("throttled", {"minutes": ago, "interval": interval_minutes})
    if history.conversation_replies_24h >= limits.conversation_per_day:
        return Reason("conversation_cap", {"count": history.conversation_replies_24h})
    if history.account_replies_1h >= limits.account_per_hour:
        return Reason("account_cap", {"count": history.account_replies_1h})
    return None
