"""The HTTP layer every marketplace client shares: errors, retries, timeouts (plain Python, no Odoo import).

One `HttpClient` per marketplace account: it owns one `requests.Session` and sends every call with a timeout.

Retry policy (docs/connectors.md):
* GET/HEAD/OPTIONS retry on 5xx, connection errors and timeouts, at most `retries` times, sleeping
  `backoff * 2**attempt * random.uniform(0.5, 1.5)` seconds between attempts (exponential backoff with jitter);
* other methods (POST…) retry only when the request surely never left this machine (the TCP connection could
  not be opened); never on a read timeout or a 5xx, where the marketplace may have posted the reply already;
* 429 raises `RateLimited` at once: retrying during a block prolongs it (Allegro staff, allegro-api #3454);
* 401 raises `AuthError` (the clients refresh the token once), other 4xx `PermanentError`.

Error texts never carry secrets (docs/marketplace-contract.md: Allegro token calls hold their parameters in the
query string, and a refused refresh echoes the token): every `MarketplaceError` message goes through `scrub()`
(query strings of URLs, `…token=` / `code=` / `secret=` pairs, Bearer and Basic credentials, JWTs), and the
errors of a call also lose the exact secrets that call sent (sensitive parameters, form fields, the Basic password,
the Bearer token). The raw `requests` exception is never chained nor quoted: its text holds the full URL.
"""

import email.utils
import logging
import math
import random
import re
import time
from datetime import datetime, timezone

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

_logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_RATE_LIMIT_WAIT = 60.0  # seconds; Allegro blocks a client id for a minute (A4) and documents no Retry-After
_SNIPPET = 120  # characters of an unreadable body quoted in MalformedResponse


# parameter and form-field names whose values are secrets (OAuth RFC 6749 §4.1.3, §6, RFC 8628 §3.4)
SENSITIVE_KEYS = frozenset({"access_token", "refresh_token", "code", "device_code", "client_secret", "password",
                            "token", "id_token", "assertion", "client_assertion", "secret", "api_key", "key"})
_REDACTED = "…"
_SCRUB_RULES = (
    # the query string of a URL or of a path ("Max retries exceeded with url: /auth/oauth/token?grant_type=…")
    (re.compile(r"((?:[a-z][a-z0-9+.-]*://|/)[^\s?#'\"<>]*)\?[^\s#'\"<>()]+", re.I), r"\1?" + _REDACTED),
    # name=value pairs of sensitive names, in a form body or a log line
    (re.compile(r"\b((?:[a-z_]*_)?(?:token|secret|code|password|assertion|key))=[^&\s'\"<>()]+", re.I),
     r"\1=" + _REDACTED),
    (re.compile(r"\b(Bearer|Basic)\s+[\w\-.~+/=]{16,}", re.I), r"\1 " + _REDACTED),
    # JSON Web Tokens (Allegro's access and refresh tokens are JWTs)
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), _REDACTED),
)


