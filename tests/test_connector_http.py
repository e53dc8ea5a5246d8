"""connectors/http.py: retries, backoff, timeouts and error mapping, against a scripted server on 127.0.0.1."""

import collections
import email.utils
import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from responso_autoresponder.connectors import http as http_module
from responso_autoresponder.connectors.http import (
    AuthError,
    ClosedConversation,
    HttpClient,
    MalformedResponse,
    MarketplaceError,
    PermanentError,
    RateLimited,
    TransientError,
    error_message,
    parse_retry_after,
)

DROP = "drop"  # a step that closes the connection without answering


class Step:
    def __init__(self, status=200, body=None, *, headers=None, delay=0.0, raw=None):
        self.status, self.body, self.headers, self.delay, self.raw = status, body, headers or {}, delay, raw


class ScriptedServer:
    """Answers each request with the next scripted Step (200 {"ok": true} when the script is empty)."""

    def __init__(self, steps=(), port=0):
        self.steps = collections.deque(steps)
        self.requests = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server.lock:
                    server.requests.append((self.command, self.path, dict(self.headers.items()), body))
                    step = server.steps.popleft() if server.steps else Step(200, {"ok": True})
                if step == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                time.sleep(step.delay)
                raw = step.raw if step.raw is not None else b"" if step.body is None else json.dumps(step.body).encode()
                try:
                    self.send_response(step.status)
                    if step.raw is None and step.body is not None:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for name, value in step.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    instance = ScriptedServer()
    yield instance
    instance.stop()


@pytest.fixture
def sleeps():
    return []


def client_for(url, sleeps, **kwargs):
    kwargs.setdefault("timeout", (2, 2))
    return HttpClient(url, sleep=sleeps.append, **kwargs)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_response(status, body=b"", content_type="application/json"):
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = content_type
    return response


# --- retries on GET ---------------------------------------------------------------------------------------------


def test_get_retries_5xx_with_exponential_backoff_and_jitter(server, sleeps):
    server.steps.extend([Step(500), Step(503), Step(502), Step(200, {"ok": 1})])
    client = client_for(server.url, sleeps, retries=3, backoff=0.5)
    assert client.json("GET", "/things") == {"ok": 1}
    assert len(server.requests) == 4
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):  # backoff * 2**attempt * uniform(0.5, 1.5)
        assert 0.5 * 2 ** attempt * 0.5 <= delay <= 0.5 * 2 ** attempt * 1.5


def test_backoff_doubles_without_jitter(server, sleeps, monkeypatch):
    monkeypatch.setattr(http_module.random, "uniform", lambda low, high: 1.0)
    server.steps.extend([Step(500)] * 3)
    client = client_for(server.url, sleeps, retries=3, backoff=0.25)
    client.request("GET", "/things")
    assert sleeps == [0.25, 0.5, 1.0]


def test_get_5xx_exhausted_raises_transient_error_with_the_marketplace_words(server, sleeps):
    body = {"errors": [{"errorId": 10001, "message": "System error", "longMessage": "eBay is down"}]}
    server.steps.extend([Step(503, body)] * 3)
    client = client_for(server.url, sleeps, retries=2)
    with pytest.raises(TransientError) as info:
        client.request("GET", "/things")
    assert not isinstance(info.value, RateLimited)
    assert info.value.status == 503
    assert info.value.message == "eBay is down"
    assert info.value.code == "10001"
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_get_retried_after_read_timeout(server, sleeps):
    server.steps.extend([Step(200, {"late": True}, delay=0.6), Step(200, {"ok": True})])
    client = client_for(server.url, sleeps, timeout=(2, 0.2), retries=2)
    assert client.json("GET", "/things") == {"ok": True}
    assert len(sleeps) == 1


def test_get_retried_after_connection_dropped(server, sleeps):
    server.steps.extend([DROP, Step(200, {"ok": True})])
    client = client_for(server.url, sleeps, retries=1)
    assert client.json("GET", "/things") == {"ok": True}
    assert len(sleeps) == 1


# --- no duplicate POST ------------------------------------------------------------------------------------------


def test_post_not_retried_on_5xx(server, sleeps):
    server.steps.append(Step(500, {"errors": [{"code": "INTERNAL", "message": "boom"}]}))
    client = client_for(server.url, sleeps, retries=3)
    with pytest.raises(TransientError) as info:
        client.request("POST", "/messages", json={"text": "hi"})
    assert info.value.status == 500 and info.value.message == "boom"
    assert len(server.requests) == 1 and sleeps == []


