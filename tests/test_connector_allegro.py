"""The Allegro client (connectors/allegro/) against FakeAllegro (responso_autoresponder_demo/fakes/).

No test really sleeps: backoff, send pacing and device-flow polling go through injected sleeps and clocks; only
the timeout tests wait for real (a few 50 ms read timeouts).
"""

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from responso_autoresponder.connectors.allegro import BETA_V1, DEVICE_GRANT, PUBLIC_V1, AllegroClient
from responso_autoresponder.connectors.common import MemoryTokenStore, Token
from responso_autoresponder.connectors.http import (
    AuthError,
    ClosedConversation,
    HttpClient,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
)
from responso_autoresponder.engine.loop_guard import marketplace_author_signal
from responso_autoresponder_demo.fakes.allegro_server import (
    BETA,
    DISPUTE_CONFLICT_MESSAGE,
    PUBLIC,
    START,
    FakeAllegro,
)

UTC = timezone.utc
REDIRECT = "https://odoo.example.com/responso/allegro/callback"


class FakeClock:
    """time.monotonic and time.sleep in one: sleeping moves the clock, nothing waits."""

    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def token_from(reply, lifetime=timedelta(hours=12)):
    return Token(reply["access_token"], reply["refresh_token"], datetime.now(UTC) + lifetime)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(clock):
    with FakeAllegro(clock=clock) as server:  # the fake measures the 1/s send limit on the same clock
        yield server


@pytest.fixture
def make(fake, clock):
    """Build clients on the fake: HttpClient with a recording sleep, pacing on `clock` unless told otherwise."""
    made = []

    def _make(store=None, *, version=BETA_V1, pace_clock=None, timeout=(2, 2), retries=3):
        backoff = []
        http = HttpClient(fake.url, timeout=timeout, retries=retries, sleep=backoff.append)
        pace_clock = pace_clock or clock
        if store is None:
            store = MemoryTokenStore(token_from(fake.issue_tokens()))
        client = AllegroClient(store, client_id=fake.client_id, client_secret=fake.client_secret, login=fake.login,
                               api_url=fake.url, oauth_url=fake.url, http=http, messaging_version=version,
                               clock=pace_clock, sleep=pace_clock.sleep)
        client.backoff_sleeps = backoff
        made.append(client)
        return client

    yield _make
    for client in made:
        client.close()


def at(minutes):
    return START + timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------------ OAuth


def test_hosts_and_authorization_url():
    store = MemoryTokenStore()
    prod = AllegroClient(store, client_id="cid", client_secret="s", login="shop")
    sandbox = AllegroClient(store, client_id="cid", client_secret="s", login="shop", sandbox=True)
    assert (prod.api_url, prod.oauth_url) == ("https://api.allegro.pl", "https://allegro.pl")
    assert (sandbox.api_url, sandbox.oauth_url) == ("https://api.allegro.pl.allegrosandbox.pl",
                                                    "https://allegro.pl.allegrosandbox.pl")
    assert prod.messaging_version == BETA_V1
    url = prod.authorization_url(REDIRECT, state="xyz")
    assert url.startswith("https://allegro.pl/auth/oauth/authorize?response_type=code&client_id=cid&redirect_uri=")
    assert url.endswith("&state=xyz")
    with pytest.raises(ValueError):
        AllegroClient(store, client_id="cid", client_secret="s", login="shop", messaging_version="public.v2")


def test_authorization_code_flow(fake, make):
    fake.add_auth_code("code-1", REDIRECT)
    store = MemoryTokenStore()
    client = make(store)
    token = client.exchange_code("code-1", REDIRECT)
    assert token.refresh_token
    assert token.expires_at > datetime.now(UTC) + timedelta(hours=11)  # 12 h (A4)
    request = fake.requests_to("/auth/oauth/token")[0]
    assert request.query["grant_type"] == "authorization_code"
    assert request.query["redirect_uri"] == REDIRECT
    assert request.headers["authorization"].startswith("Basic ")
    store.set(token)
    thread = fake.add_thread()
    fake.add_message(thread, "Dzień dobry", at=at(1))
    assert [m.text for m in client.fetch_new_messages(None)] == ["Dzień dobry"]
    with pytest.raises(AuthError, match="Invalid authorization code"):  # codes are one-time
        client.exchange_code("code-1", REDIRECT)


def test_authorization_code_with_wrong_client_secret(fake, make):
    fake.add_auth_code("code-1", REDIRECT)
    client = make(MemoryTokenStore())
    client._client_secret = "wrong"
    with pytest.raises(AuthError) as caught:
        client.exchange_code("code-1", REDIRECT)
    assert caught.value.status == 401


