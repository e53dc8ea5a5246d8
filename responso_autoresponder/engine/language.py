"""The language of a buyer's message, and which language to answer in (no Odoo import).

Detection uses lingua-language-detector, whose language models ship inside the package: nothing is downloaded
at run time. The detector chooses among the languages below only (each one loaded costs memory, about 30 MB,
the first time a message is examined in a process); short or ambiguous texts give None, and the Odoo layer falls
back to what it knows of the buyer, the marketplace site, the account and the company.
"""

import re
from functools import lru_cache

# ISO 639-1 codes the detector chooses from: the languages the templates ship, and their close neighbours so that
# a Slovak text is not taken for Czech, nor an Italian one for French.
LANGUAGES = ("en", "fr", "pl", "de", "cs", "sk", "es", "it", "nl", "pt")
MIN_LETTERS = 12  # "ok", "Merci", "Danke!" say too little
MIN_RELATIVE_DISTANCE = 0.1  # between the two likeliest languages; closer is ambiguous

# The language buyers of a marketplace site write in.
SITE_LANGUAGES = {
    "allegro.pl": "pl",
    "allegro.cz": "cs",
    "allegro.sk": "sk",
    "amazon.fr": "fr",
    "amazon.de": "de",
    "amazon.pl": "pl",
    "amazon.es": "es",
    "amazon.it": "it",
    "amazon.nl": "nl",
    "amazon.co.uk": "en",
    "amazon.com": "en",
    "ebay.fr": "fr",
    "ebay.de": "de",
    "ebay.at": "de",
    "ebay.pl": "pl",
    "ebay.es": "es",
    "ebay.it": "it",
    "ebay.nl": "nl",
    "ebay.co.uk": "en",
    "ebay.com": "en",
}

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=4)
def _detector(languages):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    return LanguageDetectorBuilder.from_languages(*wanted).with_minimum_relative_distance(
        MIN_RELATIVE_DISTANCE).build()


def detect_language(text, languages=LANGUAGES):
    """The ISO 639-1 code of the language `text` is written in, or None when it is too short or ambiguous."""
    if not text or len(_LETTERS.findall(text)) < MIN_LETTERS:
        return None
    language = _detector(tuple(languages)).detect_language_of(text)
    return language.iso_code_639_1.name.lower() if language is not None else None


def match_language(code, installed):
    """The installed language code (Odoo's ``ll_CC``) for `code`: itself when installed, else the country variant
    named after the language (``fr`` → ``fr_FR``, ``cs`` → ``cs_CZ`` is not guessable: first installed ``cs_*``),
    else None."""
    if not code:
        return None
    if code in installed:
        return code
    base = code.split("_")[0].lower()
    same = sorted(lang for lang in installed if lang.split("_")[0].lower() == base)
    if not same:
        return None
    preferred = f"{base}_{base.upper()}"
    return preferred if preferred in same else same[0]


def choose_language(candidates, installed, has_text=None):
    """The first of `candidates` — (language or None, why) pairs, best first — that is installed and, when
    `has_text` is given, for which `has_text(lang)` says the message exists: (lang, why), or None."""
    for code, why in candidates:
        lang = match_language(code, installed)
        if lang and (has_text is None or has_text(lang)):
            return lang, why
    return None