def scrub(text, secrets=()):
    """`text` without secrets: the given `secrets` (exact values), then anything that looks like one (query
    strings, sensitive name=value pairs, Bearer / Basic credentials, JWTs)."""
    text = str(text)
    for secret in sorted({str(s) for s in secrets if s and len(str(s)) >= 4}, key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    for pattern, replacement in _SCRUB_RULES:
        text = pattern.sub(replacement, text)
    return text


def request_secrets(*, params=None, data=None, headers=None, auth=None):
    """The secrets a call sends: sensitive parameters and form fields, the Basic password, the Authorization
    header's credentials."""
    found = []
    for mapping in (params, data):
        if isinstance(mapping, dict):
            found += [value for key, value in mapping.items() if str(key).lower() in SENSITIVE_KEYS and value]
    if isinstance(auth, tuple) and len(auth) == 2:
        found.append(auth[1])
    for name, value in (headers or {}).items():
        if str(name).lower() == "authorization" and isinstance(value, str):
            found.append(value.partition(" ")[2] or value)
    return tuple(str(value) for value in found if value)


class MarketplaceError(Exception):
    """Any failure talking to a marketplace. `message` is the marketplace's own words when it gave some, never
    with a secret in it (`scrub`): it is stored where agents read it and logged."""

    def __init__(self, message, *, status=None, code=None, payload=None):
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.payload = payload

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(%r, status=%r, code=%r)" % (type(self).__name__, self.message, self.status, self.code)


class TransientError(MarketplaceError):
    """Network error, timeout, 5xx after retries: try again later.

    `outcome_unknown`: True when a call that is not idempotent (a POST) may have been applied by the marketplace
    although we got no answer (a read timeout, a connection reset once the request left, a 5xx): never send it again
    blindly, look on the marketplace first."""

    def __init__(self, message, *, outcome_unknown=False, **kwargs):
        super().__init__(message, **kwargs)
        self.outcome_unknown = bool(outcome_unknown)


class RateLimited(TransientError):
    """HTTP 429. `retry_after`: seconds to wait (Retry-After when the marketplace sent it, else at least 60)."""

    def __init__(self, message, *, retry_after=DEFAULT_RATE_LIMIT_WAIT, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = float(retry_after)


class AuthError(MarketplaceError):
    """401 that a token refresh did not cure; OAuth invalid_grant; no token at all."""


class PermanentError(MarketplaceError):
    """Other 4xx: the request itself is wrong; never retried."""


class ClosedConversation(PermanentError):
    """The marketplace forbids new messages (Allegro 409 dispute, 422 THREAD_CLOSED)."""


class MalformedResponse(MarketplaceError):
    """A 2xx response with a body we cannot read (not JSON, missing fields)."""


def _payload(response):
    """The response body as parsed JSON, or None."""
    try:
        return response.json()
    except ValueError:  # requests.JSONDecodeError is a ValueError
        return None


def _first_text(mapping, keys):
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _message_from_payload(payload):
    if not isinstance(payload, dict):
        return None
    errors = payload.get("errors")
    if isinstance(errors, list):
        texts = []
        for error in errors:
            if isinstance(error, dict):
                # Allegro ErrorsHolder: errors[].userMessage, then .message (A1);
                # eBay: errors[].longMessage, then .message (E1)
                text = _first_text(error, ("userMessage", "longMessage", "message"))
                if text and text not in texts:
                    texts.append(text)
        if texts:
            return "; ".join(texts)
    # OAuth error body (RFC 6749 §5.2; Allegro AuthError, eBay identity/v1/oauth2/token): error_description, error
    return _first_text(payload, ("error_description", "error"))


def _code_from_payload(payload):
    if not isinstance(payload, dict):
        return None
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")  # Allegro errors[].code (A1)
        if code is None:
            code = errors[0].get("errorId")  # eBay errors[].errorId (E1)
        if code is not None:
            return str(code)
    error = payload.get("error")  # OAuth
    return error if isinstance(error, str) else None


def error_message(response):
    """The marketplace's own words about a failed response, else "HTTP <status>".

    Allegro errors[].userMessage or .message (A1 ErrorsHolder); OAuth error_description / error;
    eBay errors[].longMessage or .message (E1). Several errors are joined with "; ".
    """
    return _message_from_payload(_payload(response)) or "HTTP %s" % response.status_code


def parse_retry_after(value, *, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _surely_not_sent(exc):
    """True when the TCP connection could not even be opened, so no byte of the request left this machine."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(
            exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    # requests wraps urllib3's MaxRetryError(reason=NewConnectionError) for a refused or unresolvable connection;
    # an error while sending or reading (connection reset, RemoteDisconnected) comes as ProtocolError instead.
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _describe_network_error(exc):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer in time (read timeout)"
    if _surely_not_sent(exc):
        return "could not connect"
    return "network error"


class HttpClient:
    """One marketplace account's HTTP access: base URL, session, timeouts, retries."""

    def __init__(self, base_url, *, timeout=(5, 30), retries=3, backoff=0.5, sleep=time.sleep,
                 session=None, user_agent="responso-autoresponder/18.0"):
        if timeout is None:
            raise ValueError("a timeout is mandatory")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.sleep = sleep
        self.session = session if session is not None else requests.Session()
        if user_agent:
            self.session.headers["User-Agent"] = user_agent

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def url(self, path):
        if path.startswith(("http://", "https://")):
            return path
        return "%s/%s" % (self.base_url, path.lstrip("/"))

    def _wait(self, attempt, method, path, why):
        delay = self.backoff * 2 ** attempt * random.uniform(0.5, 1.5)
        _logger.info("%s %s: %s; retry %d/%d in %.2f s", method, scrub(path), why, attempt + 1, self.retries, delay)
        self.sleep(delay)

    def request(self, method, path, *, params=None, json=None, data=None, headers=None, auth=None,
                expected=(200, 201, 204), allow_redirects=True, stream=False):
        """Send one call (with the retries above); the response when its status is in `expected`.
        `allow_redirects=False` and `stream=True` for downloads (`download`)."""
        method = method.upper()
        url = self.url(path)
        path = scrub(path)  # only ever quoted in errors and logs from here on
        secrets = request_secrets(params=params, data=data, headers=headers, auth=auth)
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            try:
                response = self.session.request(method, url, params=params, json=json, data=data, headers=headers,
                                                auth=auth, timeout=self.timeout, allow_redirects=allow_redirects,
                                                stream=stream)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                why = _describe_network_error(exc)
                if (idempotent or _surely_not_sent(exc)) and attempt < self.retries:
                    self._wait(attempt, method, path, why)
                    attempt += 1
                    continue
                # not the requests exception's text (nor chained to it): it quotes the URL, query string included
                raise TransientError("%s %s: %s (%s)" % (method, path, why, type(exc).__name__),
                                     outcome_unknown=not idempotent and not _surely_not_sent(exc)) from None
            except requests.RequestException as exc:  # invalid URL, too many redirects…: our request is wrong
                raise PermanentError("%s %s: invalid request (%s)" % (method, path, type(exc).__name__)) from None
            status = response.status_code
            if status in expected:
                return response
            if status >= 500 and idempotent and attempt < self.retries:
                response.close()
                self._wait(attempt, method, path, "HTTP %d" % status)
                attempt += 1
                continue
            raise self._error_for(method, path, response, secrets, read_body=not stream)

    @staticmethod
    def _error_for(method, path, response, secrets=(), read_body=True):
        status = response.status_code
        # a streamed download's error body is not read: it could be as large as the file
        payload = _payload(response) if read_body else None
        response.close()
        # a refused refresh may echo the token ("Invalid refresh token: …", A5 #10107)
        message = scrub(_message_from_payload(payload) or "HTTP %s" % status, secrets)
        kwargs = {"status": status, "code": _code_from_payload(payload), "payload": payload}
        _logger.info("%s %s: HTTP %s: %s", method, path, status, message)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return RateLimited(message, retry_after=DEFAULT_RATE_LIMIT_WAIT if retry_after is None else retry_after,
                               **kwargs)
        if status == 401:
            return AuthError(message, **kwargs)
        if 400 <= status < 500:
            return PermanentError(message, **kwargs)
        if status >= 500:
            # a 5xx to a POST can come after the marketplace stored the message (a gateway timing out, a crash)
            return TransientError(message, outcome_unknown=method not in IDEMPOTENT_METHODS, **kwargs)
        if 200 <= status < 300:
            return MalformedResponse("%s %s: unexpected HTTP %s" % (method, path, status), **kwargs)
        return PermanentError("%s %s: unexpected HTTP %s" % (method, path, status), **kwargs)

    def json(self, method, path, **kwargs):
        """request(), then the body as a JSON object (a dict); {} for a 204. MalformedResponse otherwise."""
        method = method.upper()
        response = self.request(method, path, **kwargs)
        status = response.status_code
        if status == 204:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise MalformedResponse(scrub(
                "%s %s: HTTP %s body is not JSON (Content-Type %s): %r"
                % (method, path, status, response.headers.get("Content-Type") or "none", response.text[:_SNIPPET]),
                request_secrets(**{k: kwargs.get(k) for k in ("params", "data", "headers", "auth")})),
                status=status) from exc
        if not isinstance(data, dict):
            raise MalformedResponse("%s %s: HTTP %s body is a JSON %s, not an object"
                                    % (method, path, status, type(data).__name__), status=status, payload=data)
        return data
