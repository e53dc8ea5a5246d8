"""connectors/ebay.py (and connectors/common.py) against the fake eBay (responso_autoresponder_demo/fakes/)."""

import json
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
import requests

from responso_autoresponder.connectors.common import IncomingMessage, MemoryTokenStore, Token, parse_datetime
from responso_autoresponder.connectors.ebay import (
    MESSAGE_SCOPE,
    PRODUCTION_ROOT,
    SANDBOX_ROOT,
    EbayClient,
)
from responso_autoresponder.connectors.http import (
    AuthError,
    HttpClient,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
)
from responso_autoresponder.engine.loop_guard import HARD, marketplace_author_signal
from responso_autoresponder_demo.fakes.ebay_server import API, TOKEN_PATH, FakeEbay

UTC = timezone.utc


@pytest.fixture
def fake():
    with FakeEbay() as server:
        yield server


@pytest.fixture
def sleeps():
    return []


def token_from(answer, *, expires_at=None):
    return Token(answer["access_token"], answer.get("refresh_token"),
                 expires_at or datetime.now(UTC) + timedelta(seconds=answer["expires_in"]))


def make_client(fake, sleeps, store=None, *, retries=2, timeout=(2, 2), username=None):
    store = store if store is not None else MemoryTokenStore(token_from(fake.issue_token()))
    http = HttpClient(fake.url, timeout=timeout, retries=retries, backoff=0.01, sleep=sleeps.append)
    return EbayClient(store, base_url=fake.url, client_id=FakeEbay.CLIENT_ID, client_secret=FakeEbay.CLIENT_SECRET,
                      username=username or fake.seller, http=http)


def bearer_of(request):
    return request.headers["Authorization"].removeprefix("Bearer ")


# --- common.py --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("2026-11-20T09:01:00.000Z", datetime(2026, 11, 20, 9, 1, tzinfo=UTC)),
    ("2026-11-20T09:01:00Z", datetime(2026, 11, 20, 9, 1, tzinfo=UTC)),
    ("2026-11-20T10:01:00.123456+01:00", datetime(2026, 11, 20, 9, 1, 0, 123456, tzinfo=UTC)),
    ("2026-11-20T09:01:00.1Z", datetime(2026, 11, 20, 9, 1, 0, 100000, tzinfo=UTC)),
    (datetime(2026, 11, 20, 10, 1, tzinfo=timezone(timedelta(hours=1))), datetime(2026, 11, 20, 9, 1, tzinfo=UTC)),
])
def test_parse_datetime(value, expected):
    parsed = parse_datetime(value)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("value", ["2026-11-20T09:01:00", "yesterday", "", None, 1763629260,
                                   "2026-13-40T09:01:00Z", datetime(2026, 11, 20)])
def test_parse_datetime_refuses_bad_or_naive_values(value):
    with pytest.raises(MalformedResponse):
        parse_datetime(value)


def test_memory_token_store_refreshes_only_a_stale_token():
    now = datetime.now(UTC)
    store = MemoryTokenStore(Token("a1", "r1", now + timedelta(hours=2)))
    calls = []

    def refresher(refresh_token):
        calls.append(refresh_token)
        return Token("a2", "r2", now + timedelta(hours=2))

    assert store.refresh("a1", refresher).access_token == "a2"
    assert store.refresh("a1", refresher).access_token == "a2"  # another worker's stale token: no 2nd refresh
    assert calls == ["r1"] and store.refresh_count == 1
    assert store.get() == Token("a2", "r2", now + timedelta(hours=2))


def test_memory_token_store_keeps_the_old_pair_when_the_refresh_fails():
    token = Token("a1", "r1", datetime.now(UTC))
    store = MemoryTokenStore(token)

    def refresher(refresh_token):
        raise TransientError("network down")

    with pytest.raises(TransientError):
        store.refresh("a1", refresher)
    assert store.get() == token and store.refresh_count == 0


def test_memory_token_store_without_a_token_or_refresh_token():
    with pytest.raises(AuthError):
        MemoryTokenStore().get()
    store = MemoryTokenStore(Token("a1", None, datetime.now(UTC)))
    with pytest.raises(AuthError, match="no refresh token"):
        store.refresh("a1", lambda refresh_token: pytest.fail("must not be called"))


def test_token_repr_hides_the_secrets():
    text = repr(Token("secret-access-abcd", "secret-refresh", datetime(2026, 1, 1, tzinfo=UTC)))
    assert "secret" not in text and "abcd" in text


# --- roots and OAuth (E2) ---------------------------------------------------------------------------------------


