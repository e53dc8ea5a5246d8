"""eBay client: the REST Message API (buyer conversations) and OAuth user tokens. Plain Python, no Odoo import.

Sources (keys defined, with their public URLs, in docs/marketplace-contract.md): E1 = eBay Message API reference
(getConversations, getConversation, sendMessage and their types); E2 = eBay OAuth docs (authorization-code and
refresh-token grants).

Polling (`fetch_new_messages`):
* only conversations of type FROM_MEMBERS are listed and read; FROM_EBAY conversations (system messages from
  eBay, E1) are never fetched;
* every message of a conversation is returned, **including the ones we sent ourselves** (the seller account is a
  member of the conversation). The Odoo layer drops them with
  `loop_guard.marketplace_author_signal("ebay", message.author, account_login=client.username)`, which compares
  `author["sender"]` with the account's username;
* a poll either returns everything newer than `since` or raises: any error (network, 5xx after retries, 429, 401
  after one refresh, malformed body) aborts the whole poll and nothing partial is returned, so the caller keeps
  its cursor and the next poll reads the same messages again. Nothing is lost and nothing is half-imported;
* `since` is exclusive: a caller that moves its cursor to the newest `created_at` returned gets nothing twice.
  Offset paging (E1) is not a snapshot: a conversation that moves to the top of the list while the pages are read
  can be missed by that poll. Callers that cannot afford this poll with an overlap (`since` a few minutes before
  the cursor) and drop the external ids they already have; the client removes duplicates within one poll.
"""

import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

from .common import IncomingMessage, Token, find_sent, parse_datetime
from .download import download, origin
from .http import AuthError, HttpClient, MalformedResponse, PermanentError

_logger = logging.getLogger(__name__)

PRODUCTION_ROOT = "https://api.ebay.com"  # E1 (OAS3 servers), E2
SANDBOX_ROOT = "https://api.sandbox.ebay.com"  # E2
TOKEN_PATH = "/identity/v1/oauth2/token"  # E2: POST, Basic client_id:client_secret, form-encoded
MESSAGE_API = "/commerce/message/v1"  # E1 basePath
# UNVERIFIED: the Message API's OAS `security` block is empty (E1); this scope comes from third-party code.
MESSAGE_SCOPE = "https://api.ebay.com/oauth/api_scope/commerce.message"
FROM_MEMBERS = "FROM_MEMBERS"  # E1 conversation_type: FROM_EBAY | FROM_MEMBERS (required on both GETs)
PAGE_LIMIT = 50  # E1: limit default 25, max 50
MAX_PAGES = 1000  # a server that always answers `next` must not keep a poll running forever
CHANNEL = "ebay"
# where MessageMedia files live: eBay's picture hosting (the host of the pictures eBay serves; the Message API's
# media URLs are UNVERIFIED, E1)
MEDIA_HOSTS = frozenset({"i.ebayimg.com"})
# grant errors that only a new consent cures (RFC 6749 §5.2, returned by E2's token endpoint)
_AUTH_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


