"""Plain-Python marketplace clients (requests only, no Odoo import), used by the addon's Odoo layer.

Modules (import them directly; this package imports nothing, so one client never loads another):

* ``http``: errors (MarketplaceError and subclasses), ``error_message`` and ``HttpClient``
  (one requests.Session per account, timeouts, retries with backoff and jitter, 429/401/4xx mapping);
* ``common``: ``Token``, the ``TokenStore`` protocol, ``MemoryTokenStore``, ``IncomingMessage``, ``parse_datetime``;
* ``allegro``: the Allegro REST client (messaging threads, post-purchase issues);
* ``ebay``: the eBay Message API client (conversations FROM_MEMBERS, send_message).

SPEC.md holds the contract they share.
"""