def test_api_roots():
    kwargs = {"client_id": "id", "client_secret": "s", "username": "me"}
    assert EbayClient(MemoryTokenStore(), **kwargs).root == PRODUCTION_ROOT == "https://api.ebay.com"
    assert EbayClient(MemoryTokenStore(), sandbox=True, **kwargs).root == SANDBOX_ROOT \
        == "https://api.sandbox.ebay.com"
    assert EbayClient(MemoryTokenStore(), sandbox=True, base_url="http://127.0.0.1:9/", **kwargs).root \
        == "http://127.0.0.1:9"


def test_exchange_code(fake, sleeps):
    client = make_client(fake, sleeps, store=MemoryTokenStore())
    code = fake.issue_code("v^1.1#code")
    before = datetime.now(UTC)
    token = client.exchange_code(code, FakeEbay.REDIRECT_URI)
    assert token.access_token and token.refresh_token
    assert before + timedelta(seconds=7190) <= token.expires_at <= datetime.now(UTC) + timedelta(seconds=7200)
    request = fake.api_requests("POST", TOKEN_PATH)[0]
    form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
    assert form == {"grant_type": "authorization_code", "code": code, "redirect_uri": FakeEbay.REDIRECT_URI}
    assert request.headers["Authorization"].startswith("Basic ")
    # the token works
    client.store.set(token)
    assert client.fetch_new_messages(None) == []


def test_exchange_code_refused(fake, sleeps):
    client = make_client(fake, sleeps, store=MemoryTokenStore())
    code = fake.issue_code()
    with pytest.raises(AuthError) as info:
        client.exchange_code(code, "Another-RuName")
    assert info.value.code == "invalid_grant" and "invalid" in info.value.message
    with pytest.raises(AuthError):
        client.exchange_code(code, FakeEbay.REDIRECT_URI)  # a code is used once
    bad = EbayClient(MemoryTokenStore(), base_url=fake.url, client_id=FakeEbay.CLIENT_ID, client_secret="wrong",
                     username="me")
    with pytest.raises(AuthError) as info:
        bad.exchange_code(fake.issue_code("c2"), FakeEbay.REDIRECT_URI)
    assert info.value.code == "invalid_client" and info.value.status == 401


def test_401_refreshes_once_and_retries_the_call_once(fake, sleeps):
    conversation = fake.add_conversation()
    fake.add_message(conversation, "Hello")
    client = make_client(fake, sleeps)
    old = client.store.get()
    fake.expire_access_token()
    messages = client.fetch_new_messages(None)
    assert [m.text for m in messages] == ["Hello"]
    assert fake.refresh_count == 1 and client.store.refresh_count == 1
    new = client.store.get()
    assert new.access_token != old.access_token
    assert new.refresh_token == old.refresh_token  # E2: the refresh grant returns no new refresh token
    assert fake.scopes == [MESSAGE_SCOPE]
    listing = fake.api_requests("GET", API + "/conversation")
    assert [bearer_of(r) for r in listing] == [old.access_token, new.access_token, new.access_token]
    assert sleeps == []


def test_a_second_401_raises_auth_error(fake, sleeps):
    client = make_client(fake, sleeps)
    fake.reject_auth_next(2, path=API)
    with pytest.raises(AuthError) as info:
        client.fetch_new_messages(None)
    assert "Invalid access token" in info.value.message and info.value.code == "1001"
    assert fake.refresh_count == 1
    assert len(fake.api_requests(path=API)) == 2


def test_a_token_expiring_within_60_s_is_refreshed_before_use(fake, sleeps):
    store = MemoryTokenStore(token_from(fake.issue_token(), expires_at=datetime.now(UTC) + timedelta(seconds=30)))
    old = store.get().access_token
    client = make_client(fake, sleeps, store)
    client.fetch_new_messages(None)
    assert fake.refresh_count == 1
    assert old not in {bearer_of(r) for r in fake.api_requests(path=API)}


def test_a_refused_refresh_token_raises_auth_error_and_keeps_the_stored_pair(fake, sleeps):
    client = make_client(fake, sleeps)
    token = client.store.get()
    fake.expire_access_token()
    fake.revoke_refresh_tokens()
    with pytest.raises(AuthError) as info:
        client.fetch_new_messages(None)
    assert info.value.code == "invalid_grant"
    assert client.store.get() == token


class BarrierStore(MemoryTokenStore):
    """Makes every worker read the stored (stale) token before any of them can refresh it."""

    def __init__(self, token, parties):
        super().__init__(token)
        self.barrier = threading.Barrier(parties, timeout=5)
        self.local = threading.local()

    def get(self):
        token = super().get()
        if not getattr(self.local, "waited", False):
            self.local.waited = True
            self.barrier.wait()
        return token


