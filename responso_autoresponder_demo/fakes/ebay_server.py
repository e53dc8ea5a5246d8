"""A local fake eBay (OAuth token endpoint + Message API) on 127.0.0.1, for the connector tests.

It follows docs/marketplace-contract.md (E1 Message API, E2 OAuth; public URLs there):
* POST /identity/v1/oauth2/token: Basic client credentials; grant_type authorization_code (one-time codes,
  redirect_uri must match) or refresh_token (no new refresh token in the answer, as E2 shows); a bad code or
  refresh token gives 400 {"error": "invalid_grant", "error_description": …}, bad client credentials 401;
* /commerce/message/v1/*: `Authorization: Bearer <token>`; an unknown or expired token gives 401 with an eBay
  errors[] body (errorId 1001, modelled on what eBay answers);
* GET /conversation?conversation_type=FROM_EBAY|FROM_MEMBERS (required), limit 1–50 (default 25, > 50 → 400),
  offset; newest latest message first; `next` / `prev` links while there is more;
* GET /conversation/{id}?conversation_type=… with limit/offset paging, messages oldest first;
* POST /send_message {conversationId, messageText}: stores the message (sent by the seller) and answers
  SendMessageResponse with senderUserName / recipientUserName (capital N, E1).

Knobs the tests turn (each takes `n` requests and an optional `path` substring the request must contain):
fail_next (500/503), rate_limit_next (429 with or without Retry-After), delay_next (slow answers, for timeouts),
malformed_next ("not_json", "not_object" or "missing_fields"), reject_auth_next (401 whatever the token),
expire_access_token(). Faults AFTER the request is applied (the message is stored, as on a marketplace that
accepted it): apply_then_delay_next (the answer comes after the client's read timeout), apply_then_fail_next (a
5xx instead of the answer), apply_then_drop_next (the connection closes in the middle of the answer's body).
`requests` records what the client sent.

    with FakeEbay() as fake:
        client = EbayClient(store, base_url=fake.url, ...)
"""

import base64
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

try:
    from .streaming import Stream
except ImportError:  # run as a script by serve.py (the demo's own process), beside streaming.py
    from streaming import Stream

_logger = logging.getLogger(__name__)

