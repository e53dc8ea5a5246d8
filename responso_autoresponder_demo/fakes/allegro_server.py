"""A local fake Allegro (OAuth host and REST API on one port) on 127.0.0.1, for the connector tests.

It follows docs/marketplace-contract.md (source keys A1–A5, defined there with their public URLs):
* OAuth (A1 securitySchemes, A5): POST /auth/oauth/token with HTTP Basic client credentials, parameters in the
  query string or a form body: grant_type authorization_code (one-time codes, redirect_uri must match),
  refresh_token (a new pair each time; the old refresh token then gives 400 {"error": "invalid_grant",
  "error_description": "Invalid refresh token: …"} (#10107) and the old access token 401 (#4115)), and the
  device grant urn:ietf:params:oauth:grant-type:device_code (#2429, #8049). POST /auth/oauth/device starts a
  device flow; each code answers its `device_script` ("authorization_pending", "slow_down" – the latter is RFC
  8628 only, UNVERIFIED for Allegro) and then `device_outcome` ("tokens", "access_denied", "expired_token");
  an unknown code gives invalid_request "Invalid device code" (#11017). Bad client credentials: 401.
* API: `Authorization: Bearer …` (401 with the OAuth-style AuthError body otherwise, A1), `Accept` (and for a
  body `Content-Type`) application/vnd.allegro.public.v1+json or …beta.v1+json, checked per endpoint (406 / 415).
* /messaging/threads (A1 listThreadsGET, A2): newest last message first. public.v1: limit 1–20, offset
  0–15,000,000, ThreadsList{threads, offset, limit} without total, `lastMessageDateTime` nullable (per thread:
  `hide_last_message_date`). beta.v1: page.id cursor (like Allegro's "p=<date>;s=<id>" in base64), `nextPage`
  null on the last page, ThreadVBeta1 with type COMMON (participants USER/USER, as A2's example) or
  POST_PURCHASE_ISSUE (BUYER/SELLER, orders, status OPEN/CLOSED); offset is refused in beta.v1.
* /messaging/threads/{id}/messages (A1 listMessagesGET, A2): newest first. public.v1: limit 1–20, offset
  0–15,000, after/before exclusive, before + offset refused; beta.v1: page.id only (after/before/offset refused).
  Wrong limits or parameters: 422 with an ErrorsHolder body (A1 lists 422 "Incorrect limit, offset, after or
  before" for these calls).
* POST /messaging/threads/{id}/messages (A1 newMessageInThreadPOST): 1 request per second per user (429 when
  faster, measured with `clock`), text ≤ 2,000 (422), closed POST_PURCHASE_ISSUE thread → 422 THREAD_CLOSED (A2).
* /sale/issues (A1, beta.v1 only): limit 1–100 (default 10), offset, newest opened first; /sale/issues/{id};
  /sale/issues/{id}/chat (limit 1–100, default 10, offset, {chat: […]}, oldest first);
  POST /sale/issues/{id}/message {text ≤ 20,000, type}: 409 "Dispute is in a state that forbids adding new
  messages" when the chat is not active.

Error bodies use Allegro's ErrorsHolder shape {"errors": [{code, message, details, path, userMessage, metadata}]}.

Knobs (each takes `n` requests and an optional `path` substring the request path must contain, and `method`):
fail_next (5xx), rate_limit_next (429 with or without Retry-After), delay_next (slow answers, for timeouts),
malformed_next ("not_json", "truncated", "not_object", "missing_fields"), reject_auth_next (401 whatever the
token), expire_access_tokens(). Faults AFTER the request is applied (the message is stored, as on a marketplace
that accepted it): apply_then_delay_next (the answer comes after the client's read timeout), apply_then_fail_next
(a 5xx instead of the answer), apply_then_drop_next (the connection closes in the middle of the answer's body).
`requests` records what the client sent.

    with FakeAllegro() as fake:
        client = AllegroClient(store, api_url=fake.url, oauth_url=fake.url, ...)
"""

import base64
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:
    from .streaming import Stream
except ImportError:  # run as a script by serve.py (the demo's own process), beside streaming.py
    from streaming import Stream

UTC = timezone.utc
PUBLIC = "application/vnd.allegro.public.v1+json"
BETA = "application/vnd.allegro.beta.v1+json"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
THREAD_CLOSED_MESSAGE = "Cannot add a message to a closed POST_PURCHASE_ISSUE thread."  # A2's example
DISPUTE_CONFLICT_MESSAGE = "Dispute is in a state that forbids adding new messages"  # A1 409