def test_two_workers_with_the_old_token_cause_one_refresh(fake, sleeps):
    conversation = fake.add_conversation()
    fake.add_message(conversation, "Hello")
    store = BarrierStore(token_from(fake.issue_token()), parties=2)
    old = MemoryTokenStore.get(store).access_token  # without waiting at the barrier
    fake.expire_access_token()
    results, errors = [], []

    def worker():
        try:
            results.append(make_client(fake, sleeps, store).fetch_new_messages(None))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert [[m.text for m in messages] for messages in results] == [["Hello"], ["Hello"]]
    assert fake.refresh_count == 1 and store.refresh_count == 1
    first_calls = fake.api_requests("GET", API + "/conversation")[:2]
    assert [bearer_of(r) for r in first_calls] == [old, old]  # both really used the stale token


# --- receiving (E1) ---------------------------------------------------------------------------------------------


def test_message_shape(fake, sleeps):
    conversation = fake.add_conversation(other_party="buyer_anna", title="Re: Vintage lamp")
    fake.add_message(conversation, "Is it still available?", media=[("photo.jpg", "https://i.ebayimg.com/1.jpg")])
    [message] = make_client(fake, sleeps).fetch_new_messages(None)
    assert isinstance(message, IncomingMessage)
    assert message.channel == "ebay"
    assert message.thread_id == conversation
    assert message.author == {"conversation_type": "FROM_MEMBERS", "sender": "buyer_anna"}
    assert message.author_login == "buyer_anna"
    assert message.text == "Is it still available?"
    assert message.subject == "Re: Vintage lamp"
    assert message.order_ref is None
    assert message.attachments == (("photo.jpg", "https://i.ebayimg.com/1.jpg"),)
    assert message.created_at.tzinfo == UTC
    assert message.external_id == fake.messages(conversation)[0]["messageId"]


def test_offset_paging_over_conversations_and_messages(fake, sleeps):
    for index in range(60):  # more than one page of 50 conversations
        fake.add_message(fake.add_conversation(other_party="buyer_%d" % index), "question %d" % index)
    long = fake.add_conversation(other_party="talkative")
    for index in range(75):  # more than one page of 50 messages
        fake.add_message(long, "line %d" % index)
    messages = make_client(fake, sleeps).fetch_new_messages(None)
    assert len(messages) == 135
    assert len({m.external_id for m in messages}) == 135
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
    listing = fake.api_requests("GET", API + "/conversation")
    lists = [r for r in listing if r.path == API + "/conversation"]
    assert [(r.query["limit"], r.query["offset"]) for r in lists] == [("50", "0"), ("50", "50")]
    pages = [r for r in listing if r.path == "%s/conversation/%s" % (API, long)]
    assert [r.query["offset"] for r in pages] == ["0", "50"]
    assert all(int(r.query["limit"]) <= 50 for r in listing)
    assert {r.query["conversation_type"] for r in listing} == {"FROM_MEMBERS"}


def test_from_ebay_conversations_are_never_fetched(fake, sleeps):
    system = fake.add_conversation(conversation_type="FROM_EBAY", other_party="eBay", title="Your item sold")
    fake.add_message(system, "Congratulations, your item sold", sender="eBay")
    buyer = fake.add_conversation()
    fake.add_message(buyer, "Hi")
    messages = make_client(fake, sleeps).fetch_new_messages(None)
    assert [m.thread_id for m in messages] == [buyer]
    assert all(r.query.get("conversation_type") != "FROM_EBAY" for r in fake.requests)
    assert not [r for r in fake.requests if system in r.path]


def test_since_detects_new_messages_and_returns_nothing_twice(fake, sleeps):
    client = make_client(fake, sleeps)
    first = fake.add_conversation(other_party="buyer_a")
    second = fake.add_conversation(other_party="buyer_b")
    fake.add_message(first, "a1")
    fake.add_message(second, "b1")
    fake.add_message(first, "a2")
    poll1 = client.fetch_new_messages(None)
    assert [m.text for m in poll1] == ["a1", "b1", "a2"]
    cursor = poll1[-1].created_at

    before = len(fake.requests)
    assert client.fetch_new_messages(cursor) == []
    # nothing new: only the conversation list was read, no conversation was opened
    assert [r.path for r in fake.requests[before:]] == [API + "/conversation"]

    fake.add_message(second, "b2")
    before = len(fake.requests)
    poll3 = client.fetch_new_messages(cursor)
    assert [(m.text, m.thread_id) for m in poll3] == [("b2", second)]
    assert [r.path for r in fake.requests[before:]] == [API + "/conversation", "%s/conversation/%s" % (API, second)]
    assert client.fetch_new_messages(poll3[-1].created_at) == []


