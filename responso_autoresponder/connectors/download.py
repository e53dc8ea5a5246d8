"""Attachment downloads (plain Python, no Odoo import): only from the origins a client allows, every redirect hop
checked the same way, the body streamed and cut at a byte cap."""

from urllib.parse import urljoin, urlsplit

import requests

from .http import PermanentError, TransientError, _describe_network_error, scrub

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # larger files stay on the marketplace, linked
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


def origin(url):
    """(scheme, host, port) of a URL, lower-cased, the port made explicit; None when it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number
        return None
    if not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def read_attachment(response, url, max_bytes=MAX_ATTACHMENT_BYTES):
    """The bytes of a downloaded attachment, read in chunks and refused (PermanentError) as soon as they pass
    `max_bytes` (decoded bytes: a compressed body is counted as it unpacks), whatever Content-Length said."""
    too_large = "attachment %s is larger than %d bytes" % (scrub(url), max_bytes)
    length = response.headers.get("Content-Length") or ""
    if length.isdigit() and int(length) > max_bytes:
        raise PermanentError(too_large)
    content, size = [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise PermanentError(too_large)
            content.append(chunk)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        raise TransientError("attachment %s: %s (%s)" % (scrub(url), _describe_network_error(exc),
                                                          type(exc).__name__)) from None
    finally:
        response.close()
    return b"".join(content)


def download(http, url, *, allowed, headers=None, max_bytes=MAX_ATTACHMENT_BYTES, max_redirects=MAX_REDIRECTS):
    """The bytes of the file at `url`, fetched with `http` (an HttpClient) only from the origins `allowed`
    accepts (a callable taking an `origin()`): redirects are not followed blindly, each hop is checked the same
    way (so a marketplace file cannot send us to another host or port, SSRF), and the body is streamed and cut
    at `max_bytes`."""
    for _hop in range(max_redirects + 1):
        if not allowed(origin(url)):
            raise PermanentError("attachment address not allowed: %s" % scrub(url))
        response = http.request("GET", url, headers=headers, allow_redirects=False, stream=True,
                                expected=(200, *_REDIRECTS))
        if response.status_code in _REDIRECTS:
            location = response.headers.get("Location") or ""
            response.close()
            url = urljoin(url, location)
            continue
        return read_attachment(response, url, max_bytes)
    raise PermanentError("attachment %s: more than %d redirects" % (scrub(url), max_redirects))
