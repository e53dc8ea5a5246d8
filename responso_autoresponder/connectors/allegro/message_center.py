"""Allegro Message Center (/messaging): new messages in the chosen content version, and sending in a thread.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

from datetime import timedelta
from urllib.parse import quote

from ..common import find_sent
from ..http import ClosedConversation, PermanentError
from .message_center_beta import AllegroBetaV1
from .message_center_public import AllegroPublicV1
from .parsing import _aware_since, _error_codes, _optional_datetime, _require_id, _sorted_unique, _utf16_length
from .transport import PUBLIC_V1


def _same_login(login, account_login):
    return bool(login) and bool(account_login) and login.strip().casefold() == account_login.strip().casefold()

MESSAGE_MAX_LENGTH = 2000  # A1 NewMessageInThread.text maxLength
_BEFORE = timedelta(seconds=1)  # `after` is exclusive (A1): ask from a little earlier


class AllegroMessageCenter(AllegroPublicV1, AllegroBetaV1):
    """Message Center. Needs `_api` (AllegroTransport), `messaging_version` and `_pacer` on the client."""

    def fetch_new_messages(self, since):
        """Message Center messages created after `since` (aware datetime; None: all), oldest first, each once.

        Uses the messaging version chosen at construction: public.v1 or beta.v1 (A1, A2, A3).
        """
        since = _aware_since(since)
        if self.messaging_version == PUBLIC_V1:
            messages = self._fetch_public(since)
        else:
            messages = self._fetch_beta(since)
        return _sorted_unique(messages)

    @staticmethod
    def _thread_is_old(thread, since, what):
        # A1 Thread.lastMessageDateTime: nullable and not required; a thread without one is always read
        last = _optional_datetime(thread.get("lastMessageDateTime"), what)
        return since is not None and last is not None and last <= since

    def thread_messages(self, thread_id, since):
        """A thread's messages created after `since` (aware), any author, in the chosen content version (A1
        listMessagesGET, A2)."""
        since = _aware_since(since)
        if self.messaging_version == PUBLIC_V1:
            return list(self._public_thread_messages(thread_id, since))
        return list(self._beta_thread_messages({"id": thread_id}, since))

    def _is_own_message(self, message):
        # public.v1: the seller is the author who is not the interlocutor (A1 MessageAuthor); beta.v1: role SELLER,
        # or the account's own login (in COMMON threads both participants are USER, A2)
        author = message.author
        if message.channel == "allegro_public_v1":
            return author.get("isInterlocutor") is False and (not self.login or _same_login(message.author_login,
                                                                                             self.login))
        return author.get("role") == "SELLER" or _same_login(message.author_login, self.login)

    def find_sent_message(self, thread_id, text, since):
        """The id of our message `text` in a Message Center thread, posted at or after `since`, or None: how a
        send whose answer was lost (timeout, 5xx, broken connection) is checked before any new attempt."""
        since = _aware_since(since)
        return find_sent(self.thread_messages(thread_id, since - _BEFORE), text, since, self._is_own_message)

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