def test_our_own_messages_are_returned_and_the_loop_guard_drops_them(fake, sleeps):
    client = make_client(fake, sleeps)
    conversation = fake.add_conversation(other_party="buyer_a")
    fake.add_message(conversation, "Where is my parcel?")
    [question] = client.fetch_new_messages(None)
    client.send_message(conversation, "It left today.")
    [reply] = client.fetch_new_messages(question.created_at)
    assert reply.author == {"conversation_type": "FROM_MEMBERS", "sender": fake.seller}
    signal = marketplace_author_signal("ebay", reply.author, account_login=client.username)
    assert signal is not None and signal.strength == HARD
    assert marketplace_author_signal("ebay", question.author, account_login=client.username) is None


def test_naive_since_is_refused(fake, sleeps):
    with pytest.raises(ValueError):
        make_client(fake, sleeps).fetch_new_messages(datetime(2026, 11, 20))


def test_a_failed_poll_returns_nothing_and_the_next_poll_gets_everything(fake, sleeps):
    """Chosen behaviour: any error aborts the whole poll (no partial list); the caller keeps its cursor."""
    conversations = [fake.add_conversation(other_party="buyer_%d" % i) for i in range(3)]
    for conversation in conversations:
        fake.add_message(conversation, "hello from %s" % conversation)
    client = make_client(fake, sleeps, retries=1)
    fake.fail_next(2, 500, path="/conversation/" + conversations[1])  # one conversation stays broken
    with pytest.raises(TransientError):
        client.fetch_new_messages(None)
    messages = client.fetch_new_messages(None)
    assert sorted(m.thread_id for m in messages) == sorted(conversations)


# --- sending (E1) -----------------------------------------------------------------------------------------------


def test_send_message(fake, sleeps):
    client = make_client(fake, sleeps)
    conversation = fake.add_conversation(other_party="buyer_a")
    message_id = client.send_message(conversation, "Thank you for your order!")
    assert message_id == fake.sent[0]["messageId"]
    assert fake.sent[0]["messageBody"] == "Thank you for your order!"
    assert fake.sent[0]["senderUsername"] == fake.seller
    [request] = fake.api_requests("POST", API + "/send_message")
    assert json.loads(request.body) == {"conversationId": conversation, "messageText": "Thank you for your order!"}
    assert bearer_of(request) == client.store.get().access_token


def test_send_message_refreshes_once_on_401(fake, sleeps):
    client = make_client(fake, sleeps)
    conversation = fake.add_conversation()
    fake.expire_access_token()
    client.send_message(conversation, "Hi")
    assert fake.refresh_count == 1
    assert len(fake.api_requests("POST", API + "/send_message")) == 2 and len(fake.sent) == 1


def test_send_message_is_not_retried_on_5xx(fake, sleeps):
    client = make_client(fake, sleeps, retries=3)
    conversation = fake.add_conversation()
    fake.fail_next(1, 503, path="/send_message")
    with pytest.raises(TransientError) as info:
        client.send_message(conversation, "Hi")
    assert info.value.status == 503
    assert len(fake.api_requests("POST", API + "/send_message")) == 1 and sleeps == []


def test_send_message_not_retried_after_a_read_timeout(fake, sleeps):
    client = make_client(fake, sleeps, retries=3, timeout=(2, 0.2))
    conversation = fake.add_conversation()
    fake.delay_next(0.6, path="/send_message")
    with pytest.raises(TransientError, match="read timeout"):
        client.send_message(conversation, "Hi")
    assert len(fake.api_requests("POST", API + "/send_message")) == 1 and sleeps == []


def test_send_message_to_an_unknown_conversation_is_permanent(fake, sleeps):
    with pytest.raises(PermanentError) as info:
        make_client(fake, sleeps).send_message("nope", "Hi")
    assert info.value.status == 400 and "No member conversation" in info.value.message


def test_send_message_refuses_empty_text(fake, sleeps):
    with pytest.raises(ValueError):
        make_client(fake, sleeps).send_message(fake.add_conversation(), "  ")
    assert fake.api_requests(path=API) == []


# --- failures ---------------------------------------------------------------------------------------------------


