"""The account's OAuth tokens, as the plain-Python clients' TokenStore (docs/connectors.md, Tokens)."""

import threading

import pytz

from odoo import _, fields
from odoo.tools import SQL

from ..connectors.common import Token
from ..connectors.http import AuthError


class AccountTokenStore:
    """The account's OAuth tokens, refreshed under a row lock and stored at once in their own transaction:
    Allegro invalidates the old pair on refresh, so a new pair must never be lost to a rollback, and two workers
    must never refresh in parallel (docs/marketplace-contract.md, A5 #9045 and #4115)."""

    def __init__(self, account):
        self.env = account.env
        self.account_id = account.id

    def _account(self, env=None):
        return (env or self.env)["responso.account"].sudo().browse(self.account_id)

    def get(self):
        account = self._account()
        if not account.api_access_token:
            raise AuthError(_("The account %(account)s is not connected.", account=account.name))
        return Token(account.api_access_token, account.api_refresh_token or None,
                     (account.api_token_expires_at or fields.Datetime.now()).replace(tzinfo=pytz.utc))

    def set(self, token):
        self._store(self.env.cr, token)
        self._account().invalidate_recordset()

    def refresh(self, stale_access_token, refresher):
        testing = getattr(threading.current_thread(), "testing", False)
        if testing:  # tests cannot commit: same transaction
            return self._refresh_in(self.env.cr, stale_access_token, refresher)
        with self.env.registry.cursor() as cr:
            token = self._refresh_in(cr, stale_access_token, refresher)
            # The marketplace has already invalidated the old pair: the new one must survive whatever happens to
            # the caller's transaction, so it is committed at once, in this cursor of its own.
            cr.commit()  # pylint: disable=invalid-commit
        self._account().invalidate_recordset()
        return token

    def _refresh_in(self, cr, stale_access_token, refresher):
        cr.execute(SQL("""SELECT api_access_token, api_refresh_token, api_token_expires_at
                            FROM responso_account WHERE id = %s FOR NO KEY UPDATE""", self.account_id))
        access, refresh, expires = cr.fetchone()
        if access and access != stale_access_token:  # another worker refreshed meanwhile
            return Token(access, refresh, expires.replace(tzinfo=pytz.utc))
        if not refresh:
            raise AuthError(_("The access token expired and there is no refresh token: connect the account again."))
        token = refresher(refresh)
        self._store(cr, token)
        self._account().invalidate_recordset()
        return token

    def _store(self, cr, token):
        cr.execute(SQL("""UPDATE responso_account
                             SET api_access_token = %s, api_refresh_token = %s, api_token_expires_at = %s
                           WHERE id = %s""", token.access_token, token.refresh_token,
                       token.expires_at.astimezone(pytz.utc).replace(tzinfo=None), self.account_id))