def test_post_not_retried_on_read_timeout(server, sleeps):
    server.steps.append(Step(201, {"id": "1"}, delay=0.8))
    client = client_for(server.url, sleeps, timeout=(2, 0.2), retries=3)
    with pytest.raises(TransientError, match="read timeout"):
        client.request("POST", "/messages", json={"text": "hi"})
    assert len(server.requests) == 1 and sleeps == []


def test_post_not_retried_when_the_connection_drops_after_sending(server, sleeps):
    server.steps.append(DROP)
    client = client_for(server.url, sleeps, retries=3)
    with pytest.raises(TransientError):
        client.request("POST", "/messages", json={"text": "hi"})
    assert len(server.requests) == 1 and sleeps == []


def test_post_retried_on_connection_refused():
    port = free_port()
    started = []
    sleeps = []

    def sleep(seconds):  # the marketplace comes back while we wait
        sleeps.append(seconds)
        if not started:
            started.append(ScriptedServer([Step(201, {"id": "m1"})], port=port))

    client = HttpClient("http://127.0.0.1:%d" % port, timeout=(2, 2), retries=2, sleep=sleep)
    try:
        assert client.json("POST", "/messages", json={"text": "hi"}) == {"id": "m1"}
        assert len(sleeps) == 1
        assert [(method, path) for method, path, _h, _b in started[0].requests] == [("POST", "/messages")]
    finally:
        for instance in started:
            instance.stop()


def test_connection_refused_exhausted_raises_transient_error(sleeps):
    client = client_for("http://127.0.0.1:%d" % free_port(), sleeps, retries=2)
    with pytest.raises(TransientError, match="could not connect"):
        client.request("POST", "/messages", json={"text": "hi"})
    assert len(sleeps) == 2


# --- 429, 401, 4xx ----------------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_is_not_retried(server, sleeps):
    server.steps.append(Step(429, {"errors": [{"message": "slow down"}]}, headers={"Retry-After": "7"}))
    client = client_for(server.url, sleeps, retries=3)
    with pytest.raises(RateLimited) as info:
        client.request("GET", "/things")
    assert info.value.retry_after == 7.0
    assert isinstance(info.value, TransientError)
    assert len(server.requests) == 1 and sleeps == []


def test_429_with_retry_after_http_date(server, sleeps):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    server.steps.append(Step(429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as info:
        client_for(server.url, sleeps).request("GET", "/things")
    assert 110 <= info.value.retry_after <= 121


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}])
def test_429_without_a_usable_retry_after_waits_at_least_60_s(server, sleeps, headers):
    server.steps.append(Step(429, {"errors": [{"code": "TOO_MANY", "message": "Too many requests"}]},
                             headers=headers))
    with pytest.raises(RateLimited) as info:
        client_for(server.url, sleeps).request("POST", "/messages", json={})
    assert info.value.retry_after >= 60
    assert info.value.code == "TOO_MANY" and info.value.message == "Too many requests"


def test_parse_retry_after():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0  # in the past: no wait
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("later") is None
    assert parse_retry_after("nan") is None


def test_401_is_auth_error(server, sleeps):
    server.steps.append(Step(401, {"error": "invalid_token", "error_description": "Access token expired"}))
    with pytest.raises(AuthError) as info:
        client_for(server.url, sleeps).request("GET", "/things")
    assert info.value.message == "Access token expired" and info.value.code == "invalid_token"
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_4xx_are_permanent_and_never_retried(server, sleeps, status):
    body = {"errors": [{"code": "THREAD_NOT_FOUND", "message": "No thread", "userMessage": "Wątek nie istnieje"}]}
    server.steps.append(Step(status, body))
    with pytest.raises(PermanentError) as info:
        client_for(server.url, sleeps, retries=3).request("GET", "/things")
    assert not isinstance(info.value, ClosedConversation)  # mapping 409/422 to it is the Allegro client's job
    assert info.value.status == status
    assert info.value.message == "Wątek nie istnieje"
    assert info.value.payload == body
    assert len(server.requests) == 1 and sleeps == []


def test_unexpected_success_status_is_malformed(server, sleeps):
    server.steps.append(Step(200, {"ok": True}))
    with pytest.raises(MalformedResponse, match="unexpected HTTP 200"):
        client_for(server.url, sleeps).request("POST", "/messages", json={}, expected=(201,))