def allegro_date(value):
    """Allegro's form of a date-time: 2020-11-13T12:45:20.818Z (A1 examples)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


def _parse_date(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def errors_body(code, message, *, user_message=None, path=None):
    """An Allegro ErrorsHolder body (A1 ErrorsHolder / Error)."""
    return {"errors": [{"code": code, "message": message, "details": None, "path": path,
                        "userMessage": user_message or message, "metadata": {}}]}


def _cursor(*parts):
    return base64.urlsafe_b64encode(";".join(parts).encode()).decode()


def _uncursor(value):
    try:
        return base64.urlsafe_b64decode(value.encode()).decode().split(";")
    except (ValueError, UnicodeDecodeError):
        return None


class _Reply(Exception):
    """Raised inside a route to answer at once."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict  # name -> first value
    headers: dict
    body: bytes

    @property
    def bearer(self):
        value = self.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def json(self):
        return json.loads(self.body.decode()) if self.body else None


@dataclass
class _Fault:
    kind: str  # "fail" | "rate_limit" | "delay" | "malformed" | "auth"
    remaining: int
    path: str | None
    method: str | None
    params: dict = field(default_factory=dict)

    def matches(self, method, path):
        return (self.remaining > 0 and (self.path is None or self.path in path)
                and (self.method is None or self.method == method))


@dataclass
class _Message:
    id: str
    thread_id: str
    text: str
    created_at: datetime
    login: str | None
    interlocutor: bool  # public.v1 author.isInterlocutor
    role: str  # beta.v1 author.role
    subject: str | None = None
    order_id: str | None = None
    attachments: tuple = ()  # ((fileName, url), ...) or ((fileName, url, status), ...)


@dataclass
class _Thread:
    id: str
    type: str  # COMMON | POST_PURCHASE_ISSUE
    status: str  # OPEN | CLOSED
    interlocutor: str
    created_at: datetime
    orders: list | None
    sub_type: str | None
    read: bool = False
    hide_last_message_date: bool = False
    messages: list = field(default_factory=list)

    @property
    def last_message_at(self):
        return max((m.created_at for m in self.messages), default=self.created_at)


@dataclass
class _Issue:
    id: str
    type: str  # DISPUTE | CLAIM
    status: str
    chat_active: bool
    opened_at: datetime
    checkout_form_id: str
    subject: str | None
    buyer_login: str
    conflict_on_post: bool = False  # chatActive still true, but the POST meets a 409 (a race)
    stale_last_message: datetime | None = None  # chat.lastMessage.createdAt as a stale value
    messages: list = field(default_factory=list)


