"""At most once on the connector side: a send whose answer is lost is reported as "outcome unknown", and the
thread's messages on the marketplace tell whether it went out (issue 8, fault 1).

The fakes apply the request THEN lose its answer (`apply_then_delay_next` past the client's read timeout,
`apply_then_fail_next` with a 5xx, `apply_then_drop_next` closing the connection mid-body): the marketplace has
the message, and the client must say it does not know, never that it failed.
"""

from datetime import datetime, timedelta, timezone

import pytest

from responso_autoresponder.connectors.allegro import BETA_V1, PUBLIC_V1, AllegroClient
from responso_autoresponder.connectors.common import MemoryTokenStore, Token
from responso_autoresponder.connectors.ebay import EbayClient
from responso_autoresponder.connectors.http import HttpClient, RateLimited, TransientError
from responso_autoresponder_demo.fakes.allegro_server import FakeAllegro
from responso_autoresponder_demo.fakes.ebay_server import FakeEbay

UTC = timezone.utc
TEXT = "Dziękujemy za wiadomość.\nOdpowiemy w ciągu 24 godzin."


def _token(answer):
    return Token(answer["access_token"], answer.get("refresh_token"),
                 datetime.now(UTC) + timedelta(seconds=answer["expires_in"]))


class _Clock:
    now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(0.0, seconds)


@pytest.fixture
def allegro():
    clock = _Clock()
    with FakeAllegro(clock=clock) as fake:
        clients = []

        def make(version=BETA_V1):
            http = HttpClient(fake.url, timeout=(2, 0.2), retries=2, sleep=lambda _s: None)
            client = AllegroClient(MemoryTokenStore(_token(fake.issue_tokens())), client_id=fake.client_id,
                                   client_secret=fake.client_secret, login=fake.login, api_url=fake.url,
                                   oauth_url=fake.url, http=http, messaging_version=version, clock=clock,
                                   sleep=clock.sleep)
            clients.append(client)
            return client

        yield fake, make
        for client in clients:
            client.close()


@pytest.fixture
def ebay():
    with FakeEbay() as fake:
        http = HttpClient(fake.url, timeout=(2, 0.2), retries=2, sleep=lambda _s: None)
        client = EbayClient(MemoryTokenStore(_token(fake.issue_token())), base_url=fake.url,
                            client_id=FakeEbay.CLIENT_ID, client_secret=FakeEbay.CLIENT_SECRET,
                            username=fake.seller, http=http)
        yield fake, client
        client.close()


def _lose_answer(fake, how):
    if how == "timeout":
        fake.apply_then_delay_next(seconds=0.6)
    elif how == "5xx":
        fake.apply_then_fail_next()
    else:
        fake.apply_then_drop_next()


@pytest.mark.parametrize("version", [BETA_V1, PUBLIC_V1])
@pytest.mark.parametrize("how", ["timeout", "5xx", "dropped"])
def test_allegro_lost_answer_is_unknown_and_found_on_the_marketplace(allegro, version, how):
    fake, make = allegro
    client = make(version)
    thread = fake.add_thread(interlocutor="jan_kupujacy")
    fake.add_message(thread, TEXT, at=datetime.now(UTC) - timedelta(hours=1), from_buyer=True)  # same text, older
    started = datetime.now(UTC) - timedelta(seconds=1)
    _lose_answer(fake, how)
    with pytest.raises(TransientError) as caught:
        client.send_message(thread, TEXT)
    assert caught.value.outcome_unknown, "the marketplace may have the message: never send it again blindly"
    assert len(fake.sent) == 1, "the fake applied the request before losing its answer"
    found = client.find_sent_message(thread, TEXT, started)
    assert found == fake.threads[thread].messages[-1].id
    assert client.find_sent_message(thread, "Another text", started) is None
    assert client.find_sent_message(thread, TEXT, datetime.now(UTC) + timedelta(minutes=1)) is None, \
        "only a message posted since the attempt counts (the buyer's older message with the same text does not)"


def test_allegro_refused_before_applying_is_not_found(allegro):
    fake, make = allegro
    client = make()
    thread = fake.add_thread()
    started = datetime.now(UTC) - timedelta(seconds=1)
    fake.fail_next(1, status=503, method="POST")  # refused before the message is stored
    with pytest.raises(TransientError) as caught:
        client.send_message(thread, TEXT)
    assert caught.value.outcome_unknown, "a 5xx to a POST cannot tell whether it was applied"
    assert client.find_sent_message(thread, TEXT, started) is None, "not there: sending again is safe"


def test_allegro_rate_limit_and_reads_are_never_unknown(allegro):
    fake, make = allegro
    client = make()
    thread = fake.add_thread()
    fake.rate_limit_next(1, method="POST")
    with pytest.raises(RateLimited) as caught:
        client.send_message(thread, TEXT)
    assert not caught.value.outcome_unknown, "a 429 is a refusal: nothing was applied"
    fake.fail_next(5, status=503, method="GET")
    with pytest.raises(TransientError) as caught:
        client.fetch_new_messages(None)
    assert not caught.value.outcome_unknown


@pytest.mark.parametrize("how", ["timeout", "5xx", "dropped"])
def test_allegro_issue_lost_answer_is_found_in_the_chat(allegro, how):
    fake, make = allegro
    client = make()
    issue = fake.add_issue()
    fake.add_issue_message(issue, "Nie dostałem paczki", at=datetime.now(UTC) - timedelta(hours=1))
    started = datetime.now(UTC) - timedelta(seconds=1)
    _lose_answer(fake, how)
    with pytest.raises(TransientError) as caught:
        client.send_issue_message(issue, TEXT)
    assert caught.value.outcome_unknown
    assert client.find_sent_issue_message(issue, TEXT, started) == fake.issues[issue].messages[-1].id
    assert client.find_sent_issue_message(issue, "Nie dostałem paczki", started - timedelta(hours=2)) is None, \
        "the buyer's message is not ours"


@pytest.mark.parametrize("how", ["timeout", "5xx", "dropped"])
def test_ebay_lost_answer_is_unknown_and_found_on_the_marketplace(ebay, how):
    fake, client = ebay
    conversation = fake.add_conversation(other_party="anna_buys")
    fake.add_message(conversation, "Where is my parcel?", sender="anna_buys")
    started = datetime.now(UTC) - timedelta(seconds=1)
    _lose_answer(fake, how)
    with pytest.raises(TransientError) as caught:
        client.send_message(conversation, TEXT)
    assert caught.value.outcome_unknown
    assert len(fake.sent) == 1
    assert client.find_sent_message(conversation, TEXT, started) == fake.sent[0]["messageId"]
    assert client.find_sent_message(conversation, "Where is my parcel?", started - timedelta(days=60)) is None, \
        "the buyer's message is not ours"


def test_ebay_refused_before_applying_is_not_found(ebay):
    fake, client = ebay
    conversation = fake.add_conversation()
    started = datetime.now(UTC) - timedelta(seconds=1)
    fake.fail_next(1, 503, path="/send_message")
    with pytest.raises(TransientError) as caught:
        client.send_message(conversation, TEXT)
    assert caught.value.outcome_unknown
    assert client.find_sent_message(conversation, TEXT, started) is None
    assert fake.sent == []