def test_device_flow_pending_then_tokens(fake, make):
    fake.device_script = ["authorization_pending"] * 3
    client = make(MemoryTokenStore())
    flow = client.start_device_flow()
    assert flow["interval"] == 5 and flow["expires_in"] == 3600
    assert flow["verification_uri"] == "https://allegro.pl/skojarz-aplikacje"
    assert flow["verification_uri_complete"].endswith(flow["user_code"])
    start = fake.requests_to("/auth/oauth/device")[0]
    assert start.query == {"client_id": "fake-client"} and start.headers["authorization"].startswith("Basic ")

    polling = FakeClock()
    token = client.poll_device_token(flow["device_code"], interval=flow["interval"], expires_in=flow["expires_in"],
                                     sleep=polling.sleep, clock=polling)
    assert polling.sleeps == [5.0] * 4
    polls = fake.requests_to("/auth/oauth/token")
    assert len(polls) == 4
    assert polls[0].query == {"grant_type": DEVICE_GRANT, "device_code": flow["device_code"]}
    client.store.set(token)
    assert client.fetch_new_messages(None) == []


def test_device_flow_slow_down_adds_five_seconds(fake, make):
    # slow_down is RFC 8628 §3.5 only: no Allegro source mentions it (UNVERIFIED)
    fake.device_script = ["authorization_pending", "slow_down", "authorization_pending", "slow_down"]
    client = make(MemoryTokenStore())
    flow = client.start_device_flow()
    polling = FakeClock()
    client.poll_device_token(flow["device_code"], interval=5, expires_in=3600, sleep=polling.sleep, clock=polling)
    assert polling.sleeps == [5.0, 5.0, 10.0, 10.0, 15.0]


@pytest.mark.parametrize("outcome, words", [("access_denied", "denied"), ("expired_token", "expired")])
def test_device_flow_refused(fake, make, outcome, words):
    fake.device_script = ["authorization_pending"]
    fake.device_outcome = outcome
    client = make(MemoryTokenStore())
    flow = client.start_device_flow()
    polling = FakeClock()
    with pytest.raises(AuthError, match=words) as caught:
        client.poll_device_token(flow["device_code"], interval=5, expires_in=3600, sleep=polling.sleep,
                                 clock=polling)
    assert caught.value.code == outcome
    assert len(fake.requests_to("/auth/oauth/token")) == 2


def test_device_flow_stops_at_expires_in(fake, make):
    fake.device_script = ["authorization_pending"] * 100
    client = make(MemoryTokenStore())
    flow = client.start_device_flow()
    polling = FakeClock()
    with pytest.raises(AuthError, match="expired"):
        client.poll_device_token(flow["device_code"], interval=5, expires_in=12, sleep=polling.sleep, clock=polling)
    assert polling.sleeps == [5.0, 5.0, 2.0]
    assert len(fake.requests_to("/auth/oauth/token")) == 2


def test_device_flow_invalid_code(fake, make):
    client = make(MemoryTokenStore())
    polling = FakeClock()
    with pytest.raises(AuthError, match="Invalid device code") as caught:  # A5 #11017
        client.poll_device_token("no-such-code", interval=5, expires_in=60, sleep=polling.sleep, clock=polling)
    assert caught.value.code == "invalid_request"


def test_device_flow_polls_on_through_a_server_error(fake, make):
    fake.device_script = []
    client = make(MemoryTokenStore())
    flow = client.start_device_flow()
    fake.fail_next(1, status=503, path="/auth/oauth/token")
    polling = FakeClock()
    token = client.poll_device_token(flow["device_code"], interval=5, expires_in=60, sleep=polling.sleep,
                                     clock=polling)
    assert token.access_token and len(fake.requests_to("/auth/oauth/token")) == 2


# ------------------------------------------------------------------------------------------------ tokens


def test_token_expiring_within_a_minute_is_refreshed_first_and_the_old_pair_dies(fake, make):
    old = token_from(fake.issue_tokens(), lifetime=timedelta(seconds=30))
    store = MemoryTokenStore(old)
    client = make(store)
    assert client.fetch_new_messages(None) == []
    new = store.get()
    assert fake.refresh_count == 1 and store.refresh_count == 1
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    assert new.expires_at > datetime.now(UTC) + timedelta(hours=11)
    assert fake.requests_to("/messaging/threads")[0].bearer == new.access_token
    refresh = fake.requests_to("/auth/oauth/token")[0]
    assert refresh.query == {"grant_type": "refresh_token", "refresh_token": old.refresh_token}
    with pytest.raises(AuthError, match="Invalid refresh token") as caught:  # A5 #10107
        client._refresh(old.refresh_token)
    assert caught.value.code == "invalid_grant"
    stale = requests.get(fake.url + "/messaging/threads", timeout=5,
                         headers={"Authorization": "Bearer " + old.access_token, "Accept": BETA})
    assert stale.status_code == 401  # A5 #4115


