import pytest

from responso_autoresponder.engine.content_rules import ChannelRules, check_message

ALLEGRO = ChannelRules("Allegro Message Center", max_length=2000, plain_text=True)
EBAY = ChannelRules("eBay", max_length=2000, plain_text=True, forbids_contact_details=True)


def test_length_limit_per_channel():
    errors, _ = check_message("x" * 2000, ALLEGRO)
    assert errors == []
    errors, _ = check_message("x" * 2001, ALLEGRO)
    assert [e.code for e in errors] == ["too_long"]
    assert errors[0].text() == "message of 2001 characters, Allegro Message Center accepts 2000"


@pytest.mark.parametrize("text, found", [
    ("See https://shop.example.com/faq for details", "https://shop.example.com/faq"),
    ("Visit www.shop.example.com", "www.shop.example.com"),
    ("Write to help@shop.example.com", "help@shop.example.com"),
    ("Call +48 600 700 800", "+48 600 700 800"),
    ("Call 600-700-800 today", "600-700-800"),
])
def test_contact_details_warned_where_forbidden(text, found):
    errors, warnings = check_message(text, EBAY)
    assert errors == []
    assert [w.code for w in warnings] == ["contact_details"]
    assert found in warnings[0].params["found"]
    assert check_message(text, ALLEGRO) == ([], []), "Allegro has no such rule"


@pytest.mark.parametrize("text", [
    "Order 12345 ships on 2026-12-01.",
    "We answer within 24 hours, Monday to Friday 10:00-18:00.",
    "Thank you for your message!",
])
def test_ordinary_text_is_not_contact_details(text):
    assert check_message(text, EBAY) == ([], [])
