"""No secret in any connector error text or log line (issue 8, fault 10).

Allegro's token calls carry their parameters in the query string (docs/marketplace-contract.md, A5 #2429) and a
refused refresh echoes the refresh token (A5 #10107): a connection failure or a refusal during a refresh must not
write the token into the error (stored in `last_error` and `responso.reply.error`, read by agents) nor the log.
"""

import logging
import socket
import traceback
from datetime import datetime, timedelta, timezone

import pytest

from responso_autoresponder.connectors.allegro import AllegroClient
from responso_autoresponder.connectors.common import MemoryTokenStore, Token
from responso_autoresponder.connectors.ebay import EbayClient
from responso_autoresponder.connectors.http import (
    AuthError,
    HttpClient,
    MarketplaceError,
    TransientError,
    request_secrets,
    scrub,
)
from responso_autoresponder_demo.fakes.allegro_server import FakeAllegro
from responso_autoresponder_demo.fakes.ebay_server import FakeEbay

UTC = timezone.utc
PLANTED_REFRESH = "rt-PLANTED-refresh-0123456789abcdef"
PLANTED_ACCESS = "at-PLANTED-access-0123456789abcdef"
CLIENT_SECRET = "PLANTED-client-secret-42"
SECRETS = (PLANTED_REFRESH, PLANTED_ACCESS, CLIENT_SECRET)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def expired_store():
    return MemoryTokenStore(Token(PLANTED_ACCESS, PLANTED_REFRESH, datetime.now(UTC) - timedelta(minutes=1)))


def assert_clean(exc, caplog):
    texts = [str(exc), repr(exc), exc.message, "".join(traceback.format_exception(exc)), caplog.text]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret leaked into: %s" % text
    assert "?" + "grant_type" not in "".join(texts)


def test_connection_failure_during_an_allegro_refresh(caplog):
    caplog.set_level(logging.DEBUG, logger="responso_autoresponder")
    oauth_url = "http://127.0.0.1:%d" % closed_port()
    http = HttpClient(oauth_url, timeout=(1, 1), retries=1, sleep=lambda s: None)
    client = AllegroClient(expired_store(), client_id="cid", client_secret=CLIENT_SECRET, login="seller",
                           api_url=oauth_url, oauth_url=oauth_url, http=http)
    with pytest.raises(TransientError) as caught:
        client.fetch_new_messages(None)
    assert "could not connect" in caught.value.message
    assert "/auth/oauth/token" in caught.value.message  # still says which call failed
    assert caught.value.__cause__ is None  # the requests exception (full URL) is not chained
    assert_clean(caught.value, caplog)


def test_refused_allegro_refresh_echoing_the_token(caplog):
    """Allegro answers "Invalid refresh token: <the token>" (A5 #10107): the token is cut out."""
    caplog.set_level(logging.DEBUG, logger="responso_autoresponder")
    with FakeAllegro(client_secret=CLIENT_SECRET) as fake:
        client = AllegroClient(expired_store(), client_id=fake.client_id, client_secret=CLIENT_SECRET,
                               login=fake.login, api_url=fake.url, oauth_url=fake.url,
                               http=HttpClient(fake.url, timeout=(2, 2), sleep=lambda s: None))
        with pytest.raises(AuthError, match="Invalid refresh token") as caught:
            client.fetch_new_messages(None)
        assert fake.requests_to("/auth/oauth/token")[0].query["refresh_token"] == PLANTED_REFRESH  # it was sent
    assert_clean(caught.value, caplog)


def test_connection_failure_during_an_ebay_refresh_and_send(caplog):
    caplog.set_level(logging.DEBUG, logger="responso_autoresponder")
    root = "http://127.0.0.1:%d" % closed_port()
    client = EbayClient(expired_store(), base_url=root, client_id="cid", client_secret=CLIENT_SECRET,
                        username="seller", http=HttpClient(root, timeout=(1, 1), retries=1, sleep=lambda s: None))
    with pytest.raises(TransientError) as caught:
        client.send_message("c-1", "Hello")
    assert_clean(caught.value, caplog)


def test_refused_ebay_refresh(caplog):
    caplog.set_level(logging.DEBUG, logger="responso_autoresponder")
    with FakeEbay() as fake:
        client = EbayClient(expired_store(), base_url=fake.url, client_id=FakeEbay.CLIENT_ID,
                            client_secret=FakeEbay.CLIENT_SECRET, username="seller",
                            http=HttpClient(fake.url, timeout=(2, 2), sleep=lambda s: None))
        with pytest.raises(AuthError) as caught:
            client.send_message("c-1", "Hello")
    assert_clean(caught.value, caplog)


@pytest.mark.parametrize(("text", "expected"), [
    ("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
     "/auth/oauth/token?grant_type=refresh_token&refresh_token=abc.def (Caused by NewConnectionError)",
     "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /auth/oauth/token?… "
     "(Caused by NewConnectionError)"),
    ("GET https://i.ebayimg.com/x.jpg?sig=S3CR3T&exp=1 is too large", "GET https://i.ebayimg.com/x.jpg?… is too large"),
    ("grant_type=refresh_token&refresh_token=r-1234&code=c-99", "grant_type=refresh_token&refresh_token=…&code=…"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "Authorization: Bearer …"),
    ("Invalid refresh token: eyJhbGciOiJSUzI1NiJ9.eyJ1c2VyX25hbWUiOiJ4In0.c2lnbmF0dXJl", "Invalid refresh token: …"),
    ("Wątek nie istnieje. Why? Because.", "Wątek nie istnieje. Why? Because."),  # words stay
    ("Basic authentication failed", "Basic authentication failed"),
])
def test_scrub(text, expected):
    assert scrub(text) == expected


def test_scrub_exact_secrets_and_what_a_call_sends():
    secrets = request_secrets(params={"grant_type": "refresh_token", "refresh_token": "rt-1234567"},
                              data={"code": "c-abcdef", "scope": "x"}, auth=("cid", "the-secret"),
                              headers={"Authorization": "Bearer at-xyz123"})
    assert set(secrets) == {"rt-1234567", "c-abcdef", "the-secret", "at-xyz123"}
    assert scrub("refused: rt-1234567 / c-abcdef / at-xyz123", secrets) == "refused: … / … / …"
    assert MarketplaceError("GET /x?access_token=abc").message == "GET /x?…"
