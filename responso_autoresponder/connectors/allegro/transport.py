"""The one way every Allegro API call travels: Bearer token, media type, one refresh-and-retry on a 401.

Every API family (Message Center public.v1 and beta.v1, Discussions) calls `_api`; OAuth calls go to the OAuth
host through the same HttpClient. Source keys (A1…A5) are defined, with their public URLs, in
docs/marketplace-contract.md.
"""

from ..download import download, origin
from ..http import AuthError

# Hosts (A1 servers[0].variables.environment.enum).
API_URL = "https://api.allegro.pl"
SANDBOX_API_URL = "https://api.allegro.pl.allegrosandbox.pl"

PUBLIC_V1 = "public.v1"
BETA_V1 = "beta.v1"
MESSAGING_VERSIONS = (PUBLIC_V1, BETA_V1)
_MEDIA_TYPE = "application/vnd.allegro.%s+json"


class AllegroTransport:
    """Calls to the Allegro API host for one account. Needs `store`, `http`, `api_url` and the OAuth `_refresh`
    (AllegroOAuth) on the client."""

    def close(self):
        self.http.close()

    def _token(self):
        token = self.store.get()
        if token.expires_soon():
            token = self.store.refresh(token.access_token, self._refresh)
        return token

    def _api(self, method, path, *, version, params=None, body=None, expected=(200, 201)):
        """Every API call: Bearer token, the endpoint's media type, one refresh-and-retry on a 401
        (docs/connectors.md, Tokens)."""
        media_type = _MEDIA_TYPE % version  # application/vnd.allegro.{public,beta}.v1+json (A1, A2)
        token = self._token()
        for attempt in (1, 2):
            headers = {"Authorization": "Bearer " + token.access_token, "Accept": media_type}
            if body is not None:
                headers["Content-Type"] = media_type
            try:
                return self.http.json(method, self.api_url + path, params=params, json=body, headers=headers,
                                      expected=expected)
            except AuthError:
                if attempt == 2:
                    raise
                # the token died early (refreshed by another worker: A5 #4115): refresh once, or take the pair
                # the other worker stored
                token = self.store.refresh(token.access_token, self._refresh)
        raise AssertionError("unreachable")

    def download_attachment(self, url):
        """The bytes of a message attachment (A1 Message.attachments[].url; the download call itself is
        UNVERIFIED: docs/marketplace-contract.md). Our token is only ever sent to the API host: only its origin
        (scheme, host and port) is accepted, for the first address and for every redirect."""
        api_origin = origin(self.api_url)
        token = self._token()
        for attempt in (1, 2):
            try:
                return download(self.http, url, allowed=lambda found: found == api_origin,
                                headers={"Authorization": "Bearer " + token.access_token, "Accept": "*/*"})
            except AuthError:
                if attempt == 2:
                    raise
                token = self.store.refresh(token.access_token, self._refresh)
        return b""  # not reached