def test_errors_are_marketplace_errors():
    for cls in (TransientError, RateLimited, AuthError, PermanentError, ClosedConversation, MalformedResponse):
        assert issubclass(cls, MarketplaceError)
    error = RateLimited("wait", status=429, code="X", payload={"a": 1})
    assert str(error) == "wait" and error.retry_after == 60.0 and error.payload == {"a": 1}


# --- error_message ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, body, expected", [
    # Allegro ErrorsHolder (A1): userMessage first, then message
    (404, {"errors": [{"code": "THREAD_NOT_FOUND", "message": "No thread with such Id", "details": None,
                       "path": "/messaging/threads/x/messages", "userMessage": "Wątek nie istnieje",
                       "metadata": {}}]}, "Wątek nie istnieje"),
    (422, {"errors": [{"code": "VALIDATION", "message": "text is too long", "userMessage": None}]},
     "text is too long"),
    # OAuth: error_description, then error
    (400, {"error": "invalid_grant", "error_description": "Invalid refresh token: abc"}, "Invalid refresh token: abc"),
    (400, {"error": "authorization_pending"}, "authorization_pending"),
    # eBay (E1): longMessage, then message
    (400, {"errors": [{"errorId": 355001, "domain": "API_MESSAGE", "category": "REQUEST",
                       "message": "Invalid type", "longMessage": "The conversation_type is required."}]},
     "The conversation_type is required."),
    (400, {"errors": [{"errorId": 1, "message": "Bad request"}]}, "Bad request"),
    # several errors are joined, duplicates dropped
    (400, {"errors": [{"message": "a"}, {"message": "b"}, {"message": "a"}]}, "a; b"),
    # nothing readable
    (502, b"<html>Bad gateway</html>", "HTTP 502"),
    (400, {"errors": []}, "HTTP 400"),
    (500, b"", "HTTP 500"),
    (400, ["not", "an", "object"], "HTTP 400"),
])
def test_error_message(status, body, expected):
    assert error_message(make_response(status, body)) == expected


# --- JSON, timeouts, session ------------------------------------------------------------------------------------


def test_json_rejects_a_body_that_is_not_json(server, sleeps):
    server.steps.append(Step(200, raw=b"<html>maintenance</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponse) as info:
        client_for(server.url, sleeps).json("GET", "/things")
    assert "not JSON" in info.value.message and "text/html" in info.value.message
    assert "maintenance" in info.value.message
    assert info.value.status == 200


def test_json_rejects_a_json_array(server, sleeps):
    server.steps.append(Step(200, [1, 2]))
    with pytest.raises(MalformedResponse, match="not an object"):
        client_for(server.url, sleeps).json("GET", "/things")


def test_json_of_204_is_an_empty_dict(server, sleeps):
    server.steps.append(Step(204))
    assert client_for(server.url, sleeps).json("PUT", "/things") == {}


def test_read_timeout_raises_transient_error(server, sleeps):
    server.steps.extend([Step(200, {}, delay=0.5)] * 2)
    client = client_for(server.url, sleeps, timeout=(2, 0.15), retries=1)
    with pytest.raises(TransientError, match="read timeout"):
        client.request("GET", "/things")
    assert len(sleeps) == 1


class RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        return super().request(method, url, **kwargs)


def test_every_call_has_a_timeout_and_one_session(server, sleeps):
    session = RecordingSession()
    client = client_for(server.url + "/api/", sleeps, session=session, timeout=(3, 7))
    client.request("GET", "/a", params={"x": 1})
    client.request("POST", "b", json={"y": 2}, headers={"X-Test": "1"})
    assert [(method, url) for method, url, _kw in session.calls] == [
        ("GET", server.url + "/api/a"), ("POST", server.url + "/api/b")]
    assert all(kwargs["timeout"] == (3, 7) for _m, _u, kwargs in session.calls)
    assert client.session is session
    user_agents = {headers["User-Agent"] for _m, _p, headers, _b in server.requests}
    assert user_agents == {"responso-autoresponder/18.0"}
    assert server.requests[1][2]["X-Test"] == "1"


def test_a_timeout_is_mandatory():
    with pytest.raises(ValueError):
        HttpClient("http://127.0.0.1", timeout=None)


def test_invalid_url_is_permanent(sleeps):
    with pytest.raises(PermanentError):
        client_for("http://", sleeps).request("GET", "/x")
    assert sleeps == []


def test_past_retry_after_date(server, sleeps):
    when = email.utils.format_datetime(datetime.now(timezone.utc) - timedelta(minutes=5), usegmt=True)
    server.steps.append(Step(429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as info:
        client_for(server.url, sleeps).request("GET", "/things")
    assert info.value.retry_after == 0.0
