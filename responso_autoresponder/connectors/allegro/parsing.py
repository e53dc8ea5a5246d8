"""Reading Allegro replies: dates, ids, lists, attachments, paging cursors and error codes.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

from datetime import datetime, timezone

from ..common import Attachment, parse_datetime
from ..http import MalformedResponse

UTC = timezone.utc


def _utcnow():
    return datetime.now(UTC)


def _aware_since(since):
    if since is None:
        return None
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("`since` must be an aware datetime, not %r" % (since,))
    return since.astimezone(UTC)


def _iso(moment):
    """An aware datetime as Allegro writes them, e.g. 2020-11-13T12:45:20.818Z (A1 listMessagesGET `after`).

    Truncated to milliseconds; since `after` is exclusive, truncating can only return more, which we filter.
    """
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _utf16_length(text):
    # The server may count UTF-16 code units (an emoji counts twice); counting them never undercounts.
    return len(text.encode("utf-16-le")) // 2


def _where(what):
    return " (%s)" % what if what else ""


def _require_list(payload, key, what):
    value = payload.get(key)
    if not isinstance(value, list):
        raise MalformedResponse("Allegro %s: the reply has no %r list" % (what, key), payload=payload)
    return value


def _require_id(obj, what):
    if not isinstance(obj, dict):
        raise MalformedResponse("Allegro %s: an item is not an object: %r" % (what, obj))
    value = obj.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise MalformedResponse("Allegro %s: an item has no id" % what, payload=obj)
    return value


def _datetime(value, what):
    try:
        return parse_datetime(value)
    except MalformedResponse as exc:
        raise MalformedResponse("Allegro %s: %s" % (what, exc.message)) from exc


def _optional_datetime(value, what):
    return None if value is None else _datetime(value, what)


def _attachments(message):
    # A1 Message.attachments[{fileName*, url, status* (NEW|SAFE|UNSAFE|EXPIRED)}]; A1 PostPurchaseIssueAttachment
    # {fileName, url}, without a status
    items = message.get("attachments") or ()
    return tuple(Attachment(item.get("fileName"), item.get("url"),
                            item.get("status") if isinstance(item.get("status"), str) else None)
                 for item in items if isinstance(item, dict))


def _order_id(relates_to):
    # A1 Message.relatesTo{offer (nullable), order{id}}; A2: relatesTo.order is nullable in beta.v1
    order = (relates_to or {}).get("order") if isinstance(relates_to, dict) else None
    value = order.get("id") if isinstance(order, dict) else None
    return str(value) if value else None


def _next_page(payload, what):
    """The beta.v1 cursor of the next page, or None on the last page (A2/A3 #13797: `nextPage` nullable)."""
    next_page = payload.get("nextPage")
    if next_page is None:
        return None
    page_id = next_page.get("id") if isinstance(next_page, dict) else None
    if not isinstance(page_id, str) or not page_id:
        raise MalformedResponse("Allegro %s: unreadable nextPage %r" % (what, next_page), payload=payload)
    return page_id


def _error_codes(exc):
    """errors[].code of an Allegro ErrorsHolder body (A1), as a set."""
    payload = exc.payload
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return set()
    return {error.get("code") for error in errors if isinstance(error, dict) and error.get("code")}


def _sorted_unique(messages):
    """Each message once (by external id), oldest first."""
    unique = {}
    for message in messages:
        unique.setdefault(message.external_id, message)
    return sorted(unique.values(), key=lambda m: (m.created_at, m.external_id))
