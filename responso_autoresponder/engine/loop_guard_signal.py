"""What the loop guard returns (shared by its header, text and marketplace rules)."""

from dataclasses import dataclass

HARD = "hard"  # certainly automatic: never answer
SOFT = "soft"  # probably automatic: no automatic answer, conversation flagged for a human

LOOP_HEADER = "X-Responso-Loop"


@dataclass(frozen=True)
class AutomaticSignal:
    strength: str  # HARD or SOFT
    rule: str  # short English text for the decision log

    def __str__(self):
        return self.rule


@dataclass(frozen=True)
class OwnIdentity:
    """What identifies our own outgoing messages, so they are never taken as input."""

    message_id_domains: tuple = ()  # domains of our Message-IDs, e.g. ("shop.example.com",)
    loop_header: str = LOOP_HEADER
    loop_tag: str = ""  # the value we put in loop_header (per database); "" = unknown
    addresses: tuple = ()  # our own addresses (aliases, catchall, from), compared case-insensitively


_NO_IDENTITY = OwnIdentity()
_SHORT = 60  # header values longer than this are cut in rule texts


def _hard(rule):
    return AutomaticSignal(HARD, rule)


def _soft(rule):
    return AutomaticSignal(SOFT, rule)


def _short(value):
    value = " ".join(str(value).split())
    return value if len(value) <= _SHORT else value[: _SHORT - 1] + "…"
