"""Text rules: out-of-office and automatic-reply wording at the start of a subject or body (SOFT only).

Entry point: `detect_in_text` (re-exported by loop_guard).
"""

import html
import re
import unicodedata
from functools import lru_cache

from .loop_guard_signal import _short, _soft

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
