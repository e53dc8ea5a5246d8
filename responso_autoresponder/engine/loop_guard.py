"""Never answer a machine: other autoresponders, mailing lists, bounces, system messages and ourselves.

Plain Python (standard library only). Three entry points:

* `detect_in_email(headers, ...)`: the header rules of RFC 3834, RFC 5230 (Sieve vacation), Dovecot
  Pigeonhole's vacation extension and the de-facto markers helpdesks (Zammad, FreeScout, osTicket) learned
  to honour; falls back to `detect_in_text` on subject and body.
* `detect_in_text(subject, body)`: out-of-office wording at the start of the subject or body (SOFT only).
* `marketplace_author_signal(channel, author, ...)`: a polled marketplace message not written by the buyer.

A HARD signal means "certainly automatic: never answer"; a SOFT one means "probably automatic: no
automatic answer, a person looks at the conversation".

Layout: `loop_guard_signal` (what a rule returns: HARD / SOFT signals, our own identity),
`loop_guard_headers` (e-mail header rules), `loop_guard_text` (subject and body wording) and
`loop_guard_marketplace` (authors of polled marketplace messages). Import from here: this module is the
stable entry point.
"""

from .loop_guard_headers import detect_in_email
from .loop_guard_marketplace import marketplace_author_signal
from .loop_guard_signal import HARD, LOOP_HEADER, SOFT, AutomaticSignal, OwnIdentity
from .loop_guard_text import detect_in_text

__all__ = [
    "HARD",
    "LOOP_HEADER",
    "SOFT",
    "AutomaticSignal",
    "OwnIdentity",
    "detect_in_email",
    "detect_in_text",
    "marketplace_author_signal",
]