UTC = timezone.utc
TOKEN_PATH = "/identity/v1/oauth2/token"
API = "/commerce/message/v1"
CONVERSATION_TYPES = ("FROM_EBAY", "FROM_MEMBERS")
MAX_LIMIT = 50
DEFAULT_LIMIT = 25
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def ebay_date(value):
    """eBay's ISO 8601 form: 2026-11-20T09:00:00.000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


def ebay_errors(error_id, message, long_message=None, category="REQUEST", domain="API_MESSAGE"):
    return {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message,
                        "longMessage": long_message or message}]}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict  # name -> first value
    headers: dict
    body: bytes


@dataclass
class _Fault:
    kind: str  # "fail" | "rate_limit" | "delay" | "malformed" | "auth"
    remaining: int
    path: str | None
    params: dict = field(default_factory=dict)


@dataclass
class _Conversation:
    conversation_id: str
    conversation_type: str
    other_party: str
    title: str
    reference_id: str
    created: datetime
    messages: list = field(default_factory=list)  # dicts shaped like E1 MessageDetail, plus "_created"


class _Reply(Exception):
    def __init__(self, status, payload=None, *, headers=None, raw=None, content_type="application/json"):
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = headers or {}
        self.raw = raw
        self.content_type = content_type


class FakeEbay:
    CLIENT_ID = "fake-client-id"
    CLIENT_SECRET = "fake-client-secret"
    REDIRECT_URI = "Fake_Shop-FakeShop-Respon-abcdef"  # an RuName
    ACCESS_TTL = 7200  # seconds, as eBay's user tokens (about 2 h, E2)

    def __init__(self, *, seller="fake_seller"):
        self.seller = seller
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._conversations = {}  # id -> _Conversation, insertion order
        self._codes = {}  # authorization code -> redirect_uri
        self._access = {}  # access token -> expires (aware datetime)
        self._refresh_tokens = set()
        self._faults = []
        self.requests = []
        self.grants = []  # grant_type of every successful token request
        self.scopes = []  # scope sent with every refresh_token grant (None when absent)
        self.sent = []  # messages posted through send_message
        # path under /media/ -> (status, body: bytes or Stream, headers), instead of the default small picture
        # (redirects, large files)
        self.media_files = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-ebay", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ life cycle

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # ------------------------------------------------------------------ data

    def _next_created(self):
        return START + timedelta(minutes=next(self._clock))

    def has_conversation(self, conversation_id):
        with self._lock:
            return conversation_id in self._conversations

    def add_conversation(self, conversation_id=None, *, other_party="buyer_anna", conversation_type="FROM_MEMBERS",
                         title="Re: Vintage lamp", reference_id="110123456789", created=None):
        with self._lock:
            conversation_id = conversation_id or "c-%d" % next(self._ids)
            self._conversations[conversation_id] = _Conversation(
                conversation_id, conversation_type, other_party, title, reference_id, created or self._next_created())
            return conversation_id

    def add_message(self, conversation_id, text="Where is my parcel?", *, sender=None, created=None, message_id=None,
                    media=()):
        """A message in the conversation, from the other party unless `sender` says otherwise; its id."""
        with self._lock:
            return self._add_message(self._conversations[conversation_id], text, sender=sender, created=created,
                                     message_id=message_id, media=media)

    def _add_message(self, conversation, text, *, sender=None, created=None, message_id=None, media=()):
        sender = sender or conversation.other_party
        created = created or self._next_created()
        recipient = self.seller if sender != self.seller else conversation.other_party
        message = {
            "messageId": message_id or "m-%d" % next(self._ids),
            "messageBody": text,
            "subject": conversation.title,
            "createdDate": ebay_date(created),
            "readStatus": False,
            "senderUsername": sender,
            "recipientUsername": recipient,
            "messageMedia": [{"mediaName": name, "mediaType": "IMAGE", "mediaUrl": url} for name, url in media],
            "_created": created,
        }
        conversation.messages.append(message)
        conversation.messages.sort(key=lambda m: m["_created"])
        return message["messageId"]

    # ------------------------------------------------------------------ auth

    def issue_code(self, code="auth-code-1", redirect_uri=None):
        with self._lock:
            self._codes[code] = redirect_uri or self.REDIRECT_URI
        return code

    def issue_token(self, *, expires_in=None):
        """A valid token pair without going through the consent page: {access_token, refresh_token, expires_in}."""
        with self._lock:
            return self._issue(new_refresh=True, expires_in=expires_in)

    def _issue(self, *, new_refresh, expires_in=None):
        expires_in = self.ACCESS_TTL if expires_in is None else expires_in
        access = "v^1.1#fake-access-%d" % next(self._ids)
        self._access[access] = datetime.now(UTC) + timedelta(seconds=expires_in)
        answer = {"access_token": access, "expires_in": expires_in, "token_type": "User Access Token"}
        if new_refresh:
            refresh = "v^1.1#fake-refresh-%d" % next(self._ids)
            self._refresh_tokens.add(refresh)
            answer.update(refresh_token=refresh, refresh_token_expires_in=47304000)
        return answer

    def expire_access_token(self, token=None):
        """Every access token issued so far (or just `token`) now gets 401."""
        with self._lock:
            for access in [token] if token else list(self._access):
                self._access[access] = datetime.now(UTC) - timedelta(seconds=1)

    def revoke_refresh_tokens(self):
        with self._lock:
            self._refresh_tokens.clear()

    @property
    def refresh_count(self):
        return self.grants.count("refresh_token")

    # ------------------------------------------------------------------ knobs

    def _add_fault(self, fault_kind, n, path, **params):
        with self._lock:
            self._faults.append(_Fault(fault_kind, n, path, params))

    def fail_next(self, n=1, status=500, *, path=None):
        self._add_fault("fail", n, path, status=status)

    def rate_limit_next(self, n=1, *, retry_after=None, path=None):
        """429; `retry_after` is the raw Retry-After header value (seconds or an HTTP-date), None for none."""
        self._add_fault("rate_limit", n, path, retry_after=retry_after)

    def delay_next(self, seconds, n=1, *, path=None):
        self._add_fault("delay", n, path, seconds=seconds)

    def malformed_next(self, kind="not_json", n=1, *, path=None):
        if kind not in ("not_json", "not_object", "missing_fields"):
            raise ValueError(kind)
        self._add_fault("malformed", n, path, kind=kind)

    def reject_auth_next(self, n=1, *, path=None):
        self._add_fault("auth", n, path)

    def apply_then_delay_next(self, seconds, n=1, *, path="/send_message"):
        """The request is applied, then its answer waits `seconds` (past the client's read timeout)."""
        self._add_fault("apply_delay", n, path, seconds=seconds)

    def apply_then_fail_next(self, n=1, status=502, *, path="/send_message"):
        """The request is applied, then answered with a 5xx (a gateway that lost the application's answer)."""
        self._add_fault("apply_fail", n, path, status=status)

    def apply_then_drop_next(self, n=1, *, path="/send_message"):
        """The request is applied, then the connection closes after half of the answer's body."""
        self._add_fault("apply_drop", n, path)

    def _take_faults(self, path):
        """The faults this request triggers: at most one of each kind, the oldest first."""
        taken = {}
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.kind not in taken and (fault.path is None or fault.path in path):
                    fault.remaining -= 1
                    taken[fault.kind] = fault.params
            self._faults = [fault for fault in self._faults if fault.remaining > 0]
        return taken

    # ------------------------------------------------------------------ observation

    def api_requests(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path.startswith(path))]

    def messages(self, conversation_id):
        with self._lock:
            return [{k: v for k, v in m.items() if not k.startswith("_")}
                    for m in self._conversations[conversation_id].messages]

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._serve(self, "GET")

            def do_POST(self):
                fake._serve(self, "POST")

            def log_message(self, *args):
                pass

        return Handler

    def _serve(self, handler, method):
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {name: values[0] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        request = RecordedRequest(method, split.path, query, dict(handler.headers.items()), body)
        with self._lock:
            self.requests.append(request)
        faults = self._take_faults(split.path)
        if "delay" in faults:
            time.sleep(faults["delay"]["seconds"])
        try:
            self._apply_faults(faults)
            payload = self._route(request, strip="missing_fields" == faults.get("malformed", {}).get("kind"))
            reply = _Reply(200, payload)
        except _Reply as exc:
            reply = exc
        if "apply_delay" in faults:
            time.sleep(faults["apply_delay"]["seconds"])
        if "apply_fail" in faults:
            reply = _Reply(faults["apply_fail"]["status"], ebay_errors(
                10001, "System error", "There was a problem with an eBay internal system or process.",
                category="APPLICATION"))
        self._send(handler, reply, drop="apply_drop" in faults)

    def _apply_faults(self, faults):
        if "fail" in faults:
            status = faults["fail"]["status"]
            raise _Reply(status, ebay_errors(10001, "System error", "There was a problem with an eBay internal "
                                             "system or process.", category="APPLICATION", domain="API_MESSAGE"))
        if "rate_limit" in faults:
            retry_after = faults["rate_limit"]["retry_after"]
            raise _Reply(429, ebay_errors(2001, "Too many requests", "The request limit has been reached for the "
                                          "resource."), headers={"Retry-After": str(retry_after)} if retry_after
                         is not None else {})
        if "auth" in faults:
            raise _Reply(401, ebay_errors(1001, "Invalid access token", "Invalid access token. Check the value of "
                                          "the Authorization HTTP request header.", domain="OAuth"))
        kind = faults.get("malformed", {}).get("kind")
        if kind == "not_json":
            raise _Reply(200, raw=b"<html><body>Service temporarily unavailable</body></html>",
                         content_type="text/html")
        if kind == "not_object":
            raise _Reply(200, raw=b'["unexpected"]')

    @staticmethod
    def _send(handler, reply, drop=False):
        if isinstance(reply.raw, Stream):
            try:
                handler.send_response(reply.status)
                handler.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    handler.send_header(name, value)
                reply.raw.send(handler)
            except (BrokenPipeError, ConnectionResetError):
                _logger.debug("the client stopped reading (size cap)")
            return
        raw = reply.raw if reply.raw is not None else json.dumps(reply.payload).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if drop:  # half of the body, then the connection closes: the client sees a broken answer
                handler.wfile.write(raw[:len(raw) // 2])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            _logger.debug("the client gave up before the reply (timeout test)")

    def _route(self, request, *, strip):
        if request.method == "POST" and request.path == TOKEN_PATH:
            return self._token(request, strip=strip)
        if request.method == "GET" and request.path.startswith("/media/"):  # public picture hosting
            if request.path[len("/media/"):] in self.media_files:
                status, content, extra = self.media_files[request.path[len("/media/"):]]
                raise _Reply(status, raw=content, headers=dict(extra), content_type="image/jpeg")
            raise _Reply(200, raw=("media %s" % request.path[len("/media/"):]).encode(),
                         content_type="image/jpeg")
        if not request.path.startswith(API + "/"):
            raise _Reply(404, ebay_errors(2002, "Resource not found"))
        self._check_bearer(request)
        rest = request.path[len(API):]
        if request.method == "GET" and rest == "/conversation":
            return self._list_conversations(request, strip=strip)
        if request.method == "GET" and rest.startswith("/conversation/"):
            return self._get_conversation(request, unquote(rest[len("/conversation/"):]), strip=strip)
        if request.method == "POST" and rest == "/send_message":
            return self._send_message(request, strip=strip)
        raise _Reply(404, ebay_errors(2002, "Resource not found"))

    # ------------------------------------------------------------------ OAuth (E2)

    def _token(self, request, *, strip):
        expected = base64.b64encode(("%s:%s" % (self.CLIENT_ID, self.CLIENT_SECRET)).encode()).decode()
        if request.headers.get("Authorization") != "Basic " + expected:
            raise _Reply(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                redirect_uri = self._codes.pop(form.get("code"), None)
                if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                    raise _Reply(400, {"error": "invalid_grant", "error_description": "the provided authorization "
                                       "grant code is invalid or was issued to another client"})
                answer = self._issue(new_refresh=True)
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self._refresh_tokens:
                    raise _Reply(400, {"error": "invalid_grant", "error_description": "the provided authorization "
                                       "refresh token is invalid or was issued to another client"})
                self.scopes.append(form.get("scope"))
                answer = self._issue(new_refresh=False)  # E2: no new refresh token in the answer
            else:
                raise _Reply(400, {"error": "unsupported_grant_type",
                                   "error_description": "grant type in request is not supported by the "
                                   "authorization server"})
            self.grants.append(grant)
        if strip:
            answer.pop("access_token")
        return answer

    def _check_bearer(self, request):
        value = request.headers.get("Authorization") or ""
        token = value[len("Bearer "):] if value.startswith("Bearer ") else None
        with self._lock:
            expires = self._access.get(token)
        if expires is None or expires <= datetime.now(UTC):
            raise _Reply(401, ebay_errors(1001, "Invalid access token", "Invalid access token. Check the value of "
                                          "the Authorization HTTP request header.", domain="OAuth"))

    # ------------------------------------------------------------------ Message API (E1)

    @staticmethod
    def _paging(request):
        kind = request.query.get("conversation_type")
        if kind not in CONVERSATION_TYPES:
            raise _Reply(400, ebay_errors(355001, "The 'conversation_type' value is invalid or missing.",
                                          "The 'conversation_type' query parameter is required: FROM_EBAY or "
                                          "FROM_MEMBERS."))
        try:
            limit = int(request.query.get("limit", DEFAULT_LIMIT))
            offset = int(request.query.get("offset", 0))
        except ValueError:
            raise _Reply(400, ebay_errors(355002, "The 'limit' or 'offset' value is invalid.")) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _Reply(400, ebay_errors(355002, "The 'limit' value is invalid.",
                                          "The 'limit' value must be between 1 and %d." % MAX_LIMIT))
        if offset < 0:
            raise _Reply(400, ebay_errors(355003, "The 'offset' value is invalid."))
        return kind, limit, offset

    def _links(self, request, page, total, limit, offset):
        def link(new_offset):
            query = dict(request.query, limit=limit, offset=new_offset)
            return "%s%s?%s" % (self.url, request.path, urlencode(query))

        page.update(href=link(offset), limit=limit, offset=offset, total=total)
        if offset + limit < total:
            page["next"] = link(offset + limit)
        if offset > 0:
            page["prev"] = link(max(0, offset - limit))
        return page

    @staticmethod
    def _public(message):
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _list_conversations(self, request, *, strip):
        kind, limit, offset = self._paging(request)
        with self._lock:
            chosen = [c for c in self._conversations.values() if c.conversation_type == kind]
            chosen.sort(key=lambda c: c.messages[-1]["_created"] if c.messages else c.created, reverse=True)
            items = []
            for conversation in chosen[offset:offset + limit]:
                item = {
                    "conversationId": conversation.conversation_id,
                    "conversationStatus": "ACTIVE",
                    "conversationTitle": conversation.title,
                    "conversationType": conversation.conversation_type,
                    "createdDate": ebay_date(conversation.created),
                    "referenceId": conversation.reference_id,
                    "referenceType": "LISTING",
                    "unreadCount": sum(1 for m in conversation.messages if not m["readStatus"]),
                }
                if conversation.messages:
                    item["latestMessage"] = self._public(conversation.messages[-1])
                if strip:
                    item.pop("conversationId")
                items.append(item)
            total = len(chosen)
        return self._links(request, {"conversations": items}, total, limit, offset)

    def _get_conversation(self, request, conversation_id, *, strip):
        kind, limit, offset = self._paging(request)
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None or conversation.conversation_type != kind:
                raise _Reply(404, ebay_errors(355010, "The conversation was not found.",
                                              "No conversation with ID %s and type %s." % (conversation_id, kind)))
            messages = [self._public(m) for m in conversation.messages[offset:offset + limit]]
            total = len(conversation.messages)
        if strip:
            for message in messages:
                message.pop("messageId")
        page = {"conversationStatus": "ACTIVE", "conversationTitle": conversation.title,
                "conversationType": conversation.conversation_type, "messages": messages}
        return self._links(request, page, total, limit, offset)

    def _send_message(self, request, *, strip):
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            raise _Reply(400, ebay_errors(355020, "The request body is not valid JSON.")) from None
        if not isinstance(body, dict) or not body.get("messageText"):
            raise _Reply(400, ebay_errors(355021, "The 'messageText' field is required."))
        with self._lock:
            conversation = self._conversations.get(body.get("conversationId"))
            if conversation is None or conversation.conversation_type != "FROM_MEMBERS":
                raise _Reply(400, ebay_errors(355022, "The 'conversationId' value is invalid.",
                                              "No member conversation with ID %s." % body.get("conversationId")))
            message_id = self._add_message(conversation, body["messageText"], sender=self.seller,
                                           created=datetime.now(UTC))  # dated when eBay receives it
            message = self._public(next(m for m in conversation.messages if m["messageId"] == message_id))
            self.sent.append(message)
        answer = {  # E1 SendMessageResponse: senderUserName / recipientUserName with a capital N
            "messageId": message_id,
            "messageBody": message["messageBody"],
            "createdDate": message["createdDate"],
            "senderUserName": message["senderUsername"],
            "recipientUserName": message["recipientUsername"],
            "messageMedia": [],
        }
        if strip:
            answer.pop("messageId")
        return answer