def test_401_refreshes_once_and_retries(fake, make):
    client = make()
    before = client.store.get()
    fake.expire_access_tokens()
    assert client.fetch_new_messages(None) == []
    calls = fake.requests_to("/messaging/threads")
    assert [c.bearer for c in calls] == [before.access_token, client.store.get().access_token]
    assert fake.refresh_count == 1


def test_second_401_raises_auth_error(fake, make):
    client = make()
    fake.reject_auth_next(2, path="/messaging/threads")
    with pytest.raises(AuthError, match="Access token expired"):
        client.fetch_new_messages(None)
    assert fake.refresh_count == 1 and len(fake.requests_to("/messaging/threads")) == 2


def test_refused_refresh_raises_auth_error_and_keeps_the_stored_token(fake, make):
    dead = Token("at-dead", "rt-unknown", datetime.now(UTC) - timedelta(minutes=1))
    store = MemoryTokenStore(dead)
    client = make(store)
    with pytest.raises(AuthError, match="Invalid refresh token"):
        client.fetch_new_messages(None)
    assert store.get() is dead and store.refresh_count == 0
    assert fake.api_requests() == []


def test_malformed_token_reply_stores_nothing(fake, make):
    old = token_from(fake.issue_tokens(), lifetime=timedelta(seconds=10))
    store = MemoryTokenStore(old)
    client = make(store)
    fake.malformed_next(1, kind="missing_fields", path="/auth/oauth/token")
    with pytest.raises(MalformedResponse, match="access_token"):
        client.fetch_new_messages(None)
    assert store.get() is old


class GatedStore:
    """A MemoryTokenStore whose get() can hold chosen threads after they read the token."""

    def __init__(self, inner, hold=None):
        self.inner = inner
        self.hold = hold  # callable(thread name) -> None, run after get()

    def get(self):
        token = self.inner.get()
        if self.hold is not None:
            self.hold(threading.current_thread().name)
        return token

    def refresh(self, stale_access_token, refresher):
        return self.inner.refresh(stale_access_token, refresher)


def _run(name, target, results):
    def body():
        try:
            results[name] = target()
        except Exception as exc:  # reported by the test
            results[name] = exc

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def test_worker_holding_the_old_token_gets_the_new_one_without_a_second_refresh(fake, make):
    thread = fake.add_thread()
    fake.add_message(thread, "Gdzie paczka?", at=at(1))
    t1 = token_from(fake.issue_tokens())
    holding, release = threading.Event(), threading.Event()

    def hold(name):
        if name == "stale-worker" and not release.is_set():
            holding.set()
            release.wait(5)

    store = GatedStore(MemoryTokenStore(t1), hold)
    stale_client, fresh_client = make(store), make(store)
    results = {}
    worker = _run("stale-worker", lambda: stale_client.fetch_new_messages(None), results)
    assert holding.wait(5)  # the stale worker has read t1 and waits
    # meanwhile t1 is about to expire for the other worker, which refreshes (Allegro kills t1: A5 #4115)
    store.inner.set(Token(t1.access_token, t1.refresh_token, datetime.now(UTC) + timedelta(seconds=20)))
    assert [m.text for m in fresh_client.fetch_new_messages(None)] == ["Gdzie paczka?"]
    t2 = store.inner.get()
    release.set()
    worker.join(5)
    assert [m.text for m in results["stale-worker"]] == ["Gdzie paczka?"]
    assert fake.refresh_count == 1 and store.inner.refresh_count == 1
    bearers = [r.bearer for r in fake.requests_to("/messaging/threads")]
    assert bearers == [t2.access_token, t1.access_token, t2.access_token]  # fresh; stale 401; stale retried


def test_two_workers_meeting_401_together_refresh_once(fake, make):
    t1 = token_from(fake.issue_tokens())
    barrier = threading.Barrier(2, timeout=5)
    store = GatedStore(MemoryTokenStore(t1), lambda name: barrier.wait() if name.startswith("worker") else None)
    clients = [make(store), make(store)]
    fake.expire_access_tokens()
    results = {}
    workers = [_run("worker-%d" % i, lambda c=client: c.fetch_new_messages(None), results)
               for i, client in enumerate(clients)]
    for worker in workers:
        worker.join(5)
    assert results == {"worker-0": [], "worker-1": []}
    assert fake.refresh_count == 1 and store.inner.refresh_count == 1
    assert sorted(fake.token_grants) == ["refresh_token"]


# ------------------------------------------------------------------------------------------------ paging


