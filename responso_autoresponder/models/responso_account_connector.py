"""Marketplace accounts as connector endpoints: credentials, token store, polling, sending.

The HTTP clients are plain Python (connectors/); this layer maps an account to a client, stores what it fetches
as conversations and buyer messages (exactly once), and sends replies through it.
"""

import logging
import threading
from datetime import timedelta

import pytz
from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, consteq, html2plaintext, plaintext2html
from odoo.tools.misc import hmac

from ..connectors import allegro, ebay
from ..connectors.common import MemoryTokenStore, Token
from ..connectors.fakes.allegro_server import FakeAllegro
from ..connectors.fakes.ebay_server import FakeEbay
from ..connectors.http import AuthError, HttpClient, MarketplaceError, PermanentError
from ..engine.loop_guard import marketplace_author_signal

_logger = logging.getLogger(__name__)

# one number for connect and read: Odoo's request guard in tests compares the timeout with a number
REQUEST_TIMEOUT = 30
POLL_OVERLAP = timedelta(minutes=10)
FIRST_POLL_HISTORY = timedelta(days=30)  # offset paging is no snapshot: re-read a margin, duplicates are dropped
SOURCE_OF_CHANNEL = {
    "allegro_public_v1": "responso_autoresponder.source_allegro_messages",
    "allegro_beta_v1": "responso_autoresponder.source_allegro_messages",
    "allegro_discussions": "responso_autoresponder.source_allegro_discussions",
    "ebay": "responso_autoresponder.source_ebay",
}
API_INTEGRATIONS = ("allegro", "ebay")


_DEMO_FAKES = {}  # integration code -> fake marketplace served by this Odoo process (demo mode)
_DEMO_LOCK = threading.Lock()
DEMO_LOGIN = "myshop-demo"


def demo_marketplace(code):
    """The built-in fake marketplace of the demo accounts, started on first use on a free local port. It follows
    the documented contracts (connectors/fakes/), so the demo exercises the real clients end to end."""
    with _DEMO_LOCK:
        fake = _DEMO_FAKES.get(code)
        if fake is None:
            fake = FakeAllegro(login=DEMO_LOGIN) if code == "allegro" else FakeEbay(seller=DEMO_LOGIN)
            _DEMO_FAKES[code] = fake
        return fake


def _demo_token(answer):
    expires = fields.Datetime.now().replace(tzinfo=pytz.utc) + timedelta(seconds=answer["expires_in"])
    return Token(answer["access_token"], answer.get("refresh_token"), expires)


class AccountTokenStore:
    """The account's OAuth tokens, refreshed under a row lock and stored at once in their own transaction:
    Allegro invalidates the old pair on refresh, so a new pair must never be lost to a rollback, and two workers
    must never refresh in parallel (connectors/common.py TokenStore)."""

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
            cr.commit()
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


