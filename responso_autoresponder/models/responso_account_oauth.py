"""Connecting an account: the OAuth authorization code flow (the Allegro device flow is in the connect wizard).

The OAuth `state` (RFC 6749 §10.12) is a random nonce stored server-side with the account, the user who opened
the consent page and an expiry; the callback consumes it once, for that user only, before any code exchange."""

import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .responso_account_token_store import AccountTokenStore

OAUTH_STATE_LIFETIME = timedelta(minutes=15)  # time to sign in on the marketplace and accept


class ResponsoOAuthState(models.Model):
    """One pending consent: the `state` sent to the marketplace, which account it connects, for whom, until when.
    Written by the server only (sudo); system administrators may read them."""

    _name = "responso.oauth.state"
    _description = "Pending Marketplace Consent"
    _log_access = False

    nonce = fields.Char(required=True, index=True)
    account_id = fields.Many2one("responso.account", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    expires_at = fields.Datetime(required=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "An OAuth state is used once.")]

    @api.model
    def _responso_issue(self, account):
        """A new state for `account`, opened by the current user."""
        nonce = secrets.token_urlsafe(32)
        self.sudo().create({"nonce": nonce, "account_id": account.id, "user_id": self.env.uid,
                            "expires_at": fields.Datetime.now() + OAUTH_STATE_LIFETIME})
        return nonce

    @api.model
    def _responso_consume(self, nonce):
        """The account a state was issued for, if it is known, unexpired and was opened by the current user;
        the state is deleted in the same statement, so it is good for one callback only (two callbacks racing
        with one state: one wins)."""
        if not nonce or not isinstance(nonce, str):
            return self.env["responso.account"]
        self.env.cr.execute(SQL(
            "DELETE FROM responso_oauth_state WHERE nonce = %s RETURNING account_id, user_id, expires_at", nonce))
        row = self.env.cr.fetchone()
        if not row or row[1] != self.env.uid or row[2] <= fields.Datetime.now():
            return self.env["responso.account"]
        return self.env["responso.account"].browse(row[0])

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<=", fields.Datetime.now())]).unlink()


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    api_redirect_uri = fields.Char(
        "Redirect URI", groups="base.group_system",
        help="OAuth redirect registered with the marketplace. Allegro: this database's /responso/oauth/callback "
             "(the default). eBay: the application's RuName, whose accept URL is that callback.")

    def _responso_redirect_uri(self):
        self.ensure_one()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return self.sudo().api_redirect_uri or base.rstrip("/") + "/responso/oauth/callback"

    def _responso_oauth_state(self):
        """A fresh, single-use state for a consent opened by the current user (responso.oauth.state)."""
        self.ensure_one()
        self.check_access("write")
        return self.env["responso.oauth.state"]._responso_issue(self)

    def _responso_authorization_url(self):
        """The marketplace's consent page, with a new state: call it when the user opens the page."""
        self.ensure_one()
        client = self._responso_client()
        try:
            return client.authorization_url(self._responso_redirect_uri(), state=self._responso_oauth_state())
        finally:
            client.close()

    @api.model
    def _responso_oauth_callback(self, code, state):
        """The marketplace sent the seller back with a code: check the state (once), exchange the code and store
        the tokens."""
        account = self.env["responso.oauth.state"]._responso_consume(state)
        if not account.exists():
            raise UserError(_("This connection link is not valid, has expired or was already used: open the "
                              "consent page again from the account."))
        account.check_access("write")
        client = account._responso_client()
        try:
            token = client.exchange_code(code, account._responso_redirect_uri())
        finally:
            client.close()
        AccountTokenStore(account).set(token)
        account.sudo().write({"last_error": False})
        return account

    def action_connect(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Connect %(account)s", account=self.name),
            "res_model": "responso.account.connect.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }
