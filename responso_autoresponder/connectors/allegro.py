"""Allegro REST API client: OAuth, Message Center (public.v1 and beta.v1) and Discussions (plain Python).

Source keys in the comments refer to /work/shared/marketplace-api-facts.md (summarised in connectors/SPEC.md):
A1 Allegro's OpenAPI (swagger.yaml), A2 a copy of it holding the beta.v1 /messaging shapes, A3 Allegro's [NEWS]
posts, A4 developer.allegro.pl (FAQ, glossary), A5 answers from Allegro staff in allegro/allegro-api issues.

One client per Allegro account (the `login`). Tokens live in a `TokenStore`; every API call goes through
`AllegroClient._api`, which refreshes a token that expires within 60 s, sends it as a Bearer token with the
endpoint's media type, and on a 401 refreshes once through `store.refresh` (so two workers never refresh in
parallel: Allegro invalidates the old pair, A5 #9045, #4115) and retries once.

Receiving is all-or-nothing: any unreadable page raises (MalformedResponse, TransientError…) before anything is
returned, so a caller that advances its `since` cursor only after a successful fetch loses nothing. The caller
should still de-duplicate on `IncomingMessage.external_id` (offset paging over a list that changes while we read
it can show a thread twice; we drop such doubles within one fetch).
"""

import contextlib
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

from .common import IncomingMessage, Token, parse_datetime
from .http import (
    AuthError,
    ClosedConversation,
    HttpClient,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
    read_attachment,
)

_logger = logging.getLogger(__name__)

UTC = timezone.utc

# Hosts. A1 securitySchemes: authorizationUrl https://allegro.pl/auth/oauth/authorize, tokenUrl
# https://allegro.pl/auth/oauth/token (the OAuth host is allegro.pl, not api.allegro.pl); sandbox OAuth host per the
# tutorial code in A5 #5140 (and staff in #7003); API hosts: A1 servers[0].variables.environment.enum.
OAUTH_URL = "https://allegro.pl"
SANDBOX_OAUTH_URL = "https://allegro.pl.allegrosandbox.pl"
API_URL = "https://api.allegro.pl"
SANDBOX_API_URL = "https://api.allegro.pl.allegrosandbox.pl"

PUBLIC_V1 = "public.v1"
BETA_V1 = "beta.v1"
MESSAGING_VERSIONS = (PUBLIC_V1, BETA_V1)
_MEDIA_TYPE = "application/vnd.allegro.%s+json"

CHANNEL_PUBLIC = "allegro_public_v1"
CHANNEL_BETA = "allegro_beta_v1"
CHANNEL_DISCUSSIONS = "allegro_discussions"

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"  # A5 #2429, #8049
ACCESS_TOKEN_LIFETIME = timedelta(hours=12)  # A4 glossary, A5 #9045: used when a token reply has no expires_in
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5; UNVERIFIED for Allegro: no Allegro source mentions slow_down
DEFAULT_DEVICE_INTERVAL = 5.0  # RFC 8628 §3.2 default; 5 was also seen from Allegro (A5 #11017)

THREADS_LIMIT = 20  # A1 listThreadsGET limit 1-20
MESSAGES_LIMIT = 20  # A1 listMessagesGET limit 1-20
MESSAGES_MAX_OFFSET = 15000  # A1 listMessagesGET offset 0-15000
ISSUES_LIMIT = 100  # A1 getListOfIssuesUsingGET limit 1-100 (default 10)
CHAT_LIMIT = 100  # A1 getChatFromIssueUsingGET limit 1-100 (default 10)
MESSAGE_MAX_LENGTH = 2000  # A1 NewMessageInThread.text maxLength
ISSUE_MESSAGE_MAX_LENGTH = 20000  # A1 MessageRequest.text maxLength
SEND_INTERVAL = 1.0  # A1 newMessageInThreadPOST: "rate limited to 1 request per second for a user"

# OAuth error codes (RFC 6749 §5.2, RFC 8628 §3.5) that mean "keep polling" in the device flow.
_PENDING = "authorization_pending"  # A5 #2429, #8049, #11017
_SLOW_DOWN = "slow_down"  # UNVERIFIED for Allegro (RFC 8628 only)


