"""Plain-Python marketplace clients (requests only, no Odoo import), used by the addon's Odoo layer.

Modules (import them directly; this package imports nothing, so one client never loads another):

* ``http``: errors (MarketplaceError and subclasses), ``error_message`` and ``HttpClient``
  (one requests.Session per account, timeouts, retries with backoff and jitter, 429/401/4xx mapping);
* ``common``: ``Token``, the ``TokenStore`` protocol, ``MemoryTokenStore``, ``IncomingMessage``, ``parse_datetime``;
* ``allegro``: the Allegro REST client, one module per API family (OAuth, Message Center public.v1 and beta.v1,
  Discussions) on one transport;
* ``ebay``: the eBay Message API client (conversations FROM_MEMBERS, send_message).

docs/connectors.md holds the contract they share; docs/marketplace-contract.md the marketplace facts
they rely on, with the public URLs of their sources (the A1…M5 keys cited in comments).
"""
