from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import request

from ..connectors.http import MarketplaceError


class ResponsoOAuthController(http.Controller):
    """Where Allegro and eBay send the seller back after consent (OAuth 2 authorization code)."""

    @http.route("/responso/oauth/callback", type="http", auth="user", methods=["GET"])
    def oauth_callback(self, code=None, state=None, error=None, error_description=None, **kwargs):
        if error or not code or not state:
            raise BadRequest(error_description or error or "missing code or state")
        try:
            account = request.env["responso.account"]._responso_oauth_callback(code, state)
        except MarketplaceError as exc:
            raise BadRequest(exc.message) from None
        return request.redirect(f"/odoo/action-responso_autoresponder.responso_account_action/{account.id}")