def _utcnow():
    return datetime.now(UTC)


def _aware_since(since):
    if since is None:
        return None
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("`since` must be an aware datetime, not %r" % (since,))
    return since.astimezone(UTC)


def _iso(moment):
    """An aware datetime as Allegro writes them, e.g. 2020-11-13T12:45:20.818Z (A1 listMessagesGET `after`).

    Truncated to milliseconds; since `after` is exclusive, truncating can only return more, which we filter.
    """
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _utf16_length(text):
    # The server may count UTF-16 code units (an emoji counts twice); counting them never undercounts.
    return len(text.encode("utf-16-le")) // 2


def _where(what):
    return " (%s)" % what if what else ""


def _require_list(payload, key, what):
    value = payload.get(key)
    if not isinstance(value, list):
        raise MalformedResponse("Allegro %s: the reply has no %r list" % (what, key), payload=payload)
    return value


def _require_id(obj, what):
    if not isinstance(obj, dict):
        raise MalformedResponse("Allegro %s: an item is not an object: %r" % (what, obj))
    value = obj.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise MalformedResponse("Allegro %s: an item has no id" % what, payload=obj)
    return value


def _datetime(value, what):
    try:
        return parse_datetime(value)
    except MalformedResponse as exc:
        raise MalformedResponse("Allegro %s: %s" % (what, exc.message)) from exc


def _optional_datetime(value, what):
    return None if value is None else _datetime(value, what)


def _attachments(message):
    # A1 Message.attachments[{fileName*, url}]; A1 PostPurchaseIssueAttachment {fileName, url}
    items = message.get("attachments") or ()
    return tuple((item.get("fileName"), item.get("url")) for item in items if isinstance(item, dict))


def _order_id(relates_to):
    # A1 Message.relatesTo{offer (nullable), order{id}}; A2: relatesTo.order is nullable in beta.v1
    order = (relates_to or {}).get("order") if isinstance(relates_to, dict) else None
    value = order.get("id") if isinstance(order, dict) else None
    return str(value) if value else None


def _next_page(payload, what):
    """The beta.v1 cursor of the next page, or None on the last page (A2/A3 #13797: `nextPage` nullable)."""
    next_page = payload.get("nextPage")
    if next_page is None:
        return None
    page_id = next_page.get("id") if isinstance(next_page, dict) else None
    if not isinstance(page_id, str) or not page_id:
        raise MalformedResponse("Allegro %s: unreadable nextPage %r" % (what, next_page), payload=payload)
    return page_id


def _error_codes(exc):
    """errors[].code of an Allegro ErrorsHolder body (A1), as a set."""
    payload = exc.payload
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return set()
    return {error.get("code") for error in errors if isinstance(error, dict) and error.get("code")}


class _SendPacer:
    """At most one send per `interval` per Allegro user (A1: "rate limited to 1 request per second for a user").

    The next send starts `interval` after the previous one *finished*: the server then sees the two arrive at
    least `interval` apart whatever the network latency. Sends wait for one another (a lock).
    """

    def __init__(self, interval=SEND_INTERVAL, clock=time.monotonic, sleep=time.sleep):
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last = None

    @contextlib.contextmanager
    def slot(self):
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last = self._clock()


# One pacer per (API host, login) in this process, shared by every client of that user that does not inject its
# own clock; workers in other processes are kept in line by Allegro's 429 (RateLimited) instead.
_PACERS = {}
_PACERS_LOCK = threading.Lock()


def _shared_pacer(api_url, login):
    key = (api_url, (login or "").casefold())
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = _SendPacer()
        return pacer


