"""A simulated weekend against an external autoresponder, engine only (no Odoo).

The simulation plays the Odoo layer's part as the addon does it: history counted from the reply queue, the
conversation held for a human on a soft signal, the reply re-checked when due. The external autoresponder
answers each of our replies; we count how many automatic replies we send in 72 hours.
"""

import heapq
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from responso_autoresponder.engine import Condition, MessageFacts, WorkflowSpec, decide
from responso_autoresponder.engine import conditions as cond
from responso_autoresponder.engine.loop_guard import AutomaticSignal, detect_in_email, detect_in_text
from responso_autoresponder.engine.throttle import History, Limits

UTC = timezone.utc
AMAZON = 3
START = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday 18:00 in Warsaw: a weekend begins
HOURS = 72

TEMPLATES = {
    "amazon": WorkflowSpec(1, "Amazon", 5, "Europe/Warsaw", (
        Condition(cond.TRIGGER, values=frozenset({cond.EACH_MESSAGE})),
        Condition(cond.SOURCE, values=frozenset({AMAZON})),
        Condition(cond.DELAY, delay_minutes=10))),
    "weekend": WorkflowSpec(2, "Weekend", 10, "Europe/Warsaw", (
        Condition(cond.TRIGGER, values=frozenset({cond.EACH_MESSAGE})),
        Condition(cond.WEEKDAY, values=frozenset({5, 6})))),
    "out_of_hours": WorkflowSpec(3, "Out of hours", 20, "Europe/Warsaw", (
        Condition(cond.TRIGGER, values=frozenset({cond.EACH_MESSAGE})),
        Condition(cond.TIME_WINDOW, operator=cond.NOT_IN, start_minute=600, end_minute=1080))),
}

BOT_HEADERS = [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"), ("Precedence", "bulk")]


class Conversation:
    """One thread, our reply queue, and an external autoresponder answering us after `bot_delay`."""

    def __init__(self, workflow, bot_headers, bot_delay, limits):
        self.workflow, self.bot_headers, self.bot_delay, self.limits = workflow, bot_headers, bot_delay, limits
        self.source = AMAZON if workflow.id == 1 else 1
        self.ids = itertools.count(1)
        self.events = []  # (time, seq, kind, payload)
        self.replies = []  # dicts: trigger, send_at, sent_at, state
        self.messages = []  # dicts: id, at, author, body
        self.held = None
        self.sent = 0

    def schedule(self, at, kind, payload):
        heapq.heappush(self.events, (at, next(self.ids), kind, payload))

    def history(self, at):
        active = [r for r in self.replies if r["state"] in ("scheduled", "sent")]
        sent = [r["sent_at"] for r in active if r["state"] == "sent"]
        return History(
            last_reply_to_buyer=max((r["sent_at"] or r["send_at"] for r in active), default=None),
            last_reply_in_conversation=max(sent, default=None),
            conversation_replies_24h=sum(1 for r in active if r["send_at"] >= at - timedelta(days=1)),
            account_replies_1h=sum(1 for r in active if r["send_at"] >= at - timedelta(hours=1)),
            held_for_human=self.held,
        )

    def incoming(self, at, body, headers=()):
        message = {"id": next(self.ids), "at": at, "author": "buyer", "body": body}
        same = len(body) >= 20 and any(m["body"] == body for m in self.messages)
        self.messages.append(message)
        signal = detect_in_email(headers, sender="buyer@example.com", body=body) if headers else \
            detect_in_text("", body)
        facts = MessageFacts(message["id"], at, source=self.source, automatic_signal=signal)
        history = self.history(at)
        if same:
            history = History(**{**history.__dict__, "same_body_seen": True})
        (decision,) = decide([self.workflow], facts, at, history, self.limits)
        if decision.reason.code == "held_for_human" and not self.held:
            self.held = decision.reason.params["reason"]
        if decision.answers:
            reply = {"trigger": message["id"], "send_at": decision.send_at, "sent_at": None, "state": "scheduled"}
            self.replies.append(reply)
            self.schedule(decision.send_at, "send", reply)

    def send(self, at, reply):
        later_not_buyer = any(m["id"] > reply["trigger"] and m["author"] != "buyer" for m in self.messages)
        if self.held or later_not_buyer:
            reply["state"] = "cancelled"
            return
        reply.update(state="sent", sent_at=at)
        self.messages.append({"id": next(self.ids), "at": at, "author": "us", "body": "auto"})
        self.sent += 1
        self.schedule(at + self.bot_delay, "bot", self.sent)

    def run(self, first_message_at):
        self.schedule(first_message_at, "buyer", None)
        end = START + timedelta(hours=HOURS)
        while self.events and self.events[0][0] <= end:
            at, _seq, kind, payload = heapq.heappop(self.events)
            if kind == "buyer":
                self.incoming(at, "Hello, where is my parcel? Order 123.")
            elif kind == "bot":
                self.incoming(at, f"Your message has been received, ticket #{payload}. We will contact you.",
                              BOT_HEADERS if self.bot_headers else ())
            else:
                self.send(at, payload)
        return self.sent


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("headers", [True, False], ids=["with-headers", "no-headers"])
@pytest.mark.parametrize("bot_delay", [timedelta(seconds=2), timedelta(minutes=5)], ids=["instant", "5min"])
def test_weekend_against_an_autoresponder(template, headers, bot_delay, capsys):
    limits = Limits()
    conversation = Conversation(TEMPLATES[template], headers, bot_delay, limits)
    first = START + timedelta(hours=17 if template == "weekend" else 1)  # Saturday 11:00 / Friday 19:00 local
    sent = conversation.run(first)
    with capsys.disabled():
        print(f"\nsoak {template:13} headers={headers!s:5} bot after {bot_delay}: {sent} automatic replies in "
              f"{HOURS} h (cap {limits.conversation_per_day}/24 h), held: {conversation.held}")
    if headers:
        assert sent == 1, "the autoresponder's own headers stop the loop after our first reply"
    else:
        assert 1 <= sent <= limits.conversation_per_day * HOURS // 24
    if bot_delay <= timedelta(seconds=limits.echo_seconds):
        assert sent == 1, "an answer seconds after ours holds the conversation for a human"


def test_signal_strengths_in_the_simulation():
    assert detect_in_email(BOT_HEADERS, sender="bot@example.com").strength == "hard"
    assert isinstance(detect_in_text("Automatic reply: hello", ""), AutomaticSignal)