def test_public_v1_offset_paging_of_threads_and_messages(fake, make):
    for i in range(45):
        fake.add_message(fake.add_thread(interlocutor="buyer-%d" % i), "hello %d" % i, at=at(i))
    chatty = fake.add_thread(interlocutor="chatty")
    for j in range(45):
        fake.add_message(chatty, "line %d" % j, at=at(120) + timedelta(seconds=j))
    client = make(version=PUBLIC_V1)
    messages = client.fetch_new_messages(None)
    assert len(messages) == 90 == len({m.external_id for m in messages})
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
    listing = fake.requests_to("/messaging/threads")
    assert [(r.query["offset"], r.query["limit"]) for r in listing] == [("0", "20"), ("20", "20"), ("40", "20")]
    assert {r.headers["accept"] for r in fake.api_requests()} == {PUBLIC}
    pages = fake.requests_to("/messaging/threads/%s/messages" % chatty)
    assert [(r.query["offset"], r.query["limit"]) for r in pages] == [("0", "20"), ("20", "20"), ("40", "20")]
    assert all("after" not in r.query for r in pages)


def test_beta_v1_cursor_paging_of_threads_and_messages(fake, make):
    fake.beta_page_size = 3
    for i in range(7):
        fake.add_message(fake.add_thread(interlocutor="buyer-%d" % i), "hello %d" % i, at=at(i))
    chatty = fake.add_thread(interlocutor="chatty")
    for j in range(7):
        fake.add_message(chatty, "line %d" % j, at=at(60 + j))
    client = make()
    messages = client.fetch_new_messages(None)
    assert len(messages) == 14 == len({m.external_id for m in messages})
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
    listing = fake.requests_to("/messaging/threads")
    assert len(listing) == 3  # 8 threads, 3 a page; nextPage null on the last
    assert "page.id" not in listing[0].query and all("page.id" in r.query for r in listing[1:])
    assert len({r.query.get("page.id") for r in listing}) == 3
    pages = fake.requests_to("/messaging/threads/%s/messages" % chatty)
    assert len(pages) == 3
    for request in fake.api_requests():
        assert request.headers["accept"] == BETA
        assert not {"offset", "after", "before"} & set(request.query)  # public.v1 only (A2)


def _texts(messages):
    return [m.text for m in messages]


@pytest.mark.parametrize("version", [PUBLIC_V1, BETA_V1])
def test_new_messages_since_nothing_twice_nothing_lost(fake, make, version):
    fake.beta_page_size = 2
    quiet = fake.add_thread(interlocutor="quiet")
    fake.add_message(quiet, "old question", at=at(1))
    busy = fake.add_thread(interlocutor="busy")
    for j in range(5):
        fake.add_message(busy, "busy %d" % j, at=at(2 + j))
    undated = fake.add_thread(interlocutor="undated", hide_last_message_date=True)  # A1: nullable
    fake.add_message(undated, "no date on the thread", at=at(0))
    client = make(version=version)

    first = client.fetch_new_messages(None)
    assert len(first) == 7
    cursor = max(m.created_at for m in first)
    assert client.fetch_new_messages(cursor) == []  # nothing twice

    fake.add_message(busy, "busy again", at=cursor + timedelta(minutes=1))
    fake.add_message(undated, "undated again", at=cursor + timedelta(minutes=2))
    newcomer = fake.add_thread(interlocutor="newcomer")
    fake.add_message(newcomer, "first contact", at=cursor + timedelta(minutes=3))
    before = len(fake.requests)
    third = client.fetch_new_messages(cursor)
    assert _texts(third) == ["busy again", "undated again", "first contact"]  # nothing lost, oldest first
    asked = [r for r in fake.requests[before:]]
    assert not [r for r in asked if r.path == "/messaging/threads/%s/messages" % quiet]  # older than `since`
    busy_pages = [r for r in asked if r.path == "/messaging/threads/%s/messages" % busy]
    if version == PUBLIC_V1:
        assert busy_pages[0].query["after"] == cursor.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    else:
        assert len(busy_pages) == 1  # newest first and back to `since`: the older pages are not read
    cursor = max(m.created_at for m in third)
    assert client.fetch_new_messages(cursor) == []
    with pytest.raises(ValueError, match="aware"):
        client.fetch_new_messages(cursor.replace(tzinfo=None))