class AllegroClient:
    """One Allegro account: OAuth, new messages (Message Center and Discussions), sending replies.

    `store`: the account's TokenStore. `login`: the account's Allegro login (loop_guard compares authors to it).
    `http`: an HttpClient for the API host (one per account; OAuth calls go through it with absolute URLs); built
    when not given. `messaging_version`: "beta.v1" (default; mandatory for integrations from 28 Oct 2026, A3
    #13797) or "public.v1". `clock`/`sleep`: injected to pace sends without a real wait (tests).
    """

    def __init__(self, store, *, client_id, client_secret, login, sandbox=False, api_url=None, oauth_url=None,
                 http=None, messaging_version=BETA_V1, clock=None, sleep=None):
        if messaging_version not in MESSAGING_VERSIONS:
            raise ValueError("messaging_version must be one of %s, not %r"
                             % (", ".join(MESSAGING_VERSIONS), messaging_version))
        self.store = store
        self.client_id = client_id
        self._client_secret = client_secret
        self.login = login
        self.messaging_version = messaging_version
        self.api_url = (api_url or (SANDBOX_API_URL if sandbox else API_URL)).rstrip("/")
        self.oauth_url = (oauth_url or (SANDBOX_OAUTH_URL if sandbox else OAUTH_URL)).rstrip("/")
        self.http = http if http is not None else HttpClient(self.api_url)
        if clock is None and sleep is None:
            self._pacer = _shared_pacer(self.api_url, login)
        else:
            self._pacer = _SendPacer(clock=clock or time.monotonic, sleep=sleep or time.sleep)
        self._chat_active = {}  # issue id -> currentState.chatActive as last seen (A1)

    def __repr__(self):
        return "AllegroClient(login=%r, api_url=%r, messaging_version=%r)" % (
            self.login, self.api_url, self.messaging_version)

    def close(self):
        self.http.close()

    # ------------------------------------------------------------------------------------------------ OAuth

    def authorization_url(self, redirect_uri, state=None):
        """Where to send the seller to grant access (A1 authorizationCode.authorizationUrl)."""
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri}
        if state:
            params["state"] = state
        return "%s/auth/oauth/authorize?%s" % (self.oauth_url, urlencode(params))

    def _token_request(self, params):
        # POST https://allegro.pl/auth/oauth/token with HTTP Basic client_id:secret (A1 tokenUrl; A5 #2791); the
        # parameters go in the query string as in Allegro's guide and staff answers (A5 #2429, #8049).
        return self.http.json("POST", self.oauth_url + "/auth/oauth/token", params=params,
                              auth=(self.client_id, self._client_secret), headers={"Accept": "application/json"})

    @staticmethod
    def _token_from(payload, what, previous_refresh_token=None):
        # OAuth token reply: access_token, refresh_token, expires_in (43199 s: 12 h, A4 glossary / A5 #9045)
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise MalformedResponse("Allegro %s: the token reply has no access_token" % what)
        refresh = payload.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous_refresh_token
        lifetime = payload.get("expires_in")
        try:
            lifetime = timedelta(seconds=float(lifetime))
        except (TypeError, ValueError):
            lifetime = ACCESS_TOKEN_LIFETIME
        return Token(access_token=access, refresh_token=refresh, expires_at=_utcnow() + lifetime)

    @staticmethod
    def _as_auth_error(exc, what):
        description = exc.message
        if exc.code and exc.code not in description:
            description = "%s: %s" % (exc.code, description)
        return AuthError("Allegro %s: %s" % (what, description), status=exc.status, code=exc.code,
                         payload=exc.payload)

    def exchange_code(self, code, redirect_uri):
        """Authorization code flow: the Token for the code Allegro sent to `redirect_uri` (A1 authorizationCode)."""
        try:
            payload = self._token_request({"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": redirect_uri})
        except (AuthError, PermanentError) as exc:  # invalid_grant (code reused or expired), bad client…
            raise self._as_auth_error(exc, "authorization code refused") from exc
        return self._token_from(payload, "authorization code")

    def _refresh(self, refresh_token):
        """The refresher for store.refresh: a new pair (A5 #9045: the old refresh *and* access tokens die)."""
        if not refresh_token:
            raise AuthError("Allegro: no refresh token; connect the account again")
        try:
            payload = self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
        except (AuthError, PermanentError) as exc:
            # reused or expired refresh token: 400 invalid_grant "Invalid refresh token: …" (A5 #10107)
            raise self._as_auth_error(exc, "token refresh refused") from exc
        return self._token_from(payload, "token refresh", previous_refresh_token=refresh_token)

    def start_device_flow(self):
        """Device flow, step 1 (A1 x-deviceCode; A5 #5140, #9045, #11017).

        Returns {device_code, user_code, verification_uri, verification_uri_complete, interval, expires_in}:
        show the seller verification_uri_complete (or verification_uri and user_code), then poll_device_token().
        """
        # POST https://allegro.pl/auth/oauth/device with HTTP Basic client_id:secret (A5 #5140, #9045). client_id
        # goes in the query string: staff say the form-body variant of the old tutorial did not work (A5 #5981,
        # #7681).
        try:
            payload = self.http.json("POST", self.oauth_url + "/auth/oauth/device",
                                     params={"client_id": self.client_id}, auth=(self.client_id, self._client_secret),
                                     headers={"Accept": "application/json"})
        except (AuthError, PermanentError) as exc:
            raise self._as_auth_error(exc, "device flow refused") from exc
        for key in ("device_code", "user_code", "verification_uri"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                raise MalformedResponse("Allegro device flow: the reply has no %s" % key)
        try:
            interval = float(payload.get("interval") or DEFAULT_DEVICE_INTERVAL)
            expires_in = float(payload["expires_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse("Allegro device flow: unreadable interval/expires_in") from exc
        return {
            "device_code": payload["device_code"],
            "user_code": payload["user_code"],
            "verification_uri": payload["verification_uri"],
            "verification_uri_complete": payload.get("verification_uri_complete") or None,
            "interval": interval,
            "expires_in": expires_in,
        }

    def download_attachment(self, url):
        """The bytes of a message attachment (A1 Message.attachments[].url; the download call itself is
        UNVERIFIED in marketplace-api-facts.md). Our token is only ever sent to the API host."""
        if not url.startswith(self.api_url + "/"):
            raise PermanentError("attachment outside the Allegro API host: %s" % url)
        token = self._token()
        for attempt in (1, 2):
            try:
                response = self.http.request("GET", url, headers={"Authorization": "Bearer " + token.access_token,
                                                                  "Accept": "*/*"})
                return read_attachment(response, url)
            except AuthError:
                if attempt == 2:
                    raise
                token = self.store.refresh(token.access_token, self._refresh)
        return b""  # not reached

    def try_device_token(self, device_code):
        """Device flow, step 2, one attempt (for a person clicking "check" rather than a waiting loop): the Token
        once the seller confirmed, None while Allegro answers authorization_pending or slow_down."""
        try:
            payload = self._token_request({"grant_type": DEVICE_GRANT, "device_code": device_code})
        except (AuthError, PermanentError) as exc:
            if exc.code in (_PENDING, _SLOW_DOWN):
                return None
            raise self._as_auth_error(exc, "device flow refused") from exc
        return self._token_from(payload, "device flow")

    def poll_device_token(self, device_code, *, interval, expires_in, sleep=time.sleep, clock=time.monotonic):
        """Device flow, step 2: poll the token endpoint every `interval` s until the seller confirms (a Token).

        authorization_pending: keep polling (A5 #2429, #8049, #11017); slow_down: add 5 s to the interval
        (RFC 8628 §3.5, UNVERIFIED for Allegro); any other error (access_denied, expired_token, invalid_request
        "Invalid device code" A5 #11017…) raises AuthError with Allegro's error_description; after `expires_in`
        seconds without an answer, AuthError too. A network error or a 429 only delays the next poll.
        """
        interval = float(interval) if interval and float(interval) > 0 else DEFAULT_DEVICE_INTERVAL
        deadline = clock() + float(expires_in)
        wait = interval
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise AuthError("Allegro device flow: the code expired before the seller confirmed it",
                                code="expired_token")
            sleep(min(wait, remaining))
            if clock() >= deadline:
                continue  # reported at the top of the loop
            wait = interval
            try:
                payload = self._token_request({"grant_type": DEVICE_GRANT, "device_code": device_code})
            except RateLimited as exc:
                wait = max(interval, exc.retry_after)
                continue
            except TransientError as exc:
                _logger.info("Allegro device flow: %s; polling again", exc)
                continue
            except (AuthError, PermanentError) as exc:
                if exc.code == _PENDING:
                    continue
                if exc.code == _SLOW_DOWN:
                    interval += SLOW_DOWN_STEP
                    wait = interval
                    continue
                raise self._as_auth_error(exc, "device flow refused") from exc
            return self._token_from(payload, "device flow")

    # ------------------------------------------------------------------------------------------------ API calls

    def _token(self):
        token = self.store.get()
        if token.expires_soon():
            token = self.store.refresh(token.access_token, self._refresh)
        return token

    def _api(self, method, path, *, version, params=None, body=None, expected=(200, 201)):
        """Every API call: Bearer token, the endpoint's media type, one refresh-and-retry on a 401 (SPEC.md)."""
        media_type = _MEDIA_TYPE % version  # application/vnd.allegro.{public,beta}.v1+json (A1, A2)
        token = self._token()
        for attempt in (1, 2):
            headers = {"Authorization": "Bearer " + token.access_token, "Accept": media_type}
            if body is not None:
                headers["Content-Type"] = media_type
            try:
                return self.http.json(method, self.api_url + path, params=params, json=body, headers=headers,
                                      expected=expected)
            except AuthError:
                if attempt == 2:
                    raise
                # the token died early (refreshed by another worker: A5 #4115): refresh once, or take the pair
                # the other worker stored
                token = self.store.refresh(token.access_token, self._refresh)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------------------------ receiving

    def fetch_new_messages(self, since):
        """Message Center messages created after `since` (aware datetime; None: all), oldest first, each once.

        Uses the messaging version chosen at construction: public.v1 or beta.v1 (A1, A2, A3).
        """
        since = _aware_since(since)
        if self.messaging_version == PUBLIC_V1:
            messages = self._fetch_public(since)
        else:
            messages = self._fetch_beta(since)
        return self._sorted_unique(messages)

    @staticmethod
    def _sorted_unique(messages):
        unique = {}
        for message in messages:
            unique.setdefault(message.external_id, message)
        return sorted(unique.values(), key=lambda m: (m.created_at, m.external_id))

    @staticmethod
    def _thread_is_old(thread, since, what):
        # A1 Thread.lastMessageDateTime: nullable and not required; a thread without one is always read
        last = _optional_datetime(thread.get("lastMessageDateTime"), what)
        return since is not None and last is not None and last <= since

    # public.v1 ------------------------------------------------------------------------------------------------

    def _public_threads(self, since):
        """Threads with a message after `since`: newest first (A1 listThreadsGET), limit/offset paging."""
        what = "GET /messaging/threads"
        offset, seen = 0, set()
        while True:
            page = self._api("GET", "/messaging/threads", version=PUBLIC_V1,
                             params={"limit": THREADS_LIMIT, "offset": offset})
            threads = _require_list(page, "threads", what)  # A1 ThreadsList{threads, offset, limit}, no total
            for thread in threads:
                thread_id = _require_id(thread, what)
                if self._thread_is_old(thread, since, what):
                    return
                if thread_id not in seen:
                    seen.add(thread_id)
                    yield thread_id
            if len(threads) < THREADS_LIMIT:
                return
            offset += len(threads)

    def _fetch_public(self, since):
        out = []
        for thread_id in list(self._public_threads(since)):
            out.extend(self._public_thread_messages(thread_id, since))
        return out

    def _public_thread_messages(self, thread_id, since):
        # GET /messaging/threads/{threadId}/messages?after=… (A1 listMessagesGET: after exclusive, limit 1-20,
        # offset 0-15000)
        path = "/messaging/threads/%s/messages" % quote(thread_id, safe="")
        what = "GET " + path
        offset = 0
        while True:
            params = {"limit": MESSAGES_LIMIT, "offset": offset}
            if since is not None:
                params["after"] = _iso(since)
            page = self._api("GET", path, version=PUBLIC_V1, params=params)
            items = _require_list(page, "messages", what)  # A1 MessagesList{messages, offset, limit}
            for item in items:
                message = self._public_message(item, thread_id, what)
                if since is None or message.created_at > since:
                    yield message
            if len(items) < MESSAGES_LIMIT:
                return
            offset += len(items)
            if offset > MESSAGES_MAX_OFFSET:
                _logger.warning("Allegro %s: more than %d messages after %s; the rest is left for the next poll",
                                what, MESSAGES_MAX_OFFSET, since)
                return

    @staticmethod
    def _public_message(item, thread_id, what):
        # A1 Message{id*, createdAt*, thread*{id}, author*{login*, isInterlocutor*}, text*, subject, relatesTo*}
        message_id = _require_id(item, what)
        author = item.get("author")
        author = author if isinstance(author, dict) else {}
        thread = item.get("thread")
        thread_id = (thread.get("id") if isinstance(thread, dict) else None) or thread_id
        return IncomingMessage(
            external_id=message_id,
            thread_id=str(thread_id),
            channel=CHANNEL_PUBLIC,
            author=author,
            author_login=author.get("login") or None,
            text=item.get("text") or "",
            created_at=_datetime(item.get("createdAt"), "%s: message %s createdAt" % (what, message_id)),
            subject=item.get("subject") or None,
            order_ref=_order_id(item.get("relatesTo")),
            attachments=_attachments(item),
        )

    # beta.v1 --------------------------------------------------------------------------------------------------

    def _beta_threads(self, since):
        """COMMON and POST_PURCHASE_ISSUE threads (A3 #13797) with a message after `since`: page.id cursor paging,
        `nextPage` null on the last page (A2 ThreadsListVBeta1, A3 #13797)."""
        what = "GET /messaging/threads (beta.v1)"
        page_id, seen_pages, seen = None, set(), set()
        while True:
            params = {"page.id": page_id} if page_id else None
            page = self._api("GET", "/messaging/threads", version=BETA_V1, params=params)
            threads = _require_list(page, "threads", what)
            for thread in threads:
                thread_id = _require_id(thread, what)
                if self._thread_is_old(thread, since, what):  # newest first (A1/A2 listThreadsGET)
                    return
                if thread_id not in seen:
                    seen.add(thread_id)
                    yield thread
            page_id = _next_page(page, what)
            if page_id is None:
                return
            if page_id in seen_pages:
                raise MalformedResponse("Allegro %s: the server sent the page cursor %r twice" % (what, page_id))
            seen_pages.add(page_id)

    def _fetch_beta(self, since):
        out = []
        for thread in list(self._beta_threads(since)):
            out.extend(self._beta_thread_messages(thread, since))
        return out

    def _beta_thread_messages(self, thread, since):
        # GET /messaging/threads/{threadId}/messages, beta.v1: page.id paging, no `after` (A2: after/before/offset
        # are public.v1 only), so messages are filtered on createdAt here.
        thread_id = thread["id"]
        path = "/messaging/threads/%s/messages" % quote(thread_id, safe="")
        what = "GET %s (beta.v1)" % path
        orders = thread.get("orders")  # A2 ThreadVBeta1.orders (nullable)[{id*, offers*}]
        thread_order = None
        if isinstance(orders, list) and orders and isinstance(orders[0], dict) and orders[0].get("id"):
            thread_order = str(orders[0]["id"])
        page_id, seen_pages = None, set()
        while True:
            params = {"page.id": page_id} if page_id else None
            page = self._api("GET", path, version=BETA_V1, params=params)
            items = _require_list(page, "messages", what)  # A2 MessagesListVBeta1{messages*, nextPage*}
            dates = []
            for item in items:
                message = self._beta_message(item, thread_id, thread_order, what)
                dates.append(message.created_at)
                if since is None or message.created_at > since:
                    yield message
            page_id = _next_page(page, what)
            if page_id is None:
                return
            # The order of messages is not documented; when this page is clearly newest first and reaches back to
            # `since`, the next pages only hold older messages.
            if (since is not None and len(dates) >= 2 and dates[-1] <= since
                    and all(a >= b for a, b in zip(dates, dates[1:], strict=False))):
                return
            if page_id in seen_pages:
                raise MalformedResponse("Allegro %s: the server sent the page cursor %r twice" % (what, page_id))
            seen_pages.add(page_id)

    @staticmethod
    def _beta_message(item, thread_id, thread_order, what):
        # A2 MessageVBeta1: like Message without `thread`; author{role* (BUYER|SELLER|USER|CONSULTANT|ALLEGRO),
        # login (nullable)}; relatesTo.order nullable
        message_id = _require_id(item, what)
        author = item.get("author")
        author = author if isinstance(author, dict) else {}
        return IncomingMessage(
            external_id=message_id,
            thread_id=thread_id,
            channel=CHANNEL_BETA,
            author=author,
            author_login=author.get("login") or None,
            text=item.get("text") or "",
            created_at=_datetime(item.get("createdAt"), "%s: message %s createdAt" % (what, message_id)),
            subject=item.get("subject") or None,
            order_ref=thread_order or _order_id(item.get("relatesTo")),
            attachments=_attachments(item),
        )

    # Discussions (/sale/issues) --------------------------------------------------------------------------------

    def _issues(self):
        """Every dispute and claim, newest opened first (A1 getListOfIssuesUsingGET, beta.v1, limit 1-100)."""
        what = "GET /sale/issues"
        offset, seen = 0, set()
        while True:
            page = self._api("GET", "/sale/issues", version=BETA_V1, params={"limit": ISSUES_LIMIT, "offset": offset})
            issues = _require_list(page, "issues", what)  # A1 PostPurchaseIssueListResponse{issues}
            for issue in issues:
                issue_id = _require_id(issue, what)
                if issue_id not in seen:
                    seen.add(issue_id)
                    yield issue
            if len(issues) < ISSUES_LIMIT:
                return
            offset += len(issues)

    def _remember_chat_active(self, issue_id, issue):
        state = issue.get("currentState")  # A1 PostPurchaseIssue.currentState{status, …, chatActive}
        active = state.get("chatActive") if isinstance(state, dict) else None
        if isinstance(active, bool):
            self._chat_active[issue_id] = active
        return active

    def fetch_new_issue_messages(self, since):
        """Discussion and claim chat messages created after `since` (None: all), oldest first, each once (A1).

        The issue list is ordered by opened date, not by last message, so every issue is looked at; its chat is
        read only when `chat.lastMessage.createdAt` is missing or after `since`.
        """
        since = _aware_since(since)
        out = []
        for issue in list(self._issues()):
            issue_id = issue["id"]
            self._remember_chat_active(issue_id, issue)
            chat = issue.get("chat")
            last = chat.get("lastMessage") if isinstance(chat, dict) else None
            last_at = last.get("createdAt") if isinstance(last, dict) else None
            if since is not None and last_at is not None and _datetime(last_at, "issue %s" % issue_id) <= since:
                continue
            checkout = issue.get("checkoutForm")  # A1 PostPurchaseIssue.checkoutForm{id, createdAt}
            order_ref = checkout.get("id") if isinstance(checkout, dict) else None
            for item in self._issue_chat(issue_id):
                message = self._issue_message(item, issue_id, issue.get("subject"), order_ref)
                if since is None or message.created_at > since:
                    out.append(message)
        return self._sorted_unique(out)

    def _issue_chat(self, issue_id):
        # GET /sale/issues/{issueId}/chat: limit 1-100 (default 10), offset; {chat: […]}, beta.v1 (A1)
        path = "/sale/issues/%s/chat" % quote(issue_id, safe="")
        what = "GET " + path
        offset = 0
        while True:
            page = self._api("GET", path, version=BETA_V1, params={"limit": CHAT_LIMIT, "offset": offset})
            items = _require_list(page, "chat", what)
            for item in items:
                _require_id(item, what)
                yield item
            if len(items) < CHAT_LIMIT:
                return
            offset += len(items)

    @staticmethod
    def _issue_message(item, issue_id, subject, order_ref):
        # A1 PostPurchaseIssueChatMessage{id, text, attachments[{fileName, url}], author{login, role}, createdAt};
        # login absent for ADMIN, SYSTEM and FULFILLMENT
        message_id = str(item["id"])
        author = item.get("author")
        author = author if isinstance(author, dict) else {}
        return IncomingMessage(
            external_id=message_id,
            thread_id=issue_id,
            channel=CHANNEL_DISCUSSIONS,
            author=author,
            author_login=author.get("login") or None,
            text=item.get("text") or "",
            created_at=_datetime(item.get("createdAt"), "issue %s: message %s createdAt" % (issue_id, message_id)),
            subject=subject or None,
            order_ref=str(order_ref) if order_ref else None,
            attachments=_attachments(item),
        )

    def issue_chat_active(self, issue_id, *, cached=False):
        """Whether new messages may be sent in a dispute or claim (A1 currentState.chatActive).

        Asks Allegro (GET /sale/issues/{issueId}, beta.v1, A1 getIssueUsingGET) unless `cached` and the value was
        seen by the last fetch_new_issue_messages().
        """
        if cached and issue_id in self._chat_active:
            return self._chat_active[issue_id]
        path = "/sale/issues/%s" % quote(issue_id, safe="")
        issue = self._api("GET", path, version=BETA_V1)
        active = self._remember_chat_active(issue_id, issue)
        if not isinstance(active, bool):
            raise MalformedResponse("Allegro GET %s: the reply has no currentState.chatActive" % path, payload=issue)
        return active

    # ------------------------------------------------------------------------------------------------ sending

    def send_message(self, thread_id, text):
        """Post `text` in a Message Center thread; the new message's id.

        POST /messaging/threads/{threadId}/messages {"text"} (A1 newMessageInThreadPOST; text ≤ 2,000 characters),
        at most one per second for this user (A1). A closed POST_PURCHASE_ISSUE thread: ClosedConversation (A2:
        422 with errors[].code THREAD_CLOSED).
        """
        if not isinstance(text, str) or not text.strip():
            raise PermanentError("Allegro: an empty message cannot be sent")
        if _utf16_length(text) > MESSAGE_MAX_LENGTH:
            raise PermanentError("Allegro: the message has %d characters; Allegro accepts at most %d"
                                 % (_utf16_length(text), MESSAGE_MAX_LENGTH), code="TEXT_TOO_LONG")
        path = "/messaging/threads/%s/messages" % quote(thread_id, safe="")
        with self._pacer.slot():
            try:
                reply = self._api("POST", path, version=self.messaging_version, body={"text": text},
                                  expected=(200, 201))
            except ClosedConversation:
                raise
            except PermanentError as exc:
                if exc.status == 422 and "THREAD_CLOSED" in _error_codes(exc):
                    raise ClosedConversation(exc.message, status=exc.status, code="THREAD_CLOSED",
                                             payload=exc.payload) from exc
                raise
        return _require_id(reply, "POST " + path)  # A1 Message / A2 MessageVBeta1 .id

    def send_issue_message(self, issue_id, text):
        """Post `text` in a dispute or claim; the new message's id.

        Checks currentState.chatActive first (ClosedConversation without sending when false), then POST
        /sale/issues/{issueId}/message {"text", "type": "REGULAR"} (A1 addMessageToIssueUsingPOST, beta.v1; text
        ≤ 20,000). A 409 ("Dispute is in a state that forbids adding new messages", A1): ClosedConversation.
        """
        if not isinstance(text, str) or not text.strip():
            raise PermanentError("Allegro: an empty message cannot be sent")
        if _utf16_length(text) > ISSUE_MESSAGE_MAX_LENGTH:
            raise PermanentError("Allegro: the message has %d characters; Allegro accepts at most %d in a dispute"
                                 % (_utf16_length(text), ISSUE_MESSAGE_MAX_LENGTH), code="TEXT_TOO_LONG")
        if not self.issue_chat_active(issue_id):
            raise ClosedConversation("Allegro: the chat of issue %s is closed (chatActive false)" % issue_id,
                                     code="CHAT_INACTIVE")
        path = "/sale/issues/%s/message" % quote(issue_id, safe="")
        try:
            reply = self._api("POST", path, version=BETA_V1, body={"text": text, "type": "REGULAR"},
                              expected=(200, 201))
        except ClosedConversation:
            raise
        except PermanentError as exc:
            if exc.status == 409:
                self._chat_active[issue_id] = False
                raise ClosedConversation(exc.message, status=exc.status, code=exc.code or "CONFLICT",
                                         payload=exc.payload) from exc
            raise
        return _require_id(reply, "POST " + path)  # A1 PostPurchaseIssueMessage.id

