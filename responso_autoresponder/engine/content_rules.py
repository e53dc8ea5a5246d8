"""What a marketplace accepts in a seller's message, checked when a workflow is saved (not when sending).

Limits per channel come from the sources (docs/marketplace-contract.md: Allegro A1 `NewMessageInThread.text`
maxLength 2,000 and `MessageRequest.text` maxLength 20,000). eBay's member-to-member policy and Amazon's
Buyer-Seller Messaging rules forbid contact details and links in buyer messages: a warning, since some links
(order pages) are allowed.
"""

import re
from dataclasses import dataclass

from .reasons import Reason

LINK_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# at least 9 digits, optionally with +country code, spaces, dots, dashes or brackets between groups
PHONE_RE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{2,4}\)?[\s.-]?){2,4}\d{2,4}(?![\w/])")


@dataclass(frozen=True)
class ChannelRules:
    name: str
    max_length: int | None = None
    plain_text: bool = False
    forbids_contact_details: bool = False


def _phones(text):
    return [match.group(0).strip() for match in PHONE_RE.finditer(text)
            if sum(char.isdigit() for char in match.group(0)) >= 9]


def check_message(text, rules):
    """(errors, warnings) for a message `text` (plain text, as the channel would get it) on a channel."""
    errors, warnings = [], []
    if rules.max_length and len(text) > rules.max_length:
        errors.append(Reason("too_long", {"channel": rules.name, "length": len(text), "limit": rules.max_length}))
    if rules.forbids_contact_details:
        found = LINK_RE.findall(text) + EMAIL_RE.findall(text) + _phones(text)
        if found:
            warnings.append(Reason("contact_details", {"channel": rules.name, "found": sorted(set(found))}))
    return errors, warnings