def test_message_shapes_public_v1(fake, make):
    thread = fake.add_thread(interlocutor="kupujacy")
    fake.add_message(thread, "Czy wysłane?", at=at(1), subject="Zamówienie", order_id="order-1",
                     attachments=[("photo.jpg", "https://example.invalid/a/1")])
    fake.add_message(thread, "Tak, wysłane.", at=at(2), from_buyer=False)
    client = make(version=PUBLIC_V1)
    buyer, ours = client.fetch_new_messages(None)
    assert buyer.channel == "allegro_public_v1" and buyer.thread_id == thread
    assert buyer.author == {"login": "kupujacy", "isInterlocutor": True} and buyer.author_login == "kupujacy"
    assert (buyer.subject, buyer.order_ref) == ("Zamówienie", "order-1")
    assert buyer.attachments == (("photo.jpg", "https://example.invalid/a/1"),)
    assert buyer.created_at == at(1) and buyer.created_at.tzinfo is not None
    assert ours.author == {"login": fake.login, "isInterlocutor": False}
    assert marketplace_author_signal(buyer.channel, buyer.author, account_login=client.login) is None
    assert marketplace_author_signal(ours.channel, ours.author, account_login=client.login) is not None


def test_message_shapes_beta_v1_common_and_post_purchase_threads(fake, make):
    common = fake.add_thread(interlocutor="user1")
    fake.add_message(common, "Pytanie o produkt", at=at(1))
    fake.add_message(common, "Odpowiedź", at=at(2), from_buyer=False)
    issue = fake.add_thread(type="POST_PURCHASE_ISSUE", interlocutor="BuyerLogin", order_id="29738e61")
    fake.add_message(issue, "Uszkodzony", at=at(3))
    fake.add_message(issue, "Allegro here", at=at(4), role="ALLEGRO", login=None)
    client = make()
    question, answer, damaged, allegro = client.fetch_new_messages(None)
    assert {m.channel for m in (question, answer, damaged, allegro)} == {"allegro_beta_v1"}
    # A2: in COMMON threads both participants are USER; only the login tells them apart
    assert question.author == {"role": "USER", "login": "user1"}
    assert answer.author == {"role": "USER", "login": fake.login}
    assert marketplace_author_signal(question.channel, question.author, account_login=client.login) is None
    assert marketplace_author_signal(answer.channel, answer.author, account_login=client.login) is not None
    assert damaged.author == {"role": "BUYER", "login": "BuyerLogin"} and damaged.order_ref == "29738e61"
    assert allegro.author == {"role": "ALLEGRO", "login": None} and allegro.author_login is None
    assert marketplace_author_signal(allegro.channel, allegro.author, account_login=client.login) is not None
    assert question.order_ref is None


def test_return_threads_are_told_apart(fake, make):
    """beta.v1 POST_PURCHASE_ISSUE threads (A3 #13797, A2) and every dispute or claim of /sale/issues (A1) are
    returns / post-purchase issues; COMMON threads are not."""
    common = fake.add_thread(interlocutor="user1")
    fake.add_message(common, "Pytanie o produkt", at=at(1))
    issue = fake.add_thread(type="POST_PURCHASE_ISSUE", interlocutor="BuyerLogin", order_id="29738e61")
    fake.add_message(issue, "Chcę zwrócić", at=at(2))
    dispute = fake.add_issue(opened_at=at(3), checkout_form_id="cf-1")
    fake.add_issue_message(dispute, "Nie doszło", at=at(3))
    claim = fake.add_issue(type="CLAIM", status="CLAIM_SUBMITTED", opened_at=at(4), checkout_form_id="cf-2")
    fake.add_issue_message(claim, "Reklamacja", at=at(4))
    client = make()
    question, returned = client.fetch_new_messages(None)
    assert (question.text, question.is_return) == ("Pytanie o produkt", False)
    assert (returned.text, returned.is_return) == ("Chcę zwrócić", True)
    assert [(m.text, m.is_return) for m in client.fetch_new_issue_messages(None)] == [
        ("Nie doszło", True), ("Reklamacja", True)]
    public = make(version=PUBLIC_V1)
    assert not any(m.is_return for m in public.fetch_new_messages(None)), "public.v1 does not tell"


# ------------------------------------------------------------------------------------------------ Discussions


