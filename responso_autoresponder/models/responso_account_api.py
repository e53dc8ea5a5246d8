"""Marketplace accounts as API endpoints: environment, credentials, and the plain-Python client they get."""

import pytz

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..connectors import allegro, ebay
from ..connectors.http import HttpClient, MarketplaceError
from .responso_account_token_store import AccountTokenStore

# one number for connect and read: Odoo's request guard in tests compares the timeout with a number
REQUEST_TIMEOUT = 30
API_INTEGRATIONS = ("allegro", "ebay")


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    integration_code = fields.Char(related="integration_id.code", string="Integration Code")
    api_login = fields.Char(
        "Marketplace Login", help="The account's own login (Allegro) or user name (eBay): its messages are ours, "
                                  "never a buyer's.")
    api_environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox"), ("custom", "Custom endpoints")],
        string="Environment", default="production", required=True, groups="base.group_system")
    api_url = fields.Char("API URL", groups="base.group_system",
                          help="Custom endpoints only: the API root (a test or demo server).")
    api_oauth_url = fields.Char("OAuth URL", groups="base.group_system",
                                help="Custom endpoints only: the OAuth root (Allegro).")
    api_client_id = fields.Char("Client ID", groups="base.group_system", copy=False)
    api_client_secret = fields.Char("Client Secret", groups="base.group_system", copy=False)
    api_access_token = fields.Char(groups="base.group_system", copy=False)
    api_refresh_token = fields.Char(groups="base.group_system", copy=False)
    api_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)

    def _responso_client(self):
        """The account's marketplace client (one HTTP session: close() it when done)."""
        self.ensure_one()
        account = self.sudo()
        store = AccountTokenStore(account)
        custom = account.api_environment == "custom"
        common = {"client_id": account.api_client_id or "", "client_secret": account.api_client_secret or ""}
        sandbox = account.api_environment == "sandbox"
        if account.integration_code == "allegro":
            api_url = custom and account.api_url or (allegro.SANDBOX_API_URL if sandbox else allegro.API_URL)
            return allegro.AllegroClient(
                store, login=account.api_login or "", sandbox=sandbox, api_url=api_url,
                oauth_url=custom and (account.api_oauth_url or account.api_url) or None,
                http=HttpClient(api_url, timeout=REQUEST_TIMEOUT), **common)
        if account.integration_code == "ebay":
            root = custom and account.api_url or (ebay.SANDBOX_ROOT if sandbox else ebay.PRODUCTION_ROOT)
            return ebay.EbayClient(store, username=account.api_login or "", base_url=root,
                                   http=HttpClient(root, timeout=REQUEST_TIMEOUT), **common)
        raise UserError(_("%(integration)s accounts have no API connector: their messages come by e-mail.",
                          integration=account.integration_id.name))

    def _responso_connected(self):
        """Whether replies go out through the API (else they stay in the chatter for an agent to copy)."""
        account = self.sudo()
        return bool(account) and bool(account.api_refresh_token or account.api_access_token)

    def _responso_check_api_rights(self):
        """The connection buttons (Test connection, Fetch messages now) talk to the marketplace as superuser:
        managers of the account's company and administrators only, checked here since buttons can be called over
        RPC."""
        if not (self.env.su or self.env.user.has_group("responso_autoresponder.group_responso_manager")
                or self.env.user.has_group("base.group_system")):
            raise AccessError(_("Only autoresponder managers may test an account's connection or fetch its "
                                "messages."))
        self.check_access("write")

    def action_test_connection(self):
        self.ensure_one()
        self._responso_check_api_rights()
        client = self._responso_client()
        try:
            client.fetch_new_messages(fields.Datetime.now().replace(tzinfo=pytz.utc))
        except MarketplaceError as exc:
            self.sudo().last_error = exc.message
            raise UserError(_("Connection to %(account)s failed: %(error)s", account=self.name,
                              error=exc.message)) from None
        finally:
            client.close()
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "message": _("Connected to %(account)s.", account=self.name)}}
