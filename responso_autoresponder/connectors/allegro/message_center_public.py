"""Allegro Message Center, content version public.v1: reading threads and their messages.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

import logging
from urllib.parse import quote

from ..common import IncomingMessage
from .parsing import _attachments, _datetime, _iso, _order_id, _require_id, _require_list
from .transport import PUBLIC_V1

_logger = logging.getLogger(__name__)

CHANNEL_PUBLIC = "allegro_public_v1"
THREADS_LIMIT = 20  # A1 listThreadsGET limit 1-20
MESSAGES_LIMIT = 20  # A1 listMessagesGET limit 1-20
MESSAGES_MAX_OFFSET = 15000  # A1 listMessagesGET offset 0-15000


class AllegroPublicV1:
    """public.v1 reading. Needs `_api` (AllegroTransport) and `_thread_is_old` (AllegroMessageCenter)."""

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
