"""What every marketplace client shares: OAuth tokens and their store, the incoming message, dates.

Plain Python, no Odoo import. The Odoo layer implements `TokenStore` on the account record (row lock, atomic
write); `MemoryTokenStore` is the reference implementation, used by the tests.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from dateutil.parser import isoparse

from .http import AuthError, MalformedResponse

EXPIRY_MARGIN = timedelta(seconds=60)  # a token expiring this soon is refreshed before use (docs/connectors.md)


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str | None
    expires_at: datetime  # aware UTC

    def __repr__(self):  # never print secrets in logs or tracebacks
        return "Token(access_token=…%s, refresh_token=%s, expires_at=%s)" % (
            self.access_token[-4:], "set" if self.refresh_token else None, self.expires_at.isoformat())

    def expires_soon(self, now=None, margin=EXPIRY_MARGIN):
        """True when the access token expires within `margin` (60 s) of `now` (aware; default: the clock)."""
        return self.expires_at - margin <= (now or datetime.now(timezone.utc))


class TokenStore(Protocol):
    """Where an account's OAuth tokens live; implemented by the Odoo layer (row lock, atomic store)."""

    def get(self) -> Token:
        """The stored token (AuthError when the account has none)."""
        ...

    def refresh(self, stale_access_token: str, refresher: Callable[[str], Token]) -> Token:
        """Under a lock: if the stored access token is no longer `stale_access_token` (another worker refreshed
        meanwhile), return the stored token without refreshing; else call refresher(stored refresh_token), store
        the new pair atomically and return it. Never two refreshes in parallel (Allegro invalidates the old pair)."""
        ...


class MemoryTokenStore:
    """A thread-safe in-memory TokenStore: the reference for the refresh rule, used by the tests."""

    def __init__(self, token=None):
        self._token = token
        self._lock = threading.Lock()
        self.refresh_count = 0  # refresher calls that returned a token

    def get(self):
        with self._lock:
            if self._token is None:
                raise AuthError("the account is not connected (no token)")
            return self._token

    def set(self, token):
        """Store a token from a code exchange."""
        with self._lock:
            self._token = token

    def refresh(self, stale_access_token, refresher):
        with self._lock:
            current = self._token
            if current is None:
                raise AuthError("the account is not connected (no token)")
            if current.access_token != stale_access_token:
                return current  # another worker refreshed meanwhile
            if not current.refresh_token:
                raise AuthError("the access token expired and there is no refresh token: connect the account again")
            new = refresher(current.refresh_token)  # may raise: nothing is stored then
            self._token = new
            self.refresh_count += 1
            return new


class Attachment(tuple):
    """A message attachment: a (file_name, url) pair, plus the marketplace's `status` when it gives one (Allegro
    A1 Message.attachments[].status: NEW, SAFE, UNSAFE, EXPIRED)."""

    WITHHELD = frozenset({"UNSAFE", "EXPIRED"})  # never downloaded: flagged by the marketplace's scan, or gone

    def __new__(cls, file_name, url, status=None):
        attachment = super().__new__(cls, (file_name, url))
        attachment.status = status
        return attachment

    @property
    def withheld(self):
        return self.status in self.WITHHELD


@dataclass(frozen=True)
class IncomingMessage:
    external_id: str  # the marketplace's message id
    thread_id: str  # thread / conversation / issue id
    channel: str  # "allegro_public_v1" | "allegro_beta_v1" | "allegro_discussions" | "ebay"
    author: dict  # the author object as the API gave it (for loop_guard.marketplace_author_signal)
    author_login: str | None
    text: str
    created_at: datetime  # aware UTC
    subject: str | None = None
    order_ref: str | None = None
    attachments: tuple = ()  # (Attachment(file_name, url, status), ...): pairs, with a status when known
    # the marketplace says the thread is a return / post-purchase issue (docs/marketplace-contract.md "Returns"):
    # Allegro disputes and claims (A1), beta.v1 POST_PURCHASE_ISSUE threads (A3 #13797, A2); False when unknown
    is_return: bool = False


def _normalized(text):
    return " ".join((text or "").split())


def find_sent(messages, text, since, is_ours):
    """The external id of the first of `messages` (IncomingMessage) written by us (`is_ours(message)`), created at
    or after `since` (aware), whose text is `text` (whitespace aside: marketplaces rewrite line breaks), or None.

    How a send whose answer was lost is recognised before any second attempt (docs/connectors.md): the marketplace
    lists the thread's messages, and ours is there or not."""
    wanted = _normalized(text)
    for message in messages:
        if message.created_at >= since and is_ours(message) and _normalized(message.text) == wanted:
            return message.external_id
    return None


def parse_datetime(value):
    """An ISO 8601 date-time with "Z" or an offset, as an aware UTC datetime; MalformedResponse otherwise.

    A date-time without a time zone is refused: the APIs always give one, and guessing would shift messages.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = isoparse(value.strip())
        except (ValueError, OverflowError) as exc:
            raise MalformedResponse("not an ISO 8601 date-time: %r" % value[:60]) from exc
    else:
        raise MalformedResponse("not an ISO 8601 date-time: %r" % (value,))
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise MalformedResponse("date-time without a time zone: %r" % (value if isinstance(value, str) else str(value)))
    return parsed.astimezone(timezone.utc)
