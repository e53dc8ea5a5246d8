"""Hold reasons of the guards: a code and parameters the Odoo layer translates, plus the English text."""

from datetime import datetime, timedelta, timezone

from responso_autoresponder.engine import MessageFacts
from responso_autoresponder.engine.reasons import TEXTS
from responso_autoresponder.engine.throttle import History, Limits, message_guard

NOW = datetime(2026, 6, 16, 12, 0, tzinfo=timezone.utc)


def test_echo_is_held_with_a_code_and_the_seconds():
    facts = MessageFacts(message_id=1, received_at=NOW)
    reason = message_guard(facts, History(last_reply_in_conversation=NOW - timedelta(seconds=10)), Limits(), NOW)
    assert reason.code == "held_for_human"
    assert reason.params["hold"] == "echo"
    assert reason.params["hold_params"] == {"seconds": 10}
    assert reason.text() == "held for a human: answered 10 s after our automatic reply"


def test_same_text_is_held_with_a_code():
    facts = MessageFacts(message_id=1, received_at=NOW)
    reason = message_guard(facts, History(same_body_seen=True), Limits(), NOW)
    assert (reason.params["hold"], reason.params["hold_params"]) == ("same_text", {})
    assert reason.text() == "held for a human: same text as an earlier message"


def test_every_hold_code_has_a_reference_text():
    for code in ("echo", "same_text"):
        assert code in TEXTS
