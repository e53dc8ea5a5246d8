"""Connecting an account: the OAuth authorization code flow (the Allegro device flow is in the connect wizard)."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from .responso_account_token_store import AccountTokenStore


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
        """Ties the marketplace's redirect to this account and this database (HMAC, never guessable)."""
        self.ensure_one()
        return "%d-%s" % (self.id, hmac(self.env(su=True), "responso-oauth", self.id))

    def _responso_authorization_url(self):
        self.ensure_one()
        client = self._responso_client()
        try:
            return client.authorization_url(self._responso_redirect_uri(), state=self._responso_oauth_state())
        finally:
            client.close()

    @api.model
    def _responso_oauth_callback(self, code, state):
        """The marketplace sent the seller back with a code: exchange it and store the tokens."""
        account_id, _sep, signature = (state or "").partition("-")
        account = self.browse(int(account_id)) if account_id.isdigit() else self.browse()
        if not account.exists() or not consteq(signature, hmac(self.env(su=True), "responso-oauth", account.id)):
            raise UserError(_("This connection link is not valid for this database."))
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