def test_discussions_paging_since_and_chat_active(fake, make):
    simple = [fake.add_issue(opened_at=at(i), checkout_form_id="cf-%d" % i) for i in range(104)]
    for i, issue in enumerate(simple):
        fake.add_issue_message(issue, "problem %d" % i, at=at(i) + timedelta(seconds=30))
    big = fake.add_issue(type="CLAIM", status="CLAIM_SUBMITTED", opened_at=at(200), checkout_form_id="cf-big",
                         subject="Reklamacja")
    fake.add_issue_message(big, "Allina: opened", at=at(200), role="SYSTEM")
    for j in range(149):
        fake.add_issue_message(big, "claim %d" % j, at=at(201) + timedelta(seconds=j))
    closed = fake.add_issue(status="DISPUTE_CLOSED", chat_active=False, opened_at=at(150))
    fake.add_issue_message(closed, "closed by Allegro", at=at(150), role="ADMIN")
    client = make()

    first = client.fetch_new_issue_messages(None)
    assert len(first) == 104 + 150 + 1 == len({m.external_id for m in first})
    listing = fake.requests_to("/sale/issues")
    assert [(r.query["limit"], r.query["offset"]) for r in listing] == [("100", "0"), ("100", "100")]
    chat = fake.requests_to("/sale/issues/%s/chat" % big)
    assert [(r.query["limit"], r.query["offset"]) for r in chat] == [("100", "0"), ("100", "100")]
    assert {r.headers["accept"] for r in fake.api_requests()} == {BETA}
    system = next(m for m in first if m.text == "Allina: opened")
    assert system.channel == "allegro_discussions" and system.thread_id == big
    assert system.author == {"role": "SYSTEM"} and system.author_login is None  # no login for SYSTEM (A1)
    assert (system.subject, system.order_ref) == ("Reklamacja", "cf-big")
    assert marketplace_author_signal(system.channel, system.author, account_login=client.login) is not None
    buyer = next(m for m in first if m.text == "problem 3")
    assert buyer.author == {"role": "BUYER", "login": "buyer-1"} and buyer.order_ref == "cf-3"
    assert marketplace_author_signal(buyer.channel, buyer.author, account_login=client.login) is None

    cursor = max(m.created_at for m in first)
    fake.add_issue_message(simple[7], "still waiting", at=cursor + timedelta(minutes=1))
    before = len(fake.requests)
    second = client.fetch_new_issue_messages(cursor)
    assert _texts(second) == ["still waiting"]
    chats = [r.path for r in fake.requests[before:] if r.path.endswith("/chat")]
    assert chats == ["/sale/issues/%s/chat" % simple[7]]  # the others' lastMessage is not after `since`
    assert client.fetch_new_issue_messages(max(m.created_at for m in second)) == []

    before = len(fake.requests)
    assert client.issue_chat_active(closed, cached=True) is False  # seen in the list
    assert client.issue_chat_active(big, cached=True) is True
    assert len(fake.requests) == before
    fake.issues[big].chat_active = False
    assert client.issue_chat_active(big) is False  # asks Allegro
    assert fake.requests[-1].path == "/sale/issues/%s" % big


# ------------------------------------------------------------------------------------------------ sending


def test_send_message_paced_to_one_per_second(fake, make, clock):
    thread = fake.add_thread()
    client = make()
    first = client.send_message(thread, "Dziękujemy za wiadomość")
    second = client.send_message(thread, "Odpowiemy wkrótce")
    assert first != second
    assert clock.sleeps == [1.0]  # the second waited one (fake) second; the fake saw no 429
    posts = fake.requests_to("/messaging/threads/%s/messages" % thread, "POST")
    assert [p.json() for p in posts] == [{"text": "Dziękujemy za wiadomość"}, {"text": "Odpowiemy wkrótce"}]
    assert {(p.headers["accept"], p.headers["content-type"]) for p in posts} == {(BETA, BETA)}
    clock.now += 5  # a pause longer than a second: no wait
    client.send_message(thread, "Trzecia")
    assert clock.sleeps == [1.0]


def test_send_message_public_v1_media_type(fake, make):
    thread = fake.add_thread()
    client = make(version=PUBLIC_V1)
    client.send_message(thread, "Hej")
    post = fake.requests_to("/messaging/threads/%s/messages" % thread, "POST")[0]
    assert (post.headers["accept"], post.headers["content-type"]) == (PUBLIC, PUBLIC)


def test_server_limit_of_one_send_per_second_gives_rate_limited(fake, make):
    thread = fake.add_thread()
    one, other = make(pace_clock=FakeClock()), make(pace_clock=FakeClock())  # two pacers: no shared pacing
    one.send_message(thread, "first")
    with pytest.raises(RateLimited) as caught:
        other.send_message(thread, "second")
    assert caught.value.retry_after == 60  # no Retry-After (Allegro documents none): at least 60 s
    assert len(fake.requests_to("/messaging/threads/%s/messages" % thread, "POST")) == 2  # no retry
    assert [body["text"] for _, body in fake.sent] == ["first"]


def test_send_message_length_limit(fake, make):
    thread = fake.add_thread()
    client = make()
    with pytest.raises(PermanentError, match="2000"):
        client.send_message(thread, "x" * 2001)
    with pytest.raises(PermanentError):
        client.send_message(thread, "😀" * 1001)  # 2,002 UTF-16 code units
    with pytest.raises(PermanentError):
        client.send_message(thread, "   ")
    assert fake.api_requests() == []  # refused before sending
    assert client.send_message(thread, "x" * 2000)


