"""Never answer a machine: other autoresponders, mailing lists, bounces, system messages and ourselves.

Plain Python (standard library only). Three entry points:

* `detect_in_email(headers, ...)`: the header rules of RFC 3834, RFC 5230 (Sieve vacation), Dovecot
  Pigeonhole's vacation extension and the de-facto markers helpdesks (Zammad, FreeScout, osTicket) learned
  to honour; falls back to `detect_in_text` on subject and body.
* `detect_in_text(subject, body)`: out-of-office wording at the start of the subject or body (SOFT only).
* `marketplace_author_signal(channel, author, ...)`: a polled marketplace message not written by the buyer.

A HARD signal means "certainly automatic: never answer"; a SOFT one means "probably automatic: no
automatic answer, a person looks at the conversation".
"""

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import parseaddr
from functools import lru_cache

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


# --------------------------------------------------------------------------------------------- headers


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


# ------------------------------------------------------------------------------------- soft rules, text

# Folding keeps one character per character, so a match in the folded text points at the same span of
# the original: accents are dropped ("Odpowiedź" -> "Odpowiedz"), letters NFD cannot split are mapped.
_EXTRA_FOLD = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "’": "'", "‘": "'", "ʼ": "'",
               "\u00a0": " "}


@lru_cache(maxsize=4096)
def _fold_char(char):
    if char.isascii():
        return char
    if char in _EXTRA_FOLD:
        return _EXTRA_FOLD[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 else char


def _fold(text):
    return "".join(_fold_char(char) for char in text)


def _rx(*alternatives):
    """One case-insensitive regex of accent-folded alternatives; a space stands for any whitespace."""
    joined = "|".join("(?:%s)" % _fold(alt).replace(" ", r"\s+") for alt in alternatives)
    return "(?:%s)" % joined


# Subject prefixes of automatic replies (Exchange/Outlook localised "Automatic reply:", Lotus/Apple
# "Auto:", vacation programs). Anchored at the start and followed by ":", a bracket, a dash or the end
# of the subject, so "Automatic reply you sent is wrong" or "Auto parts" are not taken.
_SUBJECT_PHRASES = _rx(
    "automatic (reply|response)", "automated (reply|response)", "auto(-| )?(reply|response)", r"auto(?=\s*:)",
    "out of (the )?office",  # English
    "(réponse|message) automatique", "absence du bureau", "message d'absence",  # French
    "odpowiedź automatyczna", "automatyczna odpowiedź", "poza biurem",  # Polish
    "automatische antwort", "abwesenheitsnotiz", "abwesenheitsnachricht", "nicht im büro",  # German
    "risposta automatica", "fuori (sede|ufficio)", "fuori dall'ufficio",  # Italian
    "respuesta automática", "fuera de (la )?oficina",  # Spanish
    "automatická odpověď", "mimo kancelář",  # Czech
)
_SUBJECT = re.compile(r"\s*[\[(]?\s*(?P<phrase>%s)\s*(?P<end>[:\])|\-–]|$)" % _SUBJECT_PHRASES, re.IGNORECASE)

# Openings of automatic notices: they must start the body (after an optional greeting line and an
# optional "thank you for your message" sentence). A buyer who mentions being out of office further
# down ("sorry, I was out of office last week") is a person.
_OPENINGS = _rx(
    # English
    "this is an? (automatic|automated|auto-generated|automatically generated) "
    "(reply|response|message|e-?mail|notification|notice)",
    "(i am|i'm) (currently |presently )?(out of (the )?office|away from (the |my )?(office|desk))",
    # French
    "ceci est une? (réponse|message) automatique",
    r"je suis (actuellement )?absent(e|\(e\))? du bureau", r"je suis actuellement absent(e|\(e\))?",
    # Polish
    "to jest (automatyczna odpowiedź|odpowiedź automatyczna|wiadomość automatyczna"
    "|automatycznie wygenerowana wiadomość|wiadomość wygenerowana automatycznie)",
    r"jestem (obecnie |aktualnie )?(poza biurem|nieobecn(y|a|y\(a\)) w (biurze|pracy))",
    # German
    "dies ist eine automatische (antwort|nachricht|e-?mail|benachrichtigung|abwesenheitsnotiz)",
    r"ich bin (derzeit |zurzeit |momentan |aktuell )?(bis [^\n]{1,40}? )?(nicht im büro|au(ß|ss)er haus|abwesend)",
    # Italian
    "questa è una risposta automatica", "questo è un messaggio automatico",
    "sono (attualmente )?(fuori (ufficio|sede)|fuori dall'ufficio|assente dall'ufficio)",
    # Spanish
    "esta es una respuesta automática", "este es un (mensaje|correo) automático",
    "(estoy|me encuentro) (actualmente )?fuera de (la )?oficina",
    # Czech
    "toto je (automatická odpověď|automaticky generovaná zpráva|automatická zpráva)",
    "jsem (momentálně |nyní |aktuálně )?mimo (kancelář|kancelar)",
)
# "I am away" alone is what a buyer may write too; only after a thank-you sentence is it an absence notice.
_AFTER_THANKS = _rx(
    "(i am|i'm) (currently |presently )?(away|on (vacation|holiday|leave|annual leave))",
    r"je suis (actuellement )?(absent(e|\(e\))?|en congés?)",
    r"jestem (obecnie |aktualnie )?(nieobecn(y|a|y\(a\))|na urlopie)",
    "ich bin (derzeit |zurzeit |momentan |aktuell )?(abwesend|im urlaub|nicht erreichbar)",
    "sono (attualmente )?(assente|in ferie)",
    "estoy (actualmente )?(ausente|de vacaciones)",
    "jsem (momentálně |nyní |aktuálně )?(nepřítomn(ý|á)|na dovolené)",
)
_THANKS = _rx(
    "(thank you|thanks|many thanks) for your (e-?mail|message|mail|enquiry|inquiry)",
    "merci (pour|de) votre (message|e-?mail|courriel)",
    "dziękuję za (wiadomość|e-?mail|maila|kontakt)",
    "(vielen )?dank für ihre (nachricht|e-?mail|mail)",
    "grazie per (il suo |la sua |il tuo |la tua |il |l')?(messaggio|e-?mail|mail)",
    "gracias por su (mensaje|correo|e-?mail)",
    "děkuji za (vaši |váš )?(zprávu|e-?mail)",
)
_GREETING_WORDS = _rx(
    "hello", "hi", "hey", "dear", "good (morning|afternoon|evening|day)", "greetings",
    "bonjour", "bonsoir", "chère?", "madame", "monsieur",
    "dzień dobry", "witam", r"szanown\w*",
    "hallo", "guten (tag|morgen|abend)", r"sehr geehrte\w*", r"liebe\w*",
    "buongiorno", "buonasera", "salve", r"gentil\w*", "ciao",
    "hola", "buenos días", "buenas( tardes| noches)?", r"estimad\w*",
    "dobrý den", r"vážen\w*", "ahoj",
)
# A greeting with an optional name, closed by "," / "!" or by the end of its line.
_GREETING = re.compile(r"%s\b(?:[^\n,!.?:]{0,40}[,!]|[^\n,!.?:]{0,40}(?=\n))\s*" % _GREETING_WORDS, re.IGNORECASE)
# The thank-you sentence ends where a notice phrase begins ("Thank you for your email to X. I am away").
_THANKS_SENTENCE = re.compile(r"%s[^.!\n]{0,60}?[.!,]?\s+(?=%s|%s)" % (_THANKS, _OPENINGS, _AFTER_THANKS),
                              re.IGNORECASE)
_OPENING = re.compile(_OPENINGS, re.IGNORECASE)
_WEAK_OPENING = re.compile(_AFTER_THANKS, re.IGNORECASE)

_BODY_WINDOW = 300  # the notice must begin within the first ~300 characters of the body
_TAG = re.compile(r"<(style|script)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


def _subject_signal(subject):
    match = _SUBJECT.match(_fold(subject))
    if match is None:
        return None
    prefix = subject[match.start("phrase"): match.end("phrase")]
    if match.group("end").strip() == ":":
        prefix += ":"
    return _soft("automatic-reply subject “%s”" % prefix)


def _body_head(body):
    """The first characters of the body as plain text (tags dropped if it is HTML)."""
    head = body[: _BODY_WINDOW * 8]
    if "<" in head:
        head = html.unescape(_TAG.sub(" ", head))
    return head.lstrip()[: _BODY_WINDOW + 100]


def _body_signal(body):
    head = _body_head(body)
    folded = _fold(head)
    position = 0
    greeting = _GREETING.match(folded)
    if greeting:
        position = greeting.end()
    thanks = _THANKS_SENTENCE.match(folded, position)
    candidates = [(_OPENING, position)]
    if thanks:
        candidates += [(_OPENING, thanks.end()), (_WEAK_OPENING, thanks.end())]
    for pattern, start in candidates:
        match = pattern.match(folded, start)
        if match and start <= _BODY_WINDOW:
            return _soft("out-of-office phrase “%s”" % _short(head[position: match.end()]))
    return None


def detect_in_text(subject="", body=""):
    """A SOFT signal when the subject starts with an automatic-reply prefix or the body opens with an
    automatic or out-of-office notice, in English, French, Polish, German, Italian, Spanish or Czech."""
    return _subject_signal(subject or "") or _body_signal(body or "")


# -------------------------------------------------------------------------------------------- marketplaces


def _same_login(login, account_login):
    if not login or not account_login:
        return False
    return str(login).strip().casefold() == str(account_login).strip().casefold()


def _allegro_public(author, account_login):
    # marketplace-api-facts.md A1 MessageAuthor{login, isInterlocutor}: the interlocutor is the buyer.
    interlocutor = author.get("isInterlocutor")
    login = author.get("login")
    if not isinstance(interlocutor, bool):
        return _hard("Allegro: author unknown")
    if not interlocutor:
        return _hard("Allegro: author is not the interlocutor (%s)" % (login or "no login"))
    if _same_login(login, account_login):
        return _hard("Allegro: our own message (%s)" % login)
    return None


# marketplace-api-facts.md A2 MessageAuthorVBeta1.role: BUYER, SELLER, USER, CONSULTANT, ALLEGRO.
_ALLEGRO_BETA_NOT_BUYER = frozenset({"SELLER", "ALLEGRO", "CONSULTANT"})


def _allegro_beta(author, account_login):
    role, login = author.get("role"), author.get("login")
    if not isinstance(role, str) or not role:
        return _hard("Allegro: author unknown")
    role = role.upper()
    if role in _ALLEGRO_BETA_NOT_BUYER:
        return _hard("Allegro: author role %s" % role)
    if _same_login(login, account_login):
        return _hard("Allegro: our own message (%s)" % login)
    if role == "BUYER":
        return None
    if role == "USER":
        # marketplace-api-facts.md A2: in COMMON threads both participants are USER, so only the account's
        # own login tells us apart; without both logins the author cannot be attributed.
        if not login or not account_login:
            return _hard("Allegro: author unknown (USER without a login to compare)")
        return None
    return _hard("Allegro: author unknown (role %s)" % _short(role))


# marketplace-api-facts.md A1 PostPurchaseIssueMessageAuthor.role: BUYER, SELLER, ADMIN, SYSTEM,
# FULFILLMENT. Allegro's assistant "Allina" writes as SYSTEM (A5 #12547).
_ALLEGRO_ISSUE_NOT_BUYER = frozenset({"SELLER", "ADMIN", "SYSTEM", "FULFILLMENT"})


def _allegro_discussions(author, account_login):
    role, login = author.get("role"), author.get("login")
    if not isinstance(role, str) or not role:
        return _hard("Allegro issue: author unknown")
    role = role.upper()
    if role in _ALLEGRO_ISSUE_NOT_BUYER:
        return _hard("Allegro issue: author role %s" % role)
    if _same_login(login, account_login):
        return _hard("Allegro issue: our own message (%s)" % login)
    if role == "BUYER":
        return None
    return _hard("Allegro issue: author unknown (role %s)" % _short(role))


def _ebay(author, account_login):
    # marketplace-api-facts.md E1: conversation_type FROM_EBAY = system messages from eBay.
    kind, sender = author.get("conversation_type"), author.get("sender")
    if kind == "FROM_EBAY":
        return _hard("eBay: message from eBay (FROM_EBAY)")
    if kind != "FROM_MEMBERS":
        return _hard("eBay: author unknown")
    if _same_login(sender, account_login):
        return _hard("eBay: our own message (%s)" % sender)
    if not sender or not account_login:
        # a conversation holds our messages too: without both names we cannot tell them apart
        return _hard("eBay: author unknown (no sender or account login to compare)")
    return None


_MARKETPLACE_CHECKS = {
    "allegro_public_v1": ("Allegro", _allegro_public),
    "allegro_beta_v1": ("Allegro", _allegro_beta),
    "allegro_discussions": ("Allegro issue", _allegro_discussions),
    "ebay": ("eBay", _ebay),
}


def marketplace_author_signal(channel, author, *, account_login=None):
    """A HARD signal when a polled marketplace message was not written by the buyer, else None.

    `author` is the author object as the API returns it (a dict); what cannot be attributed is never
    answered. Raises ValueError for an unknown channel.
    """
    if channel not in _MARKETPLACE_CHECKS:
        raise ValueError("unknown marketplace channel %r (expected one of %s)"
                         % (channel, ", ".join(sorted(_MARKETPLACE_CHECKS))))
    label, check = _MARKETPLACE_CHECKS[channel]
    if not isinstance(author, Mapping):
        return _hard("%s: author unknown" % label)
    return check(author, account_login)