class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    integration_code = fields.Char(related="integration_id.code", string="Integration Code")
    api_login = fields.Char(
        "Marketplace Login", help="The account's own login (Allegro) or user name (eBay): its messages are ours, "
                                  "never a buyer's.")
    api_environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox"), ("custom", "Custom endpoints"),
         ("demo", "Demo (built-in fake marketplace)")],
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
    poll_cursor = fields.Datetime("Fetched Until", copy=False, readonly=True,
                                  help="Messages newer than this are fetched at the next poll.")
    last_poll_at = fields.Datetime("Last Successful Poll", copy=False, readonly=True)
    last_error = fields.Text("Last Error", copy=False, readonly=True)
    api_redirect_uri = fields.Char(
        "Redirect URI", groups="base.group_system",
        help="OAuth redirect registered with the marketplace. Allegro: this database's /responso/oauth/callback "
             "(the default). eBay: the application's RuName, whose accept URL is that callback.")
    sender_email = fields.Char(
        "Registered Sender", help="Amazon: the e-mail address registered for Buyer-Seller Messaging; replies to "
                                  "the buyer relay are sent from it (Amazon rejects other senders).")
    poll_cron_id = fields.Many2one("ir.cron", string="Polling Job", readonly=True, copy=False, ondelete="set null")

    # ------------------------------------------------------------------
    # Polling job: one ir.cron per API account
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts._responso_sync_cron()
        return accounts

    def write(self, vals):
        res = super().write(vals)
        if {"active", "integration_id", "name"} & set(vals):
            self._responso_sync_cron()
        return res

    def unlink(self):
        crons = self.poll_cron_id
        res = super().unlink()
        crons.unlink()
        return res

    def _responso_sync_cron(self):
        Cron = self.env["ir.cron"].sudo()
        for account in self.sudo():
            if account.integration_code not in API_INTEGRATIONS:
                continue
            values = {"name": _("Autoresponder: fetch messages of %(account)s", account=account.name),
                      "active": account.active}
            if account.poll_cron_id:
                account.poll_cron_id.write(values)
                continue
            account.poll_cron_id = Cron.create(dict(values, **{
                "model_id": self.env["ir.model"]._get_id("responso.account"),
                "state": "code",
                "code": "model.browse(%d)._responso_poll()" % account.id,
                "interval_number": 5,
                "interval_type": "minutes",
                "user_id": self.env.ref("base.user_root").id,
            }))

    # ------------------------------------------------------------------
    # Client
    # ------------------------------------------------------------------
    def _responso_client(self):
        self.ensure_one()
        account = self.sudo()
        if account.api_environment == "demo":
            return account._responso_demo_client()
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

    # ------------------------------------------------------------------
    # Connecting (OAuth authorization code; Allegro device flow in the wizard)
    # ------------------------------------------------------------------
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

    def _responso_connected(self):
        account = self.sudo()
        return bool(account) and (account.api_environment == "demo" and account.integration_code in API_INTEGRATIONS
                                  or bool(account.api_refresh_token or account.api_access_token))

    def _responso_demo_client(self):
        fake = demo_marketplace(self.integration_code)
        store = MemoryTokenStore(_demo_token(
            fake.issue_tokens() if self.integration_code == "allegro" else fake.issue_token()))
        http_client = HttpClient(fake.url, timeout=REQUEST_TIMEOUT)
        if self.integration_code == "allegro":
            return allegro.AllegroClient(store, login=DEMO_LOGIN, client_id=fake.client_id,
                                         client_secret=fake.client_secret, api_url=fake.url, oauth_url=fake.url,
                                         http=http_client)
        return ebay.EbayClient(store, username=DEMO_LOGIN, client_id="demo", client_secret="demo",
                               base_url=fake.url, http=http_client)

    def _responso_demo_buyer_message(self, conversation, text):
        """Demo mode: the buyer writes on the fake marketplace, and the account fetches it at once, as its
        polling job would."""
        self.ensure_one()
        fake = demo_marketplace(self.integration_code)
        login = conversation.buyer_id.responso_login or conversation.buyer_id.name
        now = fields.Datetime.now().replace(tzinfo=pytz.utc)
        thread = conversation.external_thread_id
        if conversation.source_id == self.env.ref("responso_autoresponder.source_allegro_discussions"):
            if thread not in fake.issues:
                fake.add_issue(thread, buyer_login=login, subject=conversation.name)
            fake.add_issue_message(thread, text, at=now, role="BUYER", login=login)
        elif self.integration_code == "allegro":
            if thread not in fake.threads:
                fake.add_thread(thread, interlocutor=login)
            fake.add_message(thread, text, at=now, login=login)
        else:
            if not fake.has_conversation(thread):
                fake.add_conversation(thread, other_party=login)
            fake.add_message(thread, text, sender=login, created=now)
        return self._responso_poll()

    def action_test_connection(self):
        self.ensure_one()
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

    def action_poll_now(self):
        for account in self:
            account._responso_poll()
        if self.last_error:
            raise UserError(self.last_error)
        return True

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------
    def _responso_poll(self):
        """Fetch new messages and store each once; the cursor moves only once they are stored."""
        self.ensure_one()
        account = self.sudo()
        client = account._responso_client()
        # a first poll reads the last month: older history is not worth importing
        cursor = account.poll_cursor or fields.Datetime.now() - FIRST_POLL_HISTORY
        since = (cursor - POLL_OVERLAP).replace(tzinfo=pytz.utc)
        stored = 0
        try:
            messages = client.fetch_new_messages(since)
            if account.integration_code == "allegro":
                messages = sorted(messages + client.fetch_new_issue_messages(since), key=lambda m: m.created_at)
            for message in messages:  # the same session downloads the attachments
                stored += bool(account._responso_store_incoming(message, client))
        except MarketplaceError as exc:
            account.last_error = exc.message
            _logger.info("Polling %s failed: %s", account.name, exc.message)
            return 0
        finally:
            client.close()
        newest = max((m.created_at for m in messages), default=None)
        values = {"last_poll_at": fields.Datetime.now(), "last_error": False}
        if newest and (not account.poll_cursor or newest.replace(tzinfo=None) > account.poll_cursor):
            values["poll_cursor"] = newest.astimezone(pytz.utc).replace(tzinfo=None)
        account.write(values)
        return stored

    def _responso_store_incoming(self, message, client=None):
        """One fetched message into its conversation: the buyer's as a buyer message (evaluated by the
        autoresponder), anyone else's (ours, the marketplace's) as a note that is never evaluated."""
        source = self.env.ref(SOURCE_OF_CHANNEL[message.channel])
        Message = self.env["mail.message"].sudo()
        domain = [("responso_source_id", "=", source.id), ("responso_account_id", "=", self.id),
                  ("responso_external_id", "=", message.external_id)]
        existing = Message.search(domain, limit=1)
        if existing:
            return existing
        signal = marketplace_author_signal(message.channel, message.author, account_login=self.api_login)
        Conversation = self.env["responso.conversation"].sudo()
        conversation = Conversation.search([("account_id", "=", self.id), ("source_id", "=", source.id),
                                            ("external_thread_id", "=", message.thread_id)], limit=1)
        if not conversation:
            if signal is not None:
                return False  # a thread starts with its buyer; our own first message is already known to us
            conversation = Conversation.create({
                "name": message.subject or _("Message from %(login)s", login=message.author_login or "?"),
                "account_id": self.id, "source_id": source.id, "external_thread_id": message.thread_id,
                "buyer_id": self._responso_buyer_partner(message.author_login).id,
                "order_ref": message.order_ref or False, "company_id": self.company_id.id,
            })
        body, files = plaintext2html(message.text or ""), []
        links = []
        for name, url in message.attachments:
            if not str(url or "").startswith(("https://", "http://")):
                continue
            try:
                if client is None:
                    raise PermanentError("no client to download with")
                files.append((name or url.rsplit("/", 1)[-1], client.download_attachment(url)))
            except MarketplaceError as exc:  # kept on the marketplace: link it
                _logger.info("Attachment %s of %s not downloaded: %s", url, self.name, exc)
                links.append(Markup('<li><a href="%s" target="_blank" rel="noopener">%s</a></li>') % (url, name or url))
        if links:  # Markup escapes names and addresses
            body += Markup("<ul>%s</ul>") % Markup("").join(links)
        date = message.created_at.astimezone(pytz.utc).replace(tzinfo=None)
        if signal is None:
            return conversation.responso_post_buyer_message(body, external_id=message.external_id, date=date,
                                                            attachments=files or None)
        try:
            with self.env.cr.savepoint():
                return conversation.message_post(
                    body=body, message_type="comment", subtype_xmlid="mail.mt_note", date=date,
                    attachments=files or None,
                    author_id=self.company_id.partner_id.id, responso_external_id=message.external_id,
                    responso_source_id=source.id, responso_account_id=self.id, responso_auto_signal=signal.rule,
                    responso_auto_strength=signal.strength)
        except pg_errors.UniqueViolation:
            # our automatic reply, stored by the sender while this poll ran
            return Message.search(domain, limit=1)

    def _responso_buyer_partner(self, login):
        """The buyer behind a marketplace login (no e-mail address: the marketplace relays messages)."""
        Partner = self.env["res.partner"].sudo()
        login = login or _("unknown buyer")
        partner = Partner.search([("responso_login", "=", login), ("responso_integration_id", "=",
                                                                   self.integration_id.id)], limit=1)
        return partner or Partner.create({
            "name": "%s (%s)" % (login, self.integration_id.name), "responso_login": login,
            "responso_integration_id": self.integration_id.id})

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _responso_send(self, conversation, body_html):
        """Send a reply through the API; returns the marketplace's message id. Raises MarketplaceError."""
        self.ensure_one()
        text = html2plaintext(body_html).strip()
        client = self.sudo()._responso_client()
        try:
            if conversation.source_id == self.env.ref("responso_autoresponder.source_allegro_discussions"):
                return client.send_issue_message(conversation.external_thread_id, text)
            return client.send_message(conversation.external_thread_id, text)
        finally:
            client.close()