def test_send_in_closed_post_purchase_thread_is_a_closed_conversation(fake, make):
    thread = fake.add_thread(type="POST_PURCHASE_ISSUE", status="CLOSED", order_id="o-1")
    client = make()
    with pytest.raises(ClosedConversation, match="closed POST_PURCHASE_ISSUE") as caught:
        client.send_message(thread, "Dzień dobry")
    assert (caught.value.status, caught.value.code) == (422, "THREAD_CLOSED")
    assert fake.sent == []


def test_other_422_stays_a_permanent_error(fake, make):
    thread = fake.add_thread()
    client = make()
    # the fake refuses > 2,000 characters too: skip our own check to see its 422 errors[] body
    with pytest.raises(PermanentError) as caught:
        client._api("POST", "/messaging/threads/%s/messages" % thread, version=BETA_V1, body={"text": "y" * 2001})
    assert not isinstance(caught.value, ClosedConversation)
    assert (caught.value.status, caught.value.code) == (422, "VALIDATION_ERROR")
    assert caught.value.message == "Wiadomość jest za długa"  # errors[].userMessage


def test_send_issue_message(fake, make):
    issue = fake.add_issue()
    client = make()
    message_id = client.send_issue_message(issue, "Prosimy o zdjęcia")
    assert message_id == fake.issues[issue].messages[-1].id
    paths = [(r.method, r.path) for r in fake.api_requests()]
    assert paths == [("GET", "/sale/issues/%s" % issue), ("POST", "/sale/issues/%s/message" % issue)]
    post = fake.api_requests()[-1]
    assert post.json() == {"text": "Prosimy o zdjęcia", "type": "REGULAR"}
    assert (post.headers["accept"], post.headers["content-type"]) == (BETA, BETA)
    with pytest.raises(PermanentError, match="20000"):
        client.send_issue_message(issue, "z" * 20001)


def test_send_issue_message_in_inactive_chat_sends_nothing(fake, make):
    issue = fake.add_issue(status="DISPUTE_CLOSED", chat_active=False)
    client = make()
    with pytest.raises(ClosedConversation, match="chatActive"):
        client.send_issue_message(issue, "Halo")
    assert [r.method for r in fake.api_requests()] == ["GET"]


def test_send_issue_message_409_is_a_closed_conversation(fake, make):
    issue = fake.add_issue()
    fake.issues[issue].conflict_on_post = True  # closed between our check and our post
    client = make()
    with pytest.raises(ClosedConversation, match=DISPUTE_CONFLICT_MESSAGE) as caught:
        client.send_issue_message(issue, "Halo")
    assert caught.value.status == 409
    assert client.issue_chat_active(issue, cached=True) is False


# ------------------------------------------------------------------------------------------------ failures


def test_5xx_on_get_is_retried(fake, make):
    thread = fake.add_thread()
    fake.add_message(thread, "hi", at=at(1))
    client = make()
    fake.fail_next(2, status=503, path="/messaging/threads")
    assert _texts(client.fetch_new_messages(None)) == ["hi"]
    assert len(client.backoff_sleeps) == 2 and all(s < 5 for s in client.backoff_sleeps)


def test_5xx_on_get_gives_up_after_the_retries(fake, make):
    client = make()
    fake.fail_next(10, status=500, path="/messaging/threads")
    with pytest.raises(TransientError):
        client.fetch_new_messages(None)
    assert len(fake.requests_to("/messaging/threads")) == 4  # one call and three retries


def test_5xx_on_send_is_not_retried(fake, make):
    thread = fake.add_thread()
    client = make()
    fake.fail_next(1, status=500, method="POST")
    with pytest.raises(TransientError):
        client.send_message(thread, "Dzień dobry")
    assert len(fake.requests_to("/messaging/threads/%s/messages" % thread, "POST")) == 1


@pytest.mark.parametrize("header, wait", [("30", 30.0), (None, 60.0)])
def test_429_raises_rate_limited_without_retrying(fake, make, header, wait):
    client = make()
    fake.rate_limit_next(1, retry_after=header, path="/messaging/threads")
    with pytest.raises(RateLimited) as caught:
        client.fetch_new_messages(None)
    assert caught.value.retry_after == wait
    assert len(fake.requests_to("/messaging/threads")) == 1  # retrying during a block prolongs it (A5 #3454)
    assert client.backoff_sleeps == []


