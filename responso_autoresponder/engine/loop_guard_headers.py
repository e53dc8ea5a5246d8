"""Header rules: never answer mail that its headers mark as automatic, or our own mail coming back.

RFC 3834, RFC 5230 (Sieve vacation), Dovecot Pigeonhole's vacation extension and the de-facto markers helpdesks
(Zammad, FreeScout, osTicket) learned to honour. Entry point: `detect_in_email` (re-exported by loop_guard).
"""

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import parseaddr

from .loop_guard_signal import _NO_IDENTITY, OwnIdentity, _hard, _short
from .loop_guard_text import detect_in_text


class _Headers:
    """Header fields by case-insensitive name; a name may repeat (RFC 5322 §3.6 allows it for some)."""

    def __init__(self, headers):
        self._values = {}
        for name, value in _pairs(headers):
            if name is None:
                continue
            text = "" if value is None else " ".join(str(value).split())  # unfold
            self._values.setdefault(str(name).strip().lower(), []).append(text)

    def get_all(self, name):
        return self._values.get(name.lower(), [])

    def first(self, name):
        values = self.get_all(name)
        return values[0] if values else None

    def __contains__(self, name):
        return name.lower() in self._values

    def names(self):
        return list(self._values)


def _pairs(headers):
    """(name, value) pairs from a Mapping, an email.message.Message or an iterable of pairs."""
    if headers is None:
        return
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:
        if isinstance(value, (list, tuple)):  # a Mapping of name -> [values]
            for one in value:
                yield name, one
        else:
            yield name, value


def _address(value):
    """The bare address of "Name <addr>" (or of "addr"), as written; "" when there is none."""
    return parseaddr(value or "")[1].strip()


def _local_part(address):
    """Lower-cased local part without a sub-address ("List-Request+bounce" -> "list-request")."""
    local = address.rsplit("@", 1)[0] if "@" in address else address
    return local.split("+", 1)[0].lower()


def _decoded(value):
    """An RFC 2047 encoded header value in clear text; the raw value if it cannot be decoded."""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


# ------------------------------------------------------------------------------------- hard rules, own loop

# Odoo marks the bounce it sends on a detected loop with this Message-ID tag and drops any mail that
# refers to it (odoo/addons/mail/models/mail_thread.py `_detect_loop_headers`, References + In-Reply-To).
_ODOO_LOOP_BOUNCE = "-loop-detection-bounce-email@"
_ODOO_LOOP_HEADERS = ("From", "To", "Cc", "Return-Path", "References", "In-Reply-To", "Message-ID")


def _own_message(mail):
    own = mail.own
    if own.loop_header and own.loop_header in mail.headers:  # our X-Responso-Loop, any value
        return _hard("our own message (%s header)" % own.loop_header)
    for name in _ODOO_LOOP_HEADERS:
        if any(_ODOO_LOOP_BOUNCE in value.lower() for value in mail.headers.get_all(name)):
            return _hard("reply to Odoo's loop-detection bounce (%s)" % name)
    for message_id in mail.headers.get_all("Message-ID"):
        # Only the message's own id, not In-Reply-To/References: a buyer's reply names our Message-ID there
        # and must still be evaluated (responso_autoresponder/tests/test_message_hook.py relies on it).
        if own.loop_tag and own.loop_tag.lower() in message_id.lower():
            return _hard("our own message (loop tag in Message-ID)")
        domain = message_id.strip().strip("<>").rsplit("@", 1)[-1].strip().lower()
        if "@" in message_id and domain in {d.lower() for d in own.message_id_domains}:
            return _hard("our own message (Message-ID domain %s)" % domain)
    ours = {_address(a).lower() for a in own.addresses} - {""}
    if mail.sender and mail.sender.lower() in ours:
        return _hard("our own message (sender %s)" % mail.sender)
    return None


# --------------------------------------------------------------------------------- hard rules, standards


def _auto_submitted(mail):
    # RFC 3834 §5: any Auto-Submitted value but "no" marks an automatic message; comments in
    # parentheses and parameters after ";" are ignored (Zimbra: "auto-replied (zimbra; vacation)").
    for value in mail.headers.get_all("Auto-Submitted"):
        keyword = re.sub(r"\([^)]*\)", " ", value).split(";", 1)[0].strip().lower()
        if keyword != "no":
            return _hard("Auto-Submitted: %s" % _short(keyword or value or "(empty)"))
    return None


def _list_headers(mail):
    # RFC 5230 §4.6 / RFC 2369 (and Pigeonhole vacation): never answer mail carrying List-* fields.
    for name in mail.headers.names():
        if name.startswith("list-"):
            return _hard("%s header" % _display_name(name))
    return None


def _empty_return_path(mail):
    # RFC 3834 §2/§3.1: never respond to a null (<>) Return-Path; RFC 5321 §4.5.5: bounces, DSNs and MDNs
    # are sent with it.
    for value in mail.headers.get_all("Return-Path"):
        if value.replace(" ", "") in ("", "<>"):
            return _hard("empty Return-Path (<>)")
    return None


# RFC 5230 §4.6 and Pigeonhole vacation (`_is_system_address`: MAILER-DAEMON, LISTSERV, majordomo,
# owner-*, *-request): addresses of mail systems and list servers; postmaster is the mail system's own
# mailbox (RFC 5321 §4.5.1).
_SYSTEM_LOCALS = ("mailer-daemon", "postmaster", "listserv", "majordomo")
_SYSTEM_PREFIXES = ("owner-",)
_SYSTEM_SUFFIXES = ("-request",)
# De-facto "no-reply" senders (Zammad, FreeScout): nobody reads answers to them. Matched as a word of
# the local part, so "digital-no-reply" and "noreply-dmarc-support" count, "honoreply" does not.
_NO_REPLY = re.compile(r"(?:^|[-_.])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:$|[-_.])")