def test_5xx_on_get_is_retried(fake, sleeps):
    conversation = fake.add_conversation()
    fake.add_message(conversation, "Hi")
    fake.fail_next(2, 500, path=API + "/conversation")
    assert [m.text for m in make_client(fake, sleeps, retries=2).fetch_new_messages(None)] == ["Hi"]
    assert len(sleeps) == 2


def test_5xx_on_get_exhausted(fake, sleeps):
    fake.fail_next(3, 503)
    with pytest.raises(TransientError) as info:
        make_client(fake, sleeps, retries=2).fetch_new_messages(None)
    assert info.value.status == 503 and len(sleeps) == 2


def test_429_with_retry_after(fake, sleeps):
    fake.rate_limit_next(1, retry_after="30")
    with pytest.raises(RateLimited) as info:
        make_client(fake, sleeps).fetch_new_messages(None)
    assert info.value.retry_after == 30.0
    assert len(fake.api_requests(path=API)) == 1 and sleeps == []  # never retried inside the call


def test_429_without_retry_after(fake, sleeps):
    fake.rate_limit_next(1)
    with pytest.raises(RateLimited) as info:
        make_client(fake, sleeps).send_message(fake.add_conversation(), "Hi")
    assert info.value.retry_after >= 60 and fake.sent == []


def test_timeout_on_get(fake, sleeps):
    fake.delay_next(0.6, n=2)
    with pytest.raises(TransientError, match="read timeout"):
        make_client(fake, sleeps, retries=1, timeout=(2, 0.15)).fetch_new_messages(None)
    assert len(sleeps) == 1


@pytest.mark.parametrize("kind, match", [("not_json", "not JSON"), ("not_object", "not an object")])
def test_unreadable_bodies_are_malformed(fake, sleeps, kind, match):
    fake.malformed_next(kind)
    with pytest.raises(MalformedResponse, match=match):
        make_client(fake, sleeps).fetch_new_messages(None)


def test_a_conversation_without_id_is_malformed(fake, sleeps):
    fake.add_conversation()
    fake.malformed_next("missing_fields", path=API + "/conversation")
    with pytest.raises(MalformedResponse, match="conversation without conversationId"):
        make_client(fake, sleeps).fetch_new_messages(None)


def test_a_message_without_id_is_malformed(fake, sleeps):
    conversation = fake.add_conversation()
    fake.add_message(conversation, "Hi")
    fake.malformed_next("missing_fields", path="/conversation/" + conversation)
    with pytest.raises(MalformedResponse, match="conversation %s: a message without messageId" % conversation):
        make_client(fake, sleeps).fetch_new_messages(None)


def test_a_send_answer_without_message_id_is_malformed(fake, sleeps):
    conversation = fake.add_conversation()
    fake.malformed_next("missing_fields", path="/send_message")
    with pytest.raises(MalformedResponse, match="no messageId.*do not send it again"):
        make_client(fake, sleeps).send_message(conversation, "Hi")
    assert len(fake.sent) == 1  # it was sent: the caller must not send it again


def test_a_token_answer_without_access_token_is_malformed(fake, sleeps):
    client = make_client(fake, sleeps, store=MemoryTokenStore())
    fake.malformed_next("missing_fields", path=TOKEN_PATH)
    with pytest.raises(MalformedResponse, match="without access_token"):
        client.exchange_code(fake.issue_code(), FakeEbay.REDIRECT_URI)


# --- the fake's own contract ------------------------------------------------------------------------------------


def test_fake_rejects_limit_over_50_and_missing_conversation_type(fake):
    headers = {"Authorization": "Bearer " + fake.issue_token()["access_token"]}
    answer = requests.get(fake.url + API + "/conversation", params={"conversation_type": "FROM_MEMBERS",
                                                                   "limit": 51}, headers=headers, timeout=5)
    assert answer.status_code == 400 and "limit" in answer.json()["errors"][0]["longMessage"]
    answer = requests.get(fake.url + API + "/conversation", headers=headers, timeout=5)
    assert answer.status_code == 400
    answer = requests.get(fake.url + API + "/conversation", params={"conversation_type": "FROM_MEMBERS"},
                          timeout=5)
    assert answer.status_code == 401 and answer.json()["errors"][0]["errorId"] == 1001


def test_download_media_without_our_token():
    with FakeEbay() as fake:
        client = EbayClient(MemoryTokenStore(), base_url=fake.url, client_id="cid", client_secret="secret",
                            username="fake_seller")
        assert client.download_attachment(fake.url + "/media/lamp.jpg") == b"media lamp.jpg"
        assert "authorization" not in {k.lower() for k in fake.requests[-1].headers}
        with pytest.raises(PermanentError):
            client.download_attachment("ftp://example.com/lamp.jpg")
