"""The "Demo" environment: accounts that talk to fake marketplaces served by this Odoo process."""

import threading
from datetime import timedelta

import pytz

from odoo import fields, models

from odoo.addons.responso_autoresponder.connectors import allegro, ebay
from odoo.addons.responso_autoresponder.connectors.common import MemoryTokenStore, Token
from odoo.addons.responso_autoresponder.connectors.http import HttpClient
from odoo.addons.responso_autoresponder.models.responso_account_api import API_INTEGRATIONS, REQUEST_TIMEOUT

from ..fakes.allegro_server import FakeAllegro
from ..fakes.ebay_server import FakeEbay

_DEMO_FAKES = {}  # integration code -> fake marketplace served by this Odoo process
_DEMO_LOCK = threading.Lock()
DEMO_LOGIN = "myshop-demo"


def demo_marketplace(code):
    """The fake marketplace of the demo accounts, started on first use on a free local port. It follows the
    documented contracts (docs/marketplace-contract.md), so the demo exercises the real clients end to end."""
    with _DEMO_LOCK:
        fake = _DEMO_FAKES.get(code)
        if fake is None:
            fake = FakeAllegro(login=DEMO_LOGIN) if code == "allegro" else FakeEbay(seller=DEMO_LOGIN)
            _DEMO_FAKES[code] = fake
        return fake


def _demo_token(answer):
    expires = fields.Datetime.now().replace(tzinfo=pytz.utc) + timedelta(seconds=answer["expires_in"])
    return Token(answer["access_token"], answer.get("refresh_token"), expires)


class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    api_environment = fields.Selection(
        selection_add=[("demo", "Demo (built-in fake marketplace)")], ondelete={"demo": "set default"})

    def _responso_is_demo(self):
        account = self.sudo()
        return account.api_environment == "demo" and account.integration_code in API_INTEGRATIONS

    def _responso_client(self):
        self.ensure_one()
        if not self._responso_is_demo():
            return super()._responso_client()
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

    def _responso_connected(self):
        return bool(self) and self._responso_is_demo() or super()._responso_connected()

    def _responso_demo_buyer_message(self, conversation, text):
        """The buyer writes on the fake marketplace, and the account fetches it at once, as its polling job
        would."""
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
