"""Language of buyer messages (lingua's models ship in its wheel: these tests run offline) and the choice of the
reply language."""

import pytest

from responso_autoresponder.engine.language import (
    SITE_LANGUAGES,
    choose_language,
    detect_language,
    match_language,
)

SAMPLES = [
    ("fr", "Bonjour, quand arrive mon colis ?"),
    ("fr", "Bonjour, j'ai commandé une lampe la semaine dernière et je n'ai toujours rien reçu."),
    ("pl", "Dzień dobry, kiedy dotrze moja paczka?"),
    ("pl", "Witam, zamówiłem buty w zeszłym tygodniu i nadal nie otrzymałem przesyłki."),
    ("de", "Guten Tag, wann kommt mein Paket an?"),
    ("de", "Hallo, ich habe letzte Woche eine Lampe bestellt und noch nichts bekommen."),
    ("cs", "Dobrý den, kdy dorazí můj balík?"),
    ("cs", "Dobrý den, minulý týden jsem si objednal boty a zásilka stále nedorazila."),
    ("en", "Hello, when will my parcel arrive?"),
    ("en", "Hi, I ordered a lamp last week and I still have not received anything."),
]


@pytest.mark.parametrize(("expected", "text"), SAMPLES)
def test_detects_the_buyers_language(expected, text):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "ok", "Merci", "Danke!", "Hi :)", "12345 678 90", "???", "Super"])
def test_short_texts_fall_through(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["Taxi hotel restaurant pizza menu", "iPhone 15 Pro Max 256GB Titanium",
                                  "OK OK OK OK OK OK OK"])
def test_ambiguous_texts_fall_through(text):
    # international words and product names say nothing about the language
    assert detect_language(text) is None


def test_only_the_given_languages_are_considered():
    assert detect_language("Dobrý den, kdy dorazí můj balík?", languages=("en", "pl")) in ("pl", None)


def test_match_language():
    installed = {"en_US", "fr_FR", "fr_BE", "pl_PL", "cs_CZ", "de_CH"}
    assert match_language("fr", installed) == "fr_FR"
    assert match_language("fr_BE", installed) == "fr_BE"
    assert match_language("cs", installed) == "cs_CZ"
    assert match_language("de", installed) == "de_CH"
    assert match_language("it", installed) is None
    assert match_language(None, installed) is None


def test_choose_language_takes_the_first_with_a_text():
    installed = {"en_US", "fr_FR", "pl_PL"}
    candidates = [("de", "message"), (None, "buyer"), ("pl", "site"), ("fr", "company"), ("en_US", "default")]
    assert choose_language(candidates, installed) == ("pl_PL", "site")
    assert choose_language(candidates, installed, has_text=lambda lang: lang != "pl_PL") == ("fr_FR", "company")
    assert choose_language(candidates, installed, has_text=lambda lang: False) is None


def test_sites():
    assert SITE_LANGUAGES["allegro.pl"] == "pl"
    assert SITE_LANGUAGES["amazon.fr"] == "fr"
    assert SITE_LANGUAGES["ebay.de"] == "de"