def test_read_timeouts(fake, make):
    thread = fake.add_thread()
    fake.add_message(thread, "hi", at=at(1))
    client = make(timeout=(2, 0.05))
    started = time.monotonic()
    fake.delay_next(1, seconds=0.3, path="/messaging/threads")
    assert _texts(client.fetch_new_messages(None)) == ["hi"]  # a GET timeout is retried
    fake.delay_next(4, seconds=0.3, path="/messaging/threads")
    with pytest.raises(TransientError, match="timeout"):
        client.fetch_new_messages(None)
    fake.delay_next(1, seconds=0.3, method="POST")
    with pytest.raises(TransientError, match="timeout"):
        client.send_message(thread, "Dzień dobry")  # never retried: the reply may have been posted
    assert len(fake.requests_to("/messaging/threads/%s/messages" % thread, "POST")) == 1
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("kind", ["not_json", "truncated", "not_object", "missing_fields"])
@pytest.mark.parametrize("where", ["/messaging/threads", "/messages"])
def test_malformed_responses_raise_and_lose_nothing(fake, make, kind, where):
    fake.beta_page_size = 2
    threads = [fake.add_thread(interlocutor="b%d" % i) for i in range(3)]
    for i, thread in enumerate(threads):
        fake.add_message(thread, "m%d" % i, at=at(i))
    client = make()
    fake.malformed_next(1, kind=kind, path=where)
    with pytest.raises(MalformedResponse) as caught:
        client.fetch_new_messages(None)
    assert "Allegro" in str(caught.value) or "not JSON" in str(caught.value) or "not an object" in str(caught.value)
    assert _texts(client.fetch_new_messages(None)) == ["m0", "m1", "m2"]


def test_malformed_issue_list(fake, make):
    issue = fake.add_issue()
    fake.add_issue_message(issue, "problem", at=at(1))
    client = make()
    fake.malformed_next(1, kind="missing_fields", path="/sale/issues")
    with pytest.raises(MalformedResponse, match="'issues'"):
        client.fetch_new_issue_messages(None)
    assert _texts(client.fetch_new_issue_messages(None)) == ["problem"]


# ------------------------------------------------------------------------------------------------ the fake


def test_fake_checks_media_types_limits_and_tokens(fake):
    token = fake.issue_tokens()["access_token"]

    def get(path, accept, **params):
        return requests.get(fake.url + path, params=params, timeout=5,
                            headers={"Authorization": "Bearer " + token, "Accept": accept})

    response = get("/messaging/threads", PUBLIC, limit=21)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "VALIDATION_ERROR"
    assert set(response.json()["errors"][0]) == {"code", "message", "details", "path", "userMessage", "metadata"}
    assert get("/messaging/threads", "application/json").status_code == 406
    assert get("/sale/issues", PUBLIC).status_code == 406  # beta.v1 only (A1)
    assert get("/sale/issues", BETA, limit=101).status_code == 422
    thread = fake.add_thread()
    assert get("/messaging/threads/%s/messages" % thread, BETA, after="2026-11-20T09:00:00.000Z").status_code == 422
    assert get("/messaging/threads/%s/messages" % thread, PUBLIC, offset=1,
               before="2026-11-20T09:00:00.000Z").status_code == 422
    assert get("/messaging/threads/nope/messages", PUBLIC).json()["errors"][0]["code"] == "THREAD_NOT_FOUND"
    unauthorised = requests.get(fake.url + "/messaging/threads", headers={"Accept": PUBLIC}, timeout=5)
    assert unauthorised.status_code == 401 and "error" in unauthorised.json()


def test_try_device_token_one_attempt_at_a_time():
    """A person clicking "check": None while pending, then the token, without any waiting loop."""
    with FakeAllegro() as fake:
        client = AllegroClient(MemoryTokenStore(), client_id=fake.client_id, client_secret=fake.client_secret,
                               login=fake.login, api_url=fake.url, oauth_url=fake.url)
        fake.device_script = ["authorization_pending", "slow_down"]
        flow = client.start_device_flow()
        assert client.try_device_token(flow["device_code"]) is None
        assert client.try_device_token(flow["device_code"]) is None
        token = client.try_device_token(flow["device_code"])
        assert token.access_token in fake.access_tokens
        with pytest.raises(AuthError):
            client.try_device_token("no-such-code")


def test_download_attachment_only_from_the_api_host():
    with FakeAllegro() as fake:
        store = MemoryTokenStore()
        client = AllegroClient(store, client_id=fake.client_id, client_secret=fake.client_secret,
                               login=fake.login, api_url=fake.url, oauth_url=fake.url)
        answer = fake.issue_tokens()
        store.set(Token(answer["access_token"], answer["refresh_token"],
                        datetime.now(timezone.utc) + timedelta(hours=12)))
        assert client.download_attachment(fake.url + "/messaging/message-attachments/a-9") == b"attachment a-9"
        request = fake.requests[-1]
        assert request.headers["authorization"] == "Bearer " + answer["access_token"]
        with pytest.raises(PermanentError):
            client.download_attachment("https://elsewhere.example.com/messaging/message-attachments/a-9")
        fake.expire_access_tokens()  # a 401 refreshes once, then the download goes through
        assert client.download_attachment(fake.url + "/messaging/message-attachments/a-10") == b"attachment a-10"
        assert fake.refresh_count == 1
