"""Attachment downloads (issue 8, fault 11): only from the marketplace's own hosts, every redirect hop checked,
streamed with a byte cap; Allegro's UNSAFE / EXPIRED files are never fetched. Against the local fakes."""

import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest

from responso_autoresponder.connectors.allegro import AllegroClient
from responso_autoresponder.connectors.common import Attachment, MemoryTokenStore, Token
from responso_autoresponder.connectors.download import MAX_ATTACHMENT_BYTES, origin
from responso_autoresponder.connectors.ebay import EbayClient
from responso_autoresponder.connectors.http import HttpClient, PermanentError
from responso_autoresponder_demo.fakes.allegro_server import START, FakeAllegro
from responso_autoresponder_demo.fakes.ebay_server import FakeEbay
from responso_autoresponder_demo.fakes.streaming import Stream

UTC = timezone.utc
SIXTY_MB = 60 * 1024 * 1024
MIB = 1024 * 1024


@pytest.fixture
def allegro():
    with FakeAllegro() as fake:
        store = MemoryTokenStore()
        answer = fake.issue_tokens()
        store.set(Token(answer["access_token"], answer["refresh_token"], datetime.now(UTC) + timedelta(hours=12)))
        client = AllegroClient(store, client_id=fake.client_id, client_secret=fake.client_secret, login=fake.login,
                               api_url=fake.url, oauth_url=fake.url, http=HttpClient(fake.url, timeout=(5, 5)))
        yield fake, client


@pytest.fixture
def ebay():
    with FakeEbay() as fake:
        yield fake, EbayClient(MemoryTokenStore(), base_url=fake.url, client_id="cid", client_secret="secret",
                               username="fake_seller", http=HttpClient(fake.url, timeout=(5, 5)))


@pytest.fixture
def elsewhere():
    """Another local server, on another port: what a redirect must never reach."""
    with FakeEbay() as other:
        yield other


def peak_while(call):
    """(result or exception, peak of Python memory allocated during the call, in bytes)."""
    tracemalloc.start()
    try:
        try:
            result = call()
        except PermanentError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_origin():
    assert origin("https://API.allegro.pl/x?y") == ("https", "api.allegro.pl", 443)
    assert origin("http://127.0.0.1:8080/x") == ("http", "127.0.0.1", 8080)
    assert origin("https://user:pw@api.allegro.pl/x") is None  # userinfo tricks are refused
    assert origin("javascript:alert(1)") is None
    assert origin("https://host:notaport/") is None


def test_allegro_redirect_to_another_port_is_refused(allegro, elsewhere):
    fake, client = allegro
    fake.attachment_files["a-1"] = (302, b"", {"Location": elsewhere.url + "/media/secret.jpg"})
    with pytest.raises(PermanentError, match="not allowed"):
        client.download_attachment(fake.url + "/messaging/message-attachments/a-1")
    assert elsewhere.requests == [], "the redirect target was never contacted (our token neither)"


def test_allegro_redirect_on_the_api_host_is_followed(allegro):
    fake, client = allegro
    fake.attachment_files["a-1"] = (307, b"", {"Location": "/messaging/message-attachments/a-2"})
    assert client.download_attachment(fake.url + "/messaging/message-attachments/a-1") == b"attachment a-2"


def test_allegro_redirect_loop_stops(allegro):
    fake, client = allegro
    fake.attachment_files["a-1"] = (302, b"", {"Location": "/messaging/message-attachments/a-1"})
    with pytest.raises(PermanentError, match="redirects"):
        client.download_attachment(fake.url + "/messaging/message-attachments/a-1")
    assert len(fake.requests_to("/messaging/message-attachments/a-1")) == 4


def test_allegro_only_its_api_host(allegro):
    fake, client = allegro
    for url in ("https://elsewhere.example.com/messaging/message-attachments/a-9",
                fake.url.replace("127.0.0.1", "localhost") + "/messaging/message-attachments/a-9",
                "http://127.0.0.1:1/messaging/message-attachments/a-9"):
        with pytest.raises(PermanentError, match="not allowed"):
            client.download_attachment(url)


@pytest.mark.parametrize("declare_length", [True, False])
def test_allegro_60_mb_file_is_cut_at_the_cap(allegro, declare_length):
    fake, client = allegro
    fake.attachment_files["big"] = (200, Stream(SIXTY_MB, declare_length=declare_length), {})
    result, peak = peak_while(lambda: client.download_attachment(fake.url + "/messaging/message-attachments/big"))
    assert isinstance(result, PermanentError) and "larger than" in result.message
    # the body is never held whole: memory stays within about twice the cap, far under the 60 MB file
    assert peak < 2 * MAX_ATTACHMENT_BYTES + 4 * MIB, "peak %.1f MiB" % (peak / MIB)


def test_allegro_file_under_the_cap_is_whole(allegro):
    fake, client = allegro
    fake.attachment_files["ok"] = (200, Stream(3 * MIB, declare_length=False), {})
    assert len(client.download_attachment(fake.url + "/messaging/message-attachments/ok")) == 3 * MIB


def test_allegro_unsafe_and_expired_attachments_are_withheld(allegro):
    fake, client = allegro
    thread = fake.add_thread(interlocutor="jan")
    fake.add_message(thread, "files", at=START, attachments=[
        ("ok.jpg", fake.url + "/messaging/message-attachments/a-1"),
        ("virus.exe", fake.url + "/messaging/message-attachments/a-2", "UNSAFE"),
        ("old.pdf", fake.url + "/messaging/message-attachments/a-3", "EXPIRED")])
    (message,) = client.fetch_new_messages(None)
    assert [(a[0], a.status, a.withheld) for a in message.attachments] == [
        ("ok.jpg", "SAFE", False), ("virus.exe", "UNSAFE", True), ("old.pdf", "EXPIRED", True)]
    assert message.attachments[0] == ("ok.jpg", fake.url + "/messaging/message-attachments/a-1")  # still a pair
    assert Attachment("x", "y").status is None


def test_ebay_media_only_from_ebay_hosts_over_https(ebay):
    fake, client = ebay
    assert client.download_attachment(fake.url + "/media/lamp.jpg") == b"media lamp.jpg"
    for url in ("https://evil.example.com/lamp.jpg", "http://i.ebayimg.com/lamp.jpg",
                "https://i.ebayimg.com:8443/lamp.jpg", "https://i.ebayimg.com.evil.example/lamp.jpg",
                "ftp://i.ebayimg.com/lamp.jpg", "https://169.254.169.254/latest/meta-data/"):
        with pytest.raises(PermanentError, match="not allowed"):
            client.download_attachment(url)
    assert client._media_origin(origin("https://i.ebayimg.com/images/g/abc/s-l1600.jpg"))


def test_ebay_redirect_to_another_port_is_refused(ebay, elsewhere):
    fake, client = ebay
    fake.media_files["lamp.jpg"] = (302, b"", {"Location": elsewhere.url + "/media/internal"})
    with pytest.raises(PermanentError, match="not allowed"):
        client.download_attachment(fake.url + "/media/lamp.jpg")
    assert elsewhere.requests == []


def test_ebay_60_mb_media_is_cut_at_the_cap(ebay):
    fake, client = ebay
    fake.media_files["huge.jpg"] = (200, Stream(SIXTY_MB, declare_length=False), {})
    result, peak = peak_while(lambda: client.download_attachment(fake.url + "/media/huge.jpg"))
    assert isinstance(result, PermanentError) and "larger than" in result.message
    assert peak < 2 * MAX_ATTACHMENT_BYTES + 4 * MIB, "peak %.1f MiB" % (peak / MIB)
