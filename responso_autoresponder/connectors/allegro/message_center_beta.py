"""Allegro Message Center, content version beta.v1: reading threads (COMMON and POST_PURCHASE_ISSUE) and their
messages with page.id cursors.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

from urllib.parse import quote

from ..common import IncomingMessage
from ..http import MalformedResponse
from .parsing import _attachments, _datetime, _next_page, _order_id, _require_id, _require_list
from .transport import BETA_V1

CHANNEL_BETA = "allegro_beta_v1"


class AllegroBetaV1:
    """beta.v1 reading. Needs `_api` (AllegroTransport) and `_thread_is_old` (AllegroMessageCenter)."""

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
        # A3 #13797, A2 ThreadVBeta1.type: COMMON | POST_PURCHASE_ISSUE (purchase problems, replacing Discussions)
        is_return = thread.get("type") == "POST_PURCHASE_ISSUE"
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
                message = self._beta_message(item, thread_id, thread_order, what, is_return)
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
    def _beta_message(item, thread_id, thread_order, what, is_return=False):
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
            is_return=is_return,
        )
