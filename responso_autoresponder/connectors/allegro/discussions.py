"""Allegro Discussions and claims (/sale/issues, beta.v1): reading chats, checking and sending.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

from urllib.parse import quote

from ..common import IncomingMessage, find_sent
from ..http import ClosedConversation, MalformedResponse, PermanentError
from .parsing import _attachments, _aware_since, _datetime, _require_id, _require_list, _sorted_unique, _utf16_length
from .transport import BETA_V1

CHANNEL_DISCUSSIONS = "allegro_discussions"
ISSUES_LIMIT = 100  # A1 getListOfIssuesUsingGET limit 1-100 (default 10)
CHAT_LIMIT = 100  # A1 getChatFromIssueUsingGET limit 1-100 (default 10)
ISSUE_MESSAGE_MAX_LENGTH = 20000  # A1 MessageRequest.text maxLength


class AllegroDiscussions:
    """Disputes and claims. Needs `_api` (AllegroTransport) and `_chat_active` (a dict) on the client."""

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
        return _sorted_unique(out)

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
            is_return=True,  # every /sale/issues item is a dispute or a claim about a purchase (A1)
        )

    def find_sent_issue_message(self, issue_id, text, since):
        """The id of our message `text` in a dispute or claim chat, posted at or after `since` (aware), or None
        (A1 getChatFromIssueUsingGET; the seller writes as role SELLER, A1 PostPurchaseIssueMessageAuthor)."""
        since = _aware_since(since)
        messages = [self._issue_message(item, issue_id, None, None) for item in self._issue_chat(issue_id)]
        login = (self.login or "").strip().casefold()

        def ours(message):
            return message.author.get("role") == "SELLER" or bool(
                login and (message.author_login or "").strip().casefold() == login)

        return find_sent(messages, text, since, ours)

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