def _is_system_address(address):
    local = _local_part(address)
    return (
        local in _SYSTEM_LOCALS
        or local.startswith(_SYSTEM_PREFIXES)
        or local.endswith(_SYSTEM_SUFFIXES)
        or bool(_NO_REPLY.search(local))
    )


def _system_sender(mail):
    if mail.sender and _is_system_address(mail.sender):
        return _hard("sender %s" % mail.sender)
    # Pigeonhole vacation checks the envelope sender too, which the delivery agent puts in Return-Path.
    for value in mail.headers.get_all("Return-Path"):
        address = _address(value)
        if address and _is_system_address(address):
            return _hard("Return-Path %s" % address)
    return None


def _bounce_report(mail):
    # RFC 6522 multipart/report carries delivery-status (RFC 3464) and disposition (MDN) reports.
    for value in mail.headers.get_all("Content-Type"):
        if value.split(";", 1)[0].strip().lower() == "multipart/report":
            kind = re.search(r"report-type\s*=\s*\"?([\w.-]+)", value, re.IGNORECASE)
            return _hard("bounce report (multipart/report%s)" % ("; report-type=" + kind.group(1) if kind else ""))
    # Exim and Postfix name the failed recipients of a bounce in X-Failed-Recipients.
    if "X-Failed-Recipients" in mail.headers:
        return _hard("X-Failed-Recipients header")
    return None


# De-facto (Pigeonhole vacation, Sendmail vacation, Zammad, FreeScout): bulk and list mail, auto replies.
_PRECEDENCES = frozenset({"bulk", "junk", "list", "auto_reply"})


def _precedence(mail):
    for name in ("Precedence", "X-Precedence"):
        for value in mail.headers.get_all(name):
            word = re.match(r"\s*([\w-]*)", value).group(1).lower()
            if word in _PRECEDENCES:
                return _hard("%s: %s" % (name, word))
    return None


# Microsoft [MS-OXCMAIL] §2.2.3.2.14: the sender asks not to be answered automatically (Exchange puts it
# on its own automatic replies). Only these values concern us; DR/NDR/RN/NRN are about receipts.
_SUPPRESS_VALUES = frozenset({"all", "oof", "autoreply"})


def _auto_response_suppress(mail):
    for value in mail.headers.get_all("X-Auto-Response-Suppress"):
        for token in value.split(","):
            if token.strip().lower() in _SUPPRESS_VALUES:
                return _hard("X-Auto-Response-Suppress: %s" % token.strip())
    return None


# De-facto autoresponder markers, as Zammad, FreeScout and osTicket honour them: present with any value.
_PRESENCE_MARKERS = (
    "X-Autoreply",  # Yahoo, many vacation scripts
    "X-Autorespond",
    "X-Autoresponse",
    "X-AutoReply-From",  # Domain Technologies Control
    "X-Mail-Autoreply",
    "X-Loop",  # procmail, Postfix Admin vacation, list servers
    "X-FC-MachineGenerated",  # FirstClass
)
# ... and with a given value (full match, case-insensitive).
_VALUE_MARKERS = (
    ("X-Autogenerated", r"reply"),  # CommuniGate Pro
    ("Delivered-To", r"autoresponder"),  # qmail autoresponder
    ("X-POST-MessageClass", r"9;\s*autoresponder"),  # Mailtraq
    ("X-AMAZON-MAIL-RELAY-TYPE", r"notification"),  # Amazon system notifications (osTicket filters them)
)


def _vendor_markers(mail):
    for name in _PRESENCE_MARKERS:
        if name in mail.headers:
            return _hard("%s header" % name)
    for name, pattern in _VALUE_MARKERS:
        for value in mail.headers.get_all(name):
            if re.fullmatch(pattern, value.strip(), re.IGNORECASE):
                return _hard("%s: %s" % (name, _short(value)))
    return None


def _display_name(lower_name):
    """ "list-unsubscribe" -> "List-Unsubscribe", "list-id" -> "List-Id"."""
    return "-".join(part.capitalize() for part in lower_name.split("-"))


# Order only decides which rule text the log shows; our own messages come first as the most useful.
_HARD_RULES = (
    _own_message,
    _auto_submitted,
    _list_headers,
    _empty_return_path,
    _system_sender,
    _bounce_report,
    _precedence,
    _auto_response_suppress,
    _vendor_markers,
)


@dataclass(frozen=True)
class _Mail:
    headers: _Headers
    sender: str
    own: OwnIdentity


def detect_in_email(headers, *, sender=None, subject="", body="", own=_NO_IDENTITY):
    """The first HARD signal of the headers, else the first SOFT one of subject/body, else None.

    `headers`: (name, value) pairs or a Mapping; names are case-insensitive and may repeat. `sender`: the
    From address, "Name <addr>" allowed; the From header is used when it is not given. `subject`: the
    Subject header is used when it is empty.
    """
    parsed = _Headers(headers)
    own = own or _NO_IDENTITY
    mail = _Mail(parsed, _address(sender if sender is not None else parsed.first("From")), own)
    for rule in _HARD_RULES:
        signal = rule(mail)
        if signal is not None:
            return signal
    if not subject and parsed.first("Subject"):
        subject = _decoded(parsed.first("Subject"))
    return detect_in_text(subject, body)