class FakeAllegro:
    """The fake server. Use as a context manager, or call stop()."""

    def __init__(self, *, client_id="fake-client", client_secret="fake-secret", login="fake-seller",
                 clock=time.monotonic, access_ttl=43199, beta_page_size=20, send_interval=1.0,
                 device_interval=5, device_expires_in=3600):
        self.client_id = client_id
        self.client_secret = client_secret
        self.login = login
        self.clock = clock
        self.access_ttl = access_ttl
        self.beta_page_size = beta_page_size
        self.send_interval = send_interval
        self.device_interval = device_interval
        self.device_expires_in = device_expires_in
        self.device_script = ["authorization_pending"]
        self.device_outcome = "tokens"
        self.lock = threading.RLock()
        self.requests = []
        self.auth_codes = {}  # code -> redirect_uri
        self.access_tokens = {}  # access token -> login
        self.refresh_tokens = {}  # refresh token -> (login, access token issued with it)
        self.refresh_count = 0
        self.token_grants = []  # grant_type of every token issued
        self.devices = {}  # device_code -> {"script": [...], "outcome": str, "polls": int}
        self.threads = {}
        self.issues = {}
        # attachment id -> (status, body: bytes or Stream, headers) served at /messaging/message-attachments/<id>
        # instead of the default small file (redirects, large files)
        self.attachment_files = {}
        self.sent = []  # (path, json body) of every accepted send
        self._last_send = {}  # login -> clock() of the last send that was not refused with 429
        self._faults = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._serving = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-allegro",
                                         daemon=True)
        self._serving.start()

    # ---------------------------------------------------------------------------------------- life cycle

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._serving.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # ---------------------------------------------------------------------------------------- set-up

    def _next_id(self, prefix):
        return "%s-%04d" % (prefix, next(self._ids))

    def issue_tokens(self, login=None):
        """A fresh token pair, as the token endpoint would answer it (a dict)."""
        with self.lock:
            login = login or self.login
            access, refresh = "at-" + uuid.uuid4().hex, "rt-" + uuid.uuid4().hex
            self.access_tokens[access] = login
            self.refresh_tokens[refresh] = (login, access)
            return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                    "expires_in": self.access_ttl, "scope": "allegro:api:messaging allegro:api:disputes",
                    "allegro_api": True, "iss": "https://allegro.pl/", "jti": str(uuid.uuid4())}

    def add_auth_code(self, code, redirect_uri):
        with self.lock:
            self.auth_codes[code] = redirect_uri

    def expire_access_tokens(self):
        """Every access token issued so far now answers 401 (refresh tokens stay valid)."""
        with self.lock:
            self.access_tokens.clear()

    def add_thread(self, thread_id=None, *, type="COMMON", status="OPEN", interlocutor="buyer-1",
                   created_at=START, order_id=None, sub_type=None, hide_last_message_date=False):
        with self.lock:
            thread_id = thread_id or self._next_id("thread")
            orders = None
            if order_id:
                orders = [{"id": order_id, "offers": [{"id": "7778622952", "quantity": 1}]}]
            self.threads[thread_id] = _Thread(thread_id, type, status, interlocutor, created_at, orders,
                                              sub_type or ("OTHER" if type == "POST_PURCHASE_ISSUE" else None),
                                              hide_last_message_date=hide_last_message_date)
            return thread_id

    def add_message(self, thread_id, text, *, at, from_buyer=True, login="", role=None, message_id=None,
                    subject=None, order_id=None, attachments=()):
        """A message in a thread; `role` overrides the beta.v1 role (USER in COMMON threads, as A2's example);
        `login` None: no login (beta.v1 author.login is nullable, A2); left out: the buyer's or ours."""
        with self.lock:
            thread = self.threads[thread_id]
            if login == "":
                login = thread.interlocutor if from_buyer else self.login
            if role is None:
                role = "USER" if thread.type == "COMMON" else ("BUYER" if from_buyer else "SELLER")
            message = _Message(message_id or self._next_id("msg"), thread_id, text, at, login, from_buyer, role,
                               subject, order_id or (thread.orders[0]["id"] if thread.orders else None),
                               tuple(attachments))
            thread.messages.append(message)
            return message.id

    def add_issue(self, issue_id=None, *, type="DISPUTE", status="DISPUTE_ONGOING", chat_active=True,
                  opened_at=START, checkout_form_id=None, subject="Nie otrzymałem towaru", buyer_login="buyer-1"):
        with self.lock:
            issue_id = issue_id or str(uuid.uuid4())
            self.issues[issue_id] = _Issue(issue_id, type, status, chat_active, opened_at,
                                           checkout_form_id or str(uuid.uuid4()), subject, buyer_login)
            return issue_id

    def add_issue_message(self, issue_id, text, *, at, role="BUYER", login=None, message_id=None):
        """A chat message in an issue; no login for ADMIN, SYSTEM and FULFILLMENT (A1)."""
        with self.lock:
            issue = self.issues[issue_id]
            if login is None and role == "BUYER":
                login = issue.buyer_login
            elif login is None and role == "SELLER":
                login = self.login
            message = _Message(message_id or str(uuid.uuid4()), issue_id, text, at, login, role == "BUYER", role)
            issue.messages.append(message)
            return message.id

    # ---------------------------------------------------------------------------------------- knobs

    def _add_fault(self, fault_kind, n, path, method, **params):
        with self.lock:
            self._faults.append(_Fault(fault_kind, n, path, method, params))

    def fail_next(self, n=1, *, status=503, path=None, method=None):
        self._add_fault("fail", n, path, method, status=status)

    def rate_limit_next(self, n=1, *, retry_after=None, path=None, method=None):
        """429; `retry_after` (str) is sent as the Retry-After header when given (Allegro documents none, A4)."""
        self._add_fault("rate_limit", n, path, method, retry_after=retry_after)

    def delay_next(self, n=1, *, seconds=0.3, path=None, method=None):
        self._add_fault("delay", n, path, method, seconds=seconds)

    def malformed_next(self, n=1, *, kind="not_json", path=None, method=None):
        assert kind in ("not_json", "truncated", "not_object", "missing_fields")
        self._add_fault("malformed", n, path, method, kind=kind)

    def reject_auth_next(self, n=1, *, path=None, method=None):
        self._add_fault("auth", n, path, method)

    def apply_then_delay_next(self, n=1, *, seconds=0.3, path=None, method="POST"):
        """The request is applied, then its answer waits `seconds` (past the client's read timeout)."""
        self._add_fault("apply_delay", n, path, method, seconds=seconds)

    def apply_then_fail_next(self, n=1, *, status=502, path=None, method="POST"):
        """The request is applied, then answered with a 5xx (a gateway that lost the application's answer)."""
        self._add_fault("apply_fail", n, path, method, status=status)

    def apply_then_drop_next(self, n=1, *, path=None, method="POST"):
        """The request is applied, then the connection closes after half of the answer's body."""
        self._add_fault("apply_drop", n, path, method)

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    # ---------------------------------------------------------------------------------------- queries

    def requests_to(self, path, method=None):
        with self.lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def api_requests(self):
        with self.lock:
            return [r for r in self.requests if not r.path.startswith("/auth/")]

    # ---------------------------------------------------------------------------------------- dispatch

    def handle(self, method, raw_path, headers, body):
        """(status, body, extra headers); body is a dict/list (JSON) or bytes."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        lowered = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.requests.append(RecordedRequest(method, path, query, lowered, body))
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "delay":
            self._stopping.wait(fault.params["seconds"])
        elif fault is not None and fault.kind == "fail":
            status = fault.params["status"]
            return status, errors_body("InternalServerError" if status == 500 else "ServiceUnavailable",
                                       "Temporary failure, try again later", path=path), {}
        elif fault is not None and fault.kind == "rate_limit":
            extra = {"Retry-After": fault.params["retry_after"]} if fault.params["retry_after"] else {}
            return 429, errors_body("TooManyRequestsException", "Too many requests", path=path), extra
        elif fault is not None and fault.kind == "auth":
            return 401, {"error": "invalid_token", "error_description": "Access token expired"}, {}
        try:
            status, reply, extra = self._route(method, path, query, lowered, body)
        except _Reply as reply_exc:
            status, reply, extra = reply_exc.status, reply_exc.body, reply_exc.headers
        if fault is not None and fault.kind == "apply_delay":
            self._stopping.wait(fault.params["seconds"])
        elif fault is not None and fault.kind == "apply_fail":
            status = fault.params["status"]
            return status, errors_body("BadGateway", "The upstream server did not answer in time", path=path), {}
        elif fault is not None and fault.kind == "apply_drop":
            extra = dict(extra, **{"X-Fake-Drop": "1"})
        if fault is not None and fault.kind == "malformed" and 200 <= status < 300:
            kind = fault.params["kind"]
            if kind == "not_json":
                return status, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}
            if kind == "truncated":
                return status, json.dumps(reply).encode()[:25], {}
            if kind == "not_object":
                return status, ["unexpected"], {}
            return status, {"unexpected": True}, {}
        return status, reply, extra

    def _route(self, method, path, query, headers, body):
        parts = [p for p in path.split("/") if p]
        if path == "/auth/oauth/token" and method == "POST":
            return self._token(query, headers, body)
        if path == "/auth/oauth/device" and method == "POST":
            return self._device(query, headers, body)
        if parts[:2] == ["messaging", "threads"]:
            if len(parts) == 2 and method == "GET":
                version = self._media(headers, (PUBLIC, BETA), path)
                login = self._user(headers)
                return self._list_threads(version, query, login, path)
            if len(parts) == 4 and parts[3] == "messages":
                thread = self._thread(parts[2], path)
                if method == "GET":
                    version = self._media(headers, (PUBLIC, BETA), path)
                    self._user(headers)
                    return self._list_messages(version, thread, query, path)
                if method == "POST":
                    version = self._media(headers, (PUBLIC, BETA), path, body=True)
                    login = self._user(headers)
                    return self._send(version, thread, login, body, path)
        if parts[:2] == ["messaging", "message-attachments"] and len(parts) == 3 and method == "GET":
            return self._attachment(parts[2], headers)
        if parts[:2] == ["sale", "issues"]:
            self._media(headers, (BETA,), path, body=method == "POST")  # A1: beta.v1 only
            self._user(headers)
            if len(parts) == 2 and method == "GET":
                return self._list_issues(query, path)
            if len(parts) >= 3:
                issue = self.issues.get(parts[2])
                if issue is None:
                    raise _Reply(404, errors_body("NOT_FOUND", "Issue not found", path=path))
                if len(parts) == 3 and method == "GET":
                    return 200, self._render_issue(issue), {}
                if parts[3:] == ["chat"] and method == "GET":
                    return self._issue_chat(issue, query, path)
                if parts[3:] == ["message"] and method == "POST":
                    return self._issue_post(issue, body, path)
        raise _Reply(404, errors_body("NotFoundException", "Not found", path=path))

    def _attachment(self, attachment_id, headers):
        self._user(headers)  # attachments are downloaded with the seller's token
        if attachment_id in self.attachment_files:
            status, content, extra = self.attachment_files[attachment_id]
            return status, content, dict(extra)
        return 200, ("attachment %s" % attachment_id).encode(), {"Content-Type": "application/octet-stream"}

    # ---------------------------------------------------------------------------------------- OAuth

    def _client_ok(self, headers):
        value = headers.get("authorization", "")
        if not value.startswith("Basic "):
            return False
        try:
            user, _, secret = base64.b64decode(value[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.client_id and secret == self.client_secret

    @staticmethod
    def _form(query, body):
        params = dict(query)
        if body:
            params.update({k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        return params

    @staticmethod
    def _oauth_error(status, error, description):
        raise _Reply(status, {"error": error, "error_description": description})

    def _token(self, query, headers, body):
        if not self._client_ok(headers):
            self._oauth_error(401, "Unauthorized", "Unauthorized")  # A5 #10958
        params = self._form(query, body)
        grant = params.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = params.get("code")
                if code not in self.auth_codes or self.auth_codes[code] != params.get("redirect_uri"):
                    self._oauth_error(400, "invalid_grant", "Invalid authorization code: %s" % code)
                del self.auth_codes[code]
            elif grant == "refresh_token":
                refresh = params.get("refresh_token")
                if refresh not in self.refresh_tokens:
                    self._oauth_error(400, "invalid_grant", "Invalid refresh token: %s" % refresh)  # A5 #10107
                _login, old_access = self.refresh_tokens.pop(refresh)  # the old pair dies (A5 #9045, #4115)
                self.access_tokens.pop(old_access, None)
                self.refresh_count += 1
            elif grant == DEVICE_GRANT:
                self._device_poll(params.get("device_code"))
            else:
                self._oauth_error(400, "unsupported_grant_type", "Unsupported grant type: %s" % grant)
            self.token_grants.append(grant)
            return 200, self.issue_tokens(), {}

    def _device(self, query, headers, body):
        if not self._client_ok(headers):
            self._oauth_error(401, "Unauthorized", "Unauthorized")
        params = self._form(query, body)
        if params.get("client_id") != self.client_id:
            self._oauth_error(400, "invalid_request", "Missing or invalid client_id")
        with self.lock:
            device_code = "dc-" + uuid.uuid4().hex
            user_code = uuid.uuid4().hex[:9].upper()
            self.devices[device_code] = {"script": list(self.device_script), "outcome": self.device_outcome,
                                         "polls": 0}
        return 200, {"device_code": device_code, "user_code": user_code, "expires_in": self.device_expires_in,
                     "interval": self.device_interval, "verification_uri": "https://allegro.pl/skojarz-aplikacje",
                     "verification_uri_complete": "https://allegro.pl/skojarz-aplikacje?code=%s" % user_code}, {}

    def _device_poll(self, device_code):
        state = self.devices.get(device_code)
        if state is None:
            self._oauth_error(400, "invalid_request", "Invalid device code")  # A5 #11017
        state["polls"] += 1
        if state["script"]:
            step = state["script"].pop(0)
            descriptions = {"authorization_pending": "User has not authorized the device code yet.",  # A5 #2429
                            "slow_down": "Polling too fast."}  # RFC 8628, UNVERIFIED for Allegro
            self._oauth_error(400, step, descriptions.get(step, step))
        if state["outcome"] == "access_denied":
            self._oauth_error(400, "access_denied", "User denied access to the application.")
        if state["outcome"] == "expired_token":
            self._oauth_error(400, "expired_token", "Device code expired.")
        del self.devices[device_code]  # one-time: a second poll meets invalid_request

    # ---------------------------------------------------------------------------------------- API helpers

    def _media(self, headers, allowed, path, body=False):
        accept = headers.get("accept", "")
        if accept not in allowed:
            raise _Reply(406, errors_body("NotAcceptableException",
                                          "Accept must be one of %s, not %r" % (", ".join(allowed), accept),
                                          path=path))
        if body and headers.get("content-type", "").split(";")[0].strip() != accept:
            raise _Reply(415, errors_body("UnsupportedMediaTypeException",
                                          "Content-Type must be %s" % accept, path=path))
        return "public.v1" if accept == PUBLIC else "beta.v1"

    def _user(self, headers):
        value = headers.get("authorization", "")
        token = value[7:] if value.startswith("Bearer ") else None
        with self.lock:
            login = self.access_tokens.get(token)
        if login is None:
            raise _Reply(401, {"error": "invalid_token", "error_description": "Invalid access token"})
        return login

    @staticmethod
    def _int(query, name, default, low, high, path):
        raw = query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise _Reply(422, errors_body("VALIDATION_ERROR", "Incorrect %s: %r (allowed %s-%s)"
                                          % (name, raw, low, high if high is not None else "…"), path=path))
        return value

    @staticmethod
    def _refuse(query, names, version, path):
        for name in names:
            if name in query:
                raise _Reply(422, errors_body("VALIDATION_ERROR", "Parameter %s is not available for %s"
                                              % (name, version), path=path))

    def _thread(self, thread_id, path):
        thread = self.threads.get(thread_id)
        if thread is None:
            raise _Reply(404, errors_body("THREAD_NOT_FOUND", "No thread with such Id [%s]" % thread_id,
                                          user_message="Wątek nie istnieje", path=path))  # A1 shape, #13123
        return thread

    def _page(self, items, query, key, path):
        """Keyset paging with a page.id cursor (beta.v1); `key(item)` is the sort key, newest first."""
        size = self._int(query, "limit", self.beta_page_size, 1, 20, path)
        start = 0
        if "page.id" in query:
            parts = _uncursor(query["page.id"])
            if not parts or len(parts) != 2:
                raise _Reply(422, errors_body("VALIDATION_ERROR", "Invalid page.id", path=path))
            start = len(items)
            for index, item in enumerate(items):
                if key(item) == tuple(parts):
                    start = index + 1
                    break
        chunk = items[start:start + size]
        next_page = None
        if start + size < len(items):
            next_page = {"id": _cursor(*key(chunk[-1]))}
        return chunk, next_page

    # ---------------------------------------------------------------------------------------- messaging

    def _render_thread(self, thread, version):
        last = None if thread.hide_last_message_date else allegro_date(thread.last_message_at)
        if version == "public.v1":  # A1 Thread
            return {"id": thread.id, "read": thread.read, "lastMessageDateTime": last,
                    "interlocutor": {"login": thread.interlocutor, "avatarUrl": None}}
        if thread.type == "COMMON":  # A2 example: both participants USER
            participants = [{"role": "USER", "login": thread.interlocutor}, {"role": "USER", "login": self.login}]
        else:
            participants = [{"role": "BUYER", "login": thread.interlocutor}, {"role": "SELLER", "login": self.login}]
        return {"id": thread.id, "read": thread.read, "type": thread.type,  # A2 ThreadVBeta1
                "createdAt": allegro_date(thread.created_at), "lastMessageDateTime": last,
                "participants": participants, "orders": thread.orders, "subType": thread.sub_type,
                "status": thread.status}

    @staticmethod
    def _render_message(message, version):
        order = {"id": message.order_id} if message.order_id else None
        body = {"id": message.id, "status": "DELIVERED", "type": "MESSAGE_CENTER",
                "createdAt": allegro_date(message.created_at), "text": message.text, "subject": message.subject,
                "relatesTo": {"offer": None, "order": order}, "hasAdditionalAttachments": False,
                "attachments": [{"fileName": item[0], "mimeType": "image/jpeg", "url": item[1],
                                 "status": item[2] if len(item) > 2 else "SAFE"}
                                for item in message.attachments],
                "additionalInformation": None}
        if version == "public.v1":  # A1 Message
            body["thread"] = {"id": message.thread_id}
            body["author"] = {"login": message.login, "isInterlocutor": message.interlocutor}
        else:  # A2 MessageVBeta1: no thread; author {role, login}; attachments have an id
            body["author"] = {"role": message.role, "login": message.login}
            for attachment in body["attachments"]:
                attachment["id"] = str(uuid.uuid4())
        return body

    def _sorted_threads(self):
        return sorted(self.threads.values(), key=lambda t: (t.last_message_at, t.id), reverse=True)

    def _list_threads(self, version, query, login, path):
        with self.lock:
            threads = self._sorted_threads()
            if version == "public.v1":
                self._refuse(query, ["page.id"], version, path)
                limit = self._int(query, "limit", 20, 1, 20, path)
                offset = self._int(query, "offset", 0, 0, 15000000, path)
                chunk = threads[offset:offset + limit]
                return 200, {"threads": [self._render_thread(t, version) for t in chunk],
                             "offset": offset, "limit": limit}, {}  # A1 ThreadsList: no total
            self._refuse(query, ["offset"], version, path)
            chunk, next_page = self._page(threads, query, lambda t: (allegro_date(t.last_message_at), t.id), path)
            return 200, {"threads": [self._render_thread(t, version) for t in chunk], "nextPage": next_page}, {}

    def _list_messages(self, version, thread, query, path):
        with self.lock:
            messages = sorted(thread.messages, key=lambda m: (m.created_at, m.id), reverse=True)
            if version == "public.v1":
                self._refuse(query, ["page.id"], version, path)
                limit = self._int(query, "limit", 20, 1, 20, path)
                offset = self._int(query, "offset", 0, 0, 15000, path)
                if "before" in query and "offset" in query:
                    raise _Reply(422, errors_body("VALIDATION_ERROR", "before cannot be used with offset",
                                                  path=path))
                try:
                    after = _parse_date(query["after"]) if "after" in query else None
                    before = _parse_date(query["before"]) if "before" in query else None
                except ValueError:
                    raise _Reply(422, errors_body("VALIDATION_ERROR", "Incorrect after or before",
                                                  path=path)) from None
                messages = [m for m in messages if (after is None or m.created_at > after)
                            and (before is None or m.created_at < before)]
                chunk = messages[offset:offset + limit]
                return 200, {"messages": [self._render_message(m, version) for m in chunk],
                             "offset": offset, "limit": limit}, {}
            self._refuse(query, ["offset", "after", "before"], version, path)  # A2: public.v1 only
            chunk, next_page = self._page(messages, query, lambda m: (allegro_date(m.created_at), m.id), path)
            return 200, {"messages": [self._render_message(m, version) for m in chunk], "nextPage": next_page}, {}

    def _send(self, version, thread, login, body, path):
        with self.lock:
            now = self.clock()
            last = self._last_send.get(login)
            if last is not None and now - last < self.send_interval:
                raise _Reply(429, errors_body("TooManyRequestsException",
                                              "Too many requests: 1 request per second for a user", path=path))
            self._last_send[login] = now
            try:
                data = json.loads(body.decode())
            except ValueError:
                raise _Reply(400, errors_body("BAD_REQUEST", "Malformed JSON", path=path)) from None
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str) or not text:
                raise _Reply(422, errors_body("VALIDATION_ERROR", "text must not be empty", path=path))
            if len(text) > 2000:
                raise _Reply(422, errors_body("VALIDATION_ERROR", "text: size must be between 0 and 2000",
                                              user_message="Wiadomość jest za długa", path=path))
            if thread.type == "POST_PURCHASE_ISSUE" and thread.status == "CLOSED":
                raise _Reply(422, errors_body("THREAD_CLOSED", THREAD_CLOSED_MESSAGE, path=path))  # A2
            self.sent.append((path, data))
            message_id = self.add_message(thread.id, text, at=datetime.now(UTC), from_buyer=False)
            return 201, self._render_message(thread.messages[-1], version), {"Location": message_id}

    # ---------------------------------------------------------------------------------------- issues

    def _render_issue(self, issue):  # A1 PostPurchaseIssue (main fields)
        last = issue.messages[-1] if issue.messages else None
        last_at = issue.stale_last_message or (last.created_at if last else None)
        status = None
        if last is not None:
            status = {"BUYER": "BUYER_REPLIED", "SELLER": "SELLER_REPLIED"}.get(last.role, "ALLEGRO_ADVISOR_REPLIED")
        return {
            "id": issue.id, "type": issue.type, "referenceNumber": None, "decisionDueDate": None,
            "openedDate": allegro_date(issue.opened_at), "subject": issue.subject,
            "buyer": {"id": "93975873", "login": issue.buyer_login},
            "checkoutForm": {"id": issue.checkout_form_id, "createdAt": allegro_date(issue.opened_at)},
            "currentState": {"status": issue.status, "statusDueDate": None, "returnRequired": None,
                             "chatActive": issue.chat_active},
            "chat": {"lastMessage": {"status": status, "createdAt": allegro_date(last_at)} if last_at else None,
                     "messagesCount": len(issue.messages),
                     "initialMessage": self._render_chat(issue.messages[0]) if issue.messages else None},
            "expectations": [], "description": None, "offer": None, "product": None, "reason": None,
            "right": "WARRANTY", "attachments": [],
        }

    @staticmethod
    def _render_chat(message):  # A1 PostPurchaseIssueChatMessage
        author = {"role": message.role}
        if message.login is not None:  # "Not present if role is ADMIN, SYSTEM or FULFILLMENT" (A1)
            author["login"] = message.login
        return {"id": message.id, "text": message.text, "attachments": [], "author": author,
                "createdAt": allegro_date(message.created_at)}

    def _list_issues(self, query, path):
        with self.lock:
            limit = self._int(query, "limit", 10, 1, 100, path)
            offset = self._int(query, "offset", 0, 0, None, path)
            issues = sorted(self.issues.values(), key=lambda i: (i.opened_at, i.id), reverse=True)
            return 200, {"issues": [self._render_issue(i) for i in issues[offset:offset + limit]]}, {}

    def _issue_chat(self, issue, query, path):
        with self.lock:
            limit = self._int(query, "limit", 10, 1, 100, path)
            offset = self._int(query, "offset", 0, 0, None, path)
            chat = sorted(issue.messages, key=lambda m: (m.created_at, m.id))
            return 200, {"chat": [self._render_chat(m) for m in chat[offset:offset + limit]]}, {}

    def _issue_post(self, issue, body, path):
        with self.lock:
            try:
                data = json.loads(body.decode())
            except ValueError:
                raise _Reply(400, errors_body("BAD_REQUEST", "Malformed JSON", path=path)) from None
            if not issue.chat_active or issue.conflict_on_post:
                raise _Reply(409, errors_body("CONFLICT", DISPUTE_CONFLICT_MESSAGE, path=path))  # A1
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str) or not text or len(text) > 20000:
                raise _Reply(422, errors_body("VALIDATION_ERROR", "text: size must be between 1 and 20000",
                                              path=path))
            if data.get("type") not in ("REGULAR", "END_REQUEST", "RETURN_REQUIRED_SELLER_LABEL",
                                        "RETURN_REQUIRED_CUSTOM", "RETURN_NOT_REQUIRED"):  # A1 MessageRequest.type
                raise _Reply(422, errors_body("VALIDATION_ERROR", "type is invalid", path=path))
            self.sent.append((path, data))
            message_id = self.add_issue_message(issue.id, text, at=datetime.now(UTC), role="SELLER")
            return 201, self._render_chat(issue.messages[-1]), {"Location": message_id}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAllegro/1.0"
    timeout = 10  # an idle keep-alive connection's thread ends after this
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    fake = None  # set on the subclass built per server

    def log_message(self, format, *args):  # quiet
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, reply, extra = self.fake.handle(self.command, self.path, dict(self.headers.items()), body)
        except Exception as exc:  # a bug in the fake: answer 500 with its words rather than drop the connection
            status, reply, extra = 500, errors_body("FakeAllegroBug", "%s: %s" % (type(exc).__name__, exc)), {}
        if isinstance(reply, Stream):
            try:
                self.send_response(status)
                self.send_header("Content-Type", extra.pop("Content-Type", "application/octet-stream"))
                for name, value in extra.items():
                    self.send_header(name, value)
                reply.send(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        if isinstance(reply, bytes):
            data = reply
            content_type = extra.pop("Content-Type", "application/json")
        else:
            data = json.dumps(reply).encode()
            content_type = "application/json"
            accept = self.headers.get("Accept", "")
            if status < 400 and accept in (PUBLIC, BETA):
                content_type = accept
        drop = extra.pop("X-Fake-Drop", None)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if drop:  # half of the body, then the connection closes: the client sees a broken answer
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve


__all__ = ["FakeAllegro", "RecordedRequest", "errors_body", "allegro_date", "PUBLIC", "BETA", "START",
           "DEVICE_GRANT"]