class EbayClient:
    """One eBay seller account.

    `store` is the account's TokenStore; `username` is the account's eBay user name (the loop guard's
    `account_login`). `base_url` replaces the API root (tests point it at the fake); `http` is an HttpClient
    to use for transport (tests inject one with a recording `sleep`); every call is sent to an absolute URL
    under the API root, whatever the HttpClient's own base URL.
    """

    def __init__(self, store, *, sandbox=False, base_url=None, client_id, client_secret, username, http=None):
        self.store = store
        self.root = (base_url or (SANDBOX_ROOT if sandbox else PRODUCTION_ROOT)).rstrip("/")
        self.http = http if http is not None else HttpClient(self.root)
        self.client_id = client_id
        self._client_secret = client_secret
        self.username = username

    def close(self):
        """Close the HTTP session (one per client, so one per account)."""
        self.http.close()

    # ------------------------------------------------------------------ OAuth (E2)

    def download_attachment(self, url):
        """The bytes of a message's media (MessageMedia URL, UNVERIFIED in E1: eBay's picture hosting, fetched
        without our token), only from eBay's media hosts over https or from the API root, every redirect hop
        checked the same way (never another host or port: SSRF)."""
        return download(self.http, url, allowed=self._media_origin, headers={"Accept": "*/*"})

    def _media_origin(self, found):
        if found is None:
            return False
        scheme, host, port = found
        return found == origin(self.root) or (scheme == "https" and port == 443 and host in MEDIA_HOSTS)

    def authorization_url(self, redirect_uri, state=None):
        """eBay's consent page for the seller (E2 authorization-code grant: /oauth2/authorize on auth.ebay.com,
        auth.sandbox.ebay.com in the sandbox); `redirect_uri` is the application's RuName (E2)."""
        host = "https://auth.sandbox.ebay.com" if "sandbox" in self.root else "https://auth.ebay.com"
        params = {"client_id": self.client_id, "response_type": "code", "redirect_uri": redirect_uri,
                  "scope": MESSAGE_SCOPE}
        if state:
            params["state"] = state
        return "%s/oauth2/authorize?%s" % (host, urlencode(params))

    def exchange_code(self, code, redirect_uri):
        """Exchange the consent page's authorization code for a token pair (E2 authorization-code grant).

        `redirect_uri` is the RuName the consent URL used (E2). The caller stores the returned Token.
        """
        return self._token_request({
            "grant_type": "authorization_code",  # E2
            "code": code,  # E2
            "redirect_uri": redirect_uri,  # E2: the RuName
        }, refresh_token=None)

    def _refresh(self, refresh_token):
        """The refresher handed to store.refresh(): a new access token from the refresh token (E2)."""
        if not refresh_token:
            raise AuthError("eBay: no refresh token: connect the account again")
        return self._token_request({
            "grant_type": "refresh_token",  # E2
            "refresh_token": refresh_token,  # E2
            "scope": MESSAGE_SCOPE,  # E2 asks for the consented scopes; the scope's name is UNVERIFIED (see above)
        }, refresh_token=refresh_token)

    def _token_request(self, form, *, refresh_token):
        requested_at = datetime.now(timezone.utc)
        try:
            data = self.http.json("POST", self.root + TOKEN_PATH, data=form,
                                  auth=(self.client_id, self._client_secret))  # E2: HTTP Basic client credentials
        except PermanentError as exc:
            if exc.code in _AUTH_GRANT_ERRORS:
                raise AuthError(exc.message, status=exc.status, code=exc.code, payload=exc.payload) from exc
            raise
        access_token = data.get("access_token")  # E2
        expires_in = data.get("expires_in")  # E2: seconds, about 7200 for a user token (eBay FAQ)
        if not isinstance(access_token, str) or not access_token:
            raise MalformedResponse("eBay token response without access_token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
            raise MalformedResponse("eBay token response without a valid expires_in: %r" % (expires_in,))
        # E2: the refresh-token grant returns no new refresh token; the one we have stays valid.
        new_refresh = data.get("refresh_token")
        return Token(access_token=access_token,
                     refresh_token=new_refresh if isinstance(new_refresh, str) and new_refresh else refresh_token,
                     expires_at=requested_at + timedelta(seconds=expires_in))

    # ------------------------------------------------------------------ API calls

    def _current_token(self):
        token = self.store.get()
        if token.expires_soon():
            token = self.store.refresh(token.access_token, self._refresh)
        return token

    def _call(self, method, path, **kwargs):
        """Every Message API call: Bearer token; on a 401, one refresh through the store and one retry."""
        token = self._current_token()
        try:
            return self.http.json(method, self.root + path, headers=_bearer(token), **kwargs)
        except AuthError:
            _logger.info("eBay %s %s: 401, refreshing the access token once", method, path)
        fresh = self.store.refresh(token.access_token, self._refresh)
        return self.http.json(method, self.root + path, headers=_bearer(fresh), **kwargs)  # a 2nd 401 propagates

    def _pages(self, path, key, *, required):
        """Every item of `key` over the offset pages of a GET (E1: limit ≤ 50, offset, `next` while more)."""
        offset = 0
        for _page in range(MAX_PAGES):
            data = self._call("GET", path, params={
                "conversation_type": FROM_MEMBERS,  # E1: required
                "limit": PAGE_LIMIT,  # E1
                "offset": offset,  # E1
            })
            items = data.get(key)
            if items is None and not required:
                items = []
            if not isinstance(items, list):
                raise MalformedResponse("eBay GET %s (offset %d): no %s list in the response" % (path, offset, key))
            yield from items
            if not items or not data.get("next"):  # E1: `next` is absent on the last page
                return
            offset += len(items)
        raise MalformedResponse("eBay GET %s: still a next page after %d pages" % (path, MAX_PAGES))

    # ------------------------------------------------------------------ receiving

    def fetch_new_messages(self, since):
        """Messages of FROM_MEMBERS conversations created after `since` (aware; None = all), oldest first.

        See the module docstring: our own messages are included, an error aborts the whole poll.
        """
        if since is not None and (since.tzinfo is None or since.utcoffset() is None):
            raise ValueError("since must be an aware datetime")
        seen_conversations = set()
        found = {}
        # E1 getConversations: GET /conversation?conversation_type=FROM_MEMBERS, offset paging
        for conversation in self._pages(MESSAGE_API + "/conversation", "conversations", required=False):
            conversation_id = _conversation_id(conversation)
            if conversation_id in seen_conversations:
                continue  # offset pages shifted while being read
            seen_conversations.add(conversation_id)
            if conversation.get("conversationType", FROM_MEMBERS) != FROM_MEMBERS:  # E1 ConversationDetail
                continue  # defensive: the filter asked for FROM_MEMBERS only; FROM_EBAY is never read
            if since is not None:
                latest = _latest_message_date(conversation)
                if latest is not None and latest <= since:
                    continue  # nothing new in this conversation
            for message in self._conversation_messages(conversation_id, conversation):
                if since is None or message.created_at > since:
                    found.setdefault(message.external_id, message)
        return sorted(found.values(), key=lambda message: (message.created_at, message.external_id))

    def _conversation_messages(self, conversation_id, conversation):
        # E1 getConversation: GET /conversation/{conversation_id}?conversation_type=FROM_MEMBERS, offset paging;
        # GetMessagesByConversationIdResponse.messages[] of MessageDetail
        path = "%s/conversation/%s" % (MESSAGE_API, quote(conversation_id, safe=""))
        title = conversation.get("conversationTitle")  # E1 ConversationDetail
        for message in self._pages(path, "messages", required=True):
            yield _incoming(conversation_id, title, message)

    # ------------------------------------------------------------------ sending

    def find_sent_message(self, conversation_id, text, since):
        """The id of our message `text` in a conversation, created at or after `since` (aware), or None: how a
        send whose answer was lost (timeout, 5xx, broken connection) is checked before any new attempt (E1
        getConversation; our messages have the account's username as senderUsername)."""
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValueError("since must be an aware datetime")
        username = (self.username or "").casefold()
        messages = list(self._conversation_messages(conversation_id, {}))
        return find_sent(messages, text, since, lambda message: bool(username) and (
            message.author_login or "").casefold() == username)

    def send_message(self, conversation_id, text):
        """Post `text` in an existing conversation (E1 sendMessage); the new message's id.

        Never retried on a 5xx or a read timeout (the message may have been posted). A MalformedResponse here
        means eBay accepted the call: the message was probably sent, so do not send it again blindly.
        """
        if not conversation_id:
            raise ValueError("conversation_id is required")
        if not text or not text.strip():
            raise ValueError("an empty message cannot be sent")
        data = self._call("POST", MESSAGE_API + "/send_message", json={  # E1 SendMessageRequest
            "conversationId": conversation_id,  # E1: required in an existing conversation
            "messageText": text,  # E1: required (maximum length UNVERIFIED)
        })
        message_id = data.get("messageId")  # E1 SendMessageResponse
        if isinstance(message_id, bool) or not isinstance(message_id, str | int) or message_id == "":
            raise MalformedResponse("eBay send_message: no messageId in the response (the message was probably "
                                    "sent: do not send it again)", payload=data)
        sender = data.get("senderUserName")  # E1 SendMessageResponse spells it with a capital N
        if sender and self.username and sender.casefold() != self.username.casefold():
            _logger.warning("eBay send_message: sent as %r, but the account's username is %r", sender, self.username)
        return str(message_id)


def _bearer(token):
    return {"Authorization": "Bearer " + token.access_token}


def _conversation_id(conversation):
    conversation_id = conversation.get("conversationId") if isinstance(conversation, dict) else None  # E1
    if isinstance(conversation_id, int) and not isinstance(conversation_id, bool):
        conversation_id = str(conversation_id)
    if not isinstance(conversation_id, str) or not conversation_id:
        raise MalformedResponse("eBay getConversations: a conversation without conversationId: %r"
                                % (str(conversation)[:120],))
    return conversation_id


def _latest_message_date(conversation):
    """createdDate of the conversation's latestMessage (E1 ConversationDetail.latestMessage), or None."""
    latest = conversation.get("latestMessage")
    if not isinstance(latest, dict) or latest.get("createdDate") is None:
        return None  # unknown: the conversation is read
    try:
        return parse_datetime(latest["createdDate"])
    except MalformedResponse as exc:
        raise MalformedResponse("eBay conversation %s: latestMessage.createdDate: %s"
                                % (conversation.get("conversationId"), exc)) from exc


def _incoming(conversation_id, title, message):
    """An IncomingMessage from an E1 MessageDetail."""
    if not isinstance(message, dict):
        raise MalformedResponse("eBay conversation %s: a message is not an object" % conversation_id)
    message_id = message.get("messageId")  # E1 MessageDetail
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not message_id:
        raise MalformedResponse("eBay conversation %s: a message without messageId" % conversation_id)
    if message.get("createdDate") is None:  # E1 MessageDetail, ISO 8601
        raise MalformedResponse("eBay conversation %s, message %s: no createdDate" % (conversation_id, message_id))
    try:
        created_at = parse_datetime(message["createdDate"])
    except MalformedResponse as exc:
        raise MalformedResponse("eBay conversation %s, message %s: createdDate: %s"
                                % (conversation_id, message_id, exc)) from exc
    sender = message.get("senderUsername")  # E1 MessageDetail (lower-case n here, unlike SendMessageResponse)
    body = message.get("messageBody")  # E1 MessageDetail
    subject = message.get("subject") or title  # E1 MessageDetail.subject, else ConversationDetail.conversationTitle
    return IncomingMessage(
        external_id=message_id,
        thread_id=conversation_id,
        channel=CHANNEL,
        # the shape loop_guard._ebay reads: E1 conversation_type + MessageDetail.senderUsername
        author={"conversation_type": FROM_MEMBERS, "sender": sender},
        author_login=sender if isinstance(sender, str) and sender else None,
        text=body if isinstance(body, str) else "",
        created_at=created_at,
        subject=subject if isinstance(subject, str) and subject else None,
        order_ref=None,  # E1 referenceType is LISTING: a listing (item) id, not an order
        attachments=_attachments(message.get("messageMedia")),  # E1 MessageDetail.messageMedia[]
    )


def _attachments(media):
    # UNVERIFIED: E1's MessageMedia fields were not seen; mediaName / mediaUrl follow the Trading API's
    # MessageMediaType (MediaName, MediaURL). Unknown shapes are skipped, never fatal.
    if not isinstance(media, list):
        return ()
    result = []
    for item in media:
        if not isinstance(item, dict):
            continue
        url = item.get("mediaUrl") or item.get("mediaURL")
        if isinstance(url, str) and url:
            name = item.get("mediaName")
            result.append((name if isinstance(name, str) and name else url.rsplit("/", 1)[-1], url))
    return tuple(result)
