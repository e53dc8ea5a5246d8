"""Allegro REST API client: OAuth, Message Center (public.v1 and beta.v1) and Discussions (plain Python).

Source keys in the comments (A1 Allegro's OpenAPI, A2 a copy holding the beta.v1 /messaging shapes, A3 Allegro's
[NEWS] posts, A4 developer.allegro.pl, A5 answers from Allegro staff) are defined, with their public URLs, in
docs/marketplace-contract.md; the client contract is docs/connectors.md.

One client per Allegro account (the `login`). Tokens live in a `TokenStore`; every API call goes through
`AllegroClient._api`, which refreshes a token that expires within 60 s, sends it as a Bearer token with the
endpoint's media type, and on a 401 refreshes once through `store.refresh` (so two workers never refresh in
parallel: Allegro invalidates the old pair, A5 #9045, #4115) and retries once.

Receiving is all-or-nothing: any unreadable page raises (MalformedResponse, TransientError…) before anything is
returned, so a caller that advances its `since` cursor only after a successful fetch loses nothing. The caller
should still de-duplicate on `IncomingMessage.external_id` (offset paging over a list that changes while we read
it can show a thread twice; we drop such doubles within one fetch).

Layout, one module per API family on one shared transport:

* ``transport``: hosts, media types and ``AllegroTransport._api`` (every API call) and attachment downloads;
* ``oauth``: authorization code, refresh and device flow;
* ``message_center`` (+ ``message_center_public``, ``message_center_beta``): /messaging in public.v1 or beta.v1;
* ``discussions``: disputes and claims (/sale/issues);
* ``pacing``: one send per second per user; ``parsing``: reading replies;
* ``client``: ``AllegroClient``, which combines them.
"""

from .client import AllegroClient
from .discussions import CHANNEL_DISCUSSIONS
from .message_center_beta import CHANNEL_BETA
from .message_center_public import CHANNEL_PUBLIC
from .oauth import DEVICE_GRANT, OAUTH_URL, SANDBOX_OAUTH_URL
from .transport import API_URL, BETA_V1, MESSAGING_VERSIONS, PUBLIC_V1, SANDBOX_API_URL

__all__ = [
    "API_URL",
    "BETA_V1",
    "CHANNEL_BETA",
    "CHANNEL_DISCUSSIONS",
    "CHANNEL_PUBLIC",
    "DEVICE_GRANT",
    "MESSAGING_VERSIONS",
    "OAUTH_URL",
    "PUBLIC_V1",
    "SANDBOX_API_URL",
    "SANDBOX_OAUTH_URL",
    "AllegroClient",
]
