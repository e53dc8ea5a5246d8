from odoo import _, fields, models
from odoo.exceptions import UserError

from ..connectors.http import MarketplaceError
from ..models.responso_account_token_store import AccountTokenStore


class ResponsoAccountConnectWizard(models.TransientModel):
    """Connect an account to its marketplace: open the consent page (Allegro, eBay), or — for Allegro — the
    device flow: show the seller a code to confirm on allegro.pl, then check."""

    _name = "responso.account.connect.wizard"
    _description = "Connect a Marketplace Account"

    account_id = fields.Many2one("responso.account", required=True, readonly=True, ondelete="cascade")
    integration_code = fields.Char(related="account_id.integration_code", string="Integration Code")
    device_code = fields.Char(readonly=True)
    user_code = fields.Char("Code", readonly=True)
    verification_url = fields.Char("Confirm on", readonly=True)
    state = fields.Selection([("start", "Start"), ("waiting", "Waiting"), ("done", "Connected")], default="start")

    def action_open_consent_page(self):
        """The marketplace's consent page, with a state made for this user now (single use, expiring)."""
        self.ensure_one()
        try:
            url = self.account_id._responso_authorization_url()
        except MarketplaceError as exc:
            raise UserError(exc.message) from None
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new", "name": _("Connect %(account)s", account=self.account_id.name)}

    def action_start_device_flow(self):
        self.ensure_one()
        client = self.account_id._responso_client()
        try:
            flow = client.start_device_flow()
        except MarketplaceError as exc:
            raise UserError(exc.message) from None
        finally:
            client.close()
        self.write({"device_code": flow["device_code"], "user_code": flow["user_code"], "state": "waiting",
                    "verification_url": flow["verification_uri_complete"] or flow["verification_uri"]})
        return self._reopen()

    def action_check_device_flow(self):
        self.ensure_one()
        client = self.account_id._responso_client()
        try:
            token = client.try_device_token(self.device_code)
        except MarketplaceError as exc:
            raise UserError(exc.message) from None
        finally:
            client.close()
        if token is None:
            raise UserError(_("Not confirmed yet: open %(url)s, confirm the code %(code)s, then check again.",
                              url=self.verification_url, code=self.user_code))
        AccountTokenStore(self.account_id).set(token)
        self.account_id.sudo().last_error = False
        self.state = "done"
        return self._reopen()
