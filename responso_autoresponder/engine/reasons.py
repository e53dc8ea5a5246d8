"""Why a workflow answered or not: a stable code, its parameters, and an English text.

The Odoo layer keeps code and parameters and shows the text in the reader's language; the English texts
here are the reference wording (and what the plain tests read).
"""

from dataclasses import dataclass, field

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

TEXTS = {
    "matched": "all conditions hold (%(count)s)",
    "not_one_of": "%(subject)s %(actual)s is not one of %(expected)s",
    "one_of_excluded": "%(subject)s %(actual)s is one of the excluded %(expected)s",
    "not_first_message": "not the first message of this buyer to this account",
    "weekday_not_in": "%(actual)s is not one of %(expected)s (%(tz)s)",
    "weekday_excluded": "%(actual)s is one of the excluded days %(expected)s (%(tz)s)",
    "outside_window": "%(actual)s is outside %(expected)s (%(tz)s)",
    "inside_window": "%(actual)s is inside the excluded window %(expected)s (%(tz)s)",
    "outside_working_hours": "%(actual)s is outside the working hours of %(expected)s (%(tz)s)",
    "inside_working_hours": "%(actual)s is inside the working hours of %(expected)s (%(tz)s)",
    "contains_none": "%(subject)s contains none of %(expected)s",
    "contains_excluded": "%(subject)s contains the excluded “%(found)s”",
    "not_new_conversation": "the message does not open a new conversation",
    "new_conversation": "the message opens a new conversation",
    "not_return": "the conversation is not a return or post-purchase issue",
    "return_thread": "the conversation is a return or post-purchase issue",
    "tag_not_set": "none of the tags %(expected)s is set",
    "tag_set": "the excluded tag %(found)s is set",
    "no_previous_message": "no earlier message of the buyer in this conversation",
    "last_response_not_older": "the buyer last wrote %(minutes)s min ago, not more than %(expected)s min ago",
    "last_response_not_newer": "the buyer last wrote %(minutes)s min ago, not less than %(expected)s min ago",
    "already_answered": "another workflow answers this message: %(workflow)s",
    "first_held_back": "%(workflow)s comes first and was held back (throttling or a cap): one answer per message, "
                       "none this time",
    "applied": "all conditions hold (%(count)s): its actions apply; it sends no message, the answer is left to others",
    "actions_applied": "no workflow sends an answer; actions applied by %(workflows)s",
    "no_match": "no workflow applies (%(count)s active)",
    "no_action": "the workflow has no action",
    "automatic_message": "automatic message: %(signal)s",
    "held_for_human": "held for a human: %(reason)s",
    "too_old": "received %(hours)s h ago: too old for an automatic answer",
    "account_paused": "automatic replies of this account are paused",
    "buyer_bounced": "our automatic replies to this address bounced (no automatic reply until %(until)s)",
    "throttled": "throttled: last automatic reply %(minutes)s min ago (interval %(interval)s min)",
    "conversation_cap": "cap reached: %(count)s in 24 h in this conversation",
    "account_cap": "cap reached: %(count)s in 1 h on this account",
    # content rules
    "too_long": "message of %(length)s characters, %(channel)s accepts %(limit)s",
    "contact_details": "%(channel)s forbids contact details and links in buyer messages: %(found)s",
    # validation problems
    "no_values": "the condition “%(subject)s” has no value",
    "no_phrases": "the condition “%(subject)s” has no phrase",
    "invalid_email_pattern": "not an e-mail address or *@domain pattern: %(expected)s",
    "unknown_record": "the condition “%(subject)s” names unknown records: %(expected)s",
    "no_duration": "the duration must be positive",
    "window_empty": "the time window starts and ends at the same time (%(expected)s)",
    "window_invalid": "the time window must be within 00:00–24:00",
    "no_calendar": "the working-hours condition has no working-hours calendar",
    "negative_delay": "a delay cannot be negative",
    "unknown_timezone": "unknown timezone “%(tz)s”",
    "unknown_condition": "unknown condition type “%(subject)s”",
    # why a conversation is held for a human (the "hold" of a held_for_human reason)
    "echo": "answered %(seconds)s s after our automatic reply",
    "same_text": "same text as an earlier message",
}


class _Params(dict):
    """A reason's parameters for its template: one the stored row lacks (a row written by an older version, or
    by hand) shows as "?" instead of failing the whole Decisions log."""

    def __missing__(self, key):
        return "?"


def _display(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "∅"
    return str(value)


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def text(self, texts=None):
        """The reason in words; `texts` maps codes to (translated) templates, English by default."""
        params = _Params((key, _display(value)) for key, value in (self.params or {}).items())
        english = TEXTS.get(self.code, self.code)
        for template in ((texts or TEXTS).get(self.code) or english, english):
            try:
                return template % params
            except (TypeError, ValueError):  # a translation with a broken placeholder: the English text
                continue
        return self.code

    def __str__(self):
        return self.text()
