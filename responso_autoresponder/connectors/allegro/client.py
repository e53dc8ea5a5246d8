"""AllegroClient: one Allegro account, its API families on one shared transport.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

import time

from ..http import HttpClient
from .discussions import AllegroDiscussions
from .message_center import AllegroMessageCenter
from .oauth import OAUTH_URL, SANDBOX_OAUTH_URL, AllegroOAuth
from .pacing import _SendPacer, _shared_pacer
from .transport import API_URL, BETA_V1, MESSAGING_VERSIONS, SANDBOX_API_URL, AllegroTransport


class AllegroClient(AllegroMessageCenter, AllegroDiscussions, AllegroOAuth, AllegroTransport):
    """One Allegro account: OAuth, new messages (Message Center and Discussions), sending replies.

    `store`: the account's TokenStore. `login`: the account's Allegro login (loop_guard compares authors to it).
    `http`: an HttpClient for the API host (one per account; OAuth calls go through it with absolute URLs); built
    when not given. `messaging_version`: "beta.v1" (default; mandatory for integrations from 28 Oct 2026, A3
    #13797) or "public.v1". `clock`/`sleep`: injected to pace sends without a real wait (tests).
    """

    def __init__(self, store, *, client_id, client_secret, login, sandbox=False, api_url=None, oauth_url=None,
                 http=None, messaging_version=BETA_V1, clock=None, sleep=None):
        if messaging_version not in MESSAGING_VERSIONS:
            raise ValueError("messaging_version must be one of %s, not %r"
                             % (", ".join(MESSAGING_VERSIONS), messaging_version))
        self.store = store
        self.client_id = client_id
        self._client_secret = client_secret
        self.login = login
        self.messaging_version = messaging_version
        self.api_url = (api_url or (SANDBOX_API_URL if sandbox else API_URL)).rstrip("/")
        self.oauth_url = (oauth_url or (SANDBOX_OAUTH_URL if sandbox else OAUTH_URL)).rstrip("/")
        self.http = http if http is not None else HttpClient(self.api_url)
        if clock is None and sleep is None:
            self._pacer = _shared_pacer(self.api_url, login)
        else:
            self._pacer = _SendPacer(clock=clock or time.monotonic, sleep=sleep or time.sleep)
        self._chat_active = {}  # issue id -> currentState.chatActive as last seen (A1)

    def __repr__(self):
        return "AllegroClient(login=%r, api_url=%r, messaging_version=%r)" % (
            self.login, self.api_url, self.messaging_version)
