"""Allegro OAuth: authorization code, token refresh and the device flow.

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

import logging
import time
from datetime import timedelta
from urllib.parse import urlencode

from ..common import Token
from ..http import AuthError, MalformedResponse, PermanentError, RateLimited, TransientError
from .parsing import _utcnow

_logger = logging.getLogger(__name__)

# A1 securitySchemes: authorizationUrl https://allegro.pl/auth/oauth/authorize, tokenUrl
# https://allegro.pl/auth/oauth/token (the OAuth host is allegro.pl, not api.allegro.pl); sandbox OAuth host per the
# tutorial code in A5 #5140 (and staff in #7003).
OAUTH_URL = "https://allegro.pl"
SANDBOX_OAUTH_URL = "https://allegro.pl.allegrosandbox.pl"

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"  # A5 #2429, #8049
ACCESS_TOKEN_LIFETIME = timedelta(hours=12)  # A4 glossary, A5 #9045: used when a token reply has no expires_in
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5; UNVERIFIED for Allegro: no Allegro source mentions slow_down
DEFAULT_DEVICE_INTERVAL = 5.0  # RFC 8628 §3.2 default; 5 was also seen from Allegro (A5 #11017)

# OAuth error codes (RFC 6749 §5.2, RFC 8628 §3.5) that mean "keep polling" in the device flow.
_PENDING = "authorization_pending"  # A5 #2429, #8049, #11017
_SLOW_DOWN = "slow_down"  # UNVERIFIED for Allegro (RFC 8628 only)


class AllegroOAuth:
    """Tokens for one account. Needs `http`, `oauth_url`, `client_id` and `_client_secret` on the client."""

    def authorization_url(self, redirect_uri, state=None):
        """Where to send the seller to grant access (A1 authorizationCode.authorizationUrl)."""
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri}
        if state:
            params["state"] = state
        return "%s/auth/oauth/authorize?%s" % (self.oauth_url, urlencode(params))

    def _token_request(self, params):
        # POST https://allegro.pl/auth/oauth/token with HTTP Basic client_id:secret (A1 tokenUrl; A5 #2791); the
        # parameters go in the query string as in Allegro's guide and staff answers (A5 #2429, #8049).
        return self.http.json("POST", self.oauth_url + "/auth/oauth/token", params=params,
                              auth=(self.client_id, self._client_secret), headers={"Accept": "application/json"})

    @staticmethod
    def _token_from(payload, what, previous_refresh_token=None):
        # OAuth token reply: access_token, refresh_token, expires_in (43199 s: 12 h, A4 glossary / A5 #9045)
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise MalformedResponse("Allegro %s: the token reply has no access_token" % what)
        refresh = payload.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous_refresh_token
        lifetime = payload.get("expires_in")
        try:
            lifetime = timedelta(seconds=float(lifetime))
        except (TypeError, ValueError):
            lifetime = ACCESS_TOKEN_LIFETIME
        return Token(access_token=access, refresh_token=refresh, expires_at=_utcnow() + lifetime)

    @staticmethod
    def _as_auth_error(exc, what):
        description = exc.message
        if exc.code and exc.code not in description:
            description = "%s: %s" % (exc.code, description)
        return AuthError("Allegro %s: %s" % (what, description), status=exc.status, code=exc.code,
                         payload=exc.payload)

    def exchange_code(self, code, redirect_uri):
        """Authorization code flow: the Token for the code Allegro sent to `redirect_uri` (A1 authorizationCode)."""
        try:
            payload = self._token_request({"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": redirect_uri})
        except (AuthError, PermanentError) as exc:  # invalid_grant (code reused or expired), bad client…
            raise self._as_auth_error(exc, "authorization code refused") from exc
        return self._token_from(payload, "authorization code")

    def _refresh(self, refresh_token):
        """The refresher for store.refresh: a new pair (A5 #9045: the old refresh *and* access tokens die)."""
        if not refresh_token:
            raise AuthError("Allegro: no refresh token; connect the account again")
        try:
            payload = self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
        except (AuthError, PermanentError) as exc:
            # reused or expired refresh token: 400 invalid_grant "Invalid refresh token: …" (A5 #10107)
            raise self._as_auth_error(exc, "token refresh refused") from exc
        return self._token_from(payload, "token refresh", previous_refresh_token=refresh_token)

    def start_device_flow(self):
        """Device flow, step 1 (A1 x-deviceCode; A5 #5140, #9045, #11017).

        Returns {device_code, user_code, verification_uri, verification_uri_complete, interval, expires_in}:
        show the seller verification_uri_complete (or verification_uri and user_code), then poll_device_token().
        """
        # POST https://allegro.pl/auth/oauth/device with HTTP Basic client_id:secret (A5 #5140, #9045). client_id
        # goes in the query string: staff say the form-body variant of the old tutorial did not work (A5 #5981,
        # #7681).
        try:
            payload = self.http.json("POST", self.oauth_url + "/auth/oauth/device",
                                     params={"client_id": self.client_id}, auth=(self.client_id, self._client_secret),
                                     headers={"Accept": "application/json"})
        except (AuthError, PermanentError) as exc:
            raise self._as_auth_error(exc, "device flow refused") from exc
        for key in ("device_code", "user_code", "verification_uri"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                raise MalformedResponse("Allegro device flow: the reply has no %s" % key)
        try:
            interval = float(payload.get("interval") or DEFAULT_DEVICE_INTERVAL)
            expires_in = float(payload["expires_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse("Allegro device flow: unreadable interval/expires_in") from exc
        return {
            "device_code": payload["device_code"],
            "user_code": payload["user_code"],
            "verification_uri": payload["verification_uri"],
            "verification_uri_complete": payload.get("verification_uri_complete") or None,
            "interval": interval,
            "expires_in": expires_in,
        }

    def try_device_token(self, device_code):
        """Device flow, step 2, one attempt (for a person clicking "check" rather than a waiting loop): the Token
        once the seller confirmed, None while Allegro answers authorization_pending or slow_down."""
        try:
            payload = self._token_request({"grant_type": DEVICE_GRANT, "device_code": device_code})
        except (AuthError, PermanentError) as exc:
            if exc.code in (_PENDING, _SLOW_DOWN):
                return None
            raise self._as_auth_error(exc, "device flow refused") from exc
        return self._token_from(payload, "device flow")

    def poll_device_token(self, device_code, *, interval, expires_in, sleep=time.sleep, clock=time.monotonic):
        """Device flow, step 2: poll the token endpoint every `interval` s until the seller confirms (a Token).

        authorization_pending: keep polling (A5 #2429, #8049, #11017); slow_down: add 5 s to the interval
        (RFC 8628 §3.5, UNVERIFIED for Allegro); any other error (access_denied, expired_token, invalid_request
        "Invalid device code" A5 #11017…) raises AuthError with Allegro's error_description; after `expires_in`
        seconds without an answer, AuthError too. A network error or a 429 only delays the next poll.
        """
        interval = float(interval) if interval and float(interval) > 0 else DEFAULT_DEVICE_INTERVAL
        deadline = clock() + float(expires_in)
        wait = interval
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise AuthError("Allegro device flow: the code expired before the seller confirmed it",
                                code="expired_token")
            sleep(min(wait, remaining))
            if clock() >= deadline:
                continue  # reported at the top of the loop
            wait = interval
            try:
                payload = self._token_request({"grant_type": DEVICE_GRANT, "device_code": device_code})
            except RateLimited as exc:
                wait = max(interval, exc.retry_after)
                continue
            except TransientError as exc:
                _logger.info("Allegro device flow: %s; polling again", exc)
                continue
            except (AuthError, PermanentError) as exc:
                if exc.code == _PENDING:
                    continue
                if exc.code == _SLOW_DOWN:
                    interval += SLOW_DOWN_STEP
                    wait = interval
                    continue
                raise self._as_auth_error(exc, "device flow refused") from exc
            return self._token_from(payload, "device flow")
