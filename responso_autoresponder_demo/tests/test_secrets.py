"""No token in what agents read nor in the log when a token refresh fails (issue 8, fault 10)."""

import functools
import logging
import socket
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo.tests import tagged

from odoo.addons.responso_autoresponder.connectors.common import Token
from odoo.addons.responso_autoresponder.connectors.http import HttpClient
from odoo.addons.responso_autoresponder.models import responso_account_api
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro

PLANTED_REFRESH = "rt-PLANTED-0123456789abcdef0123456789"
PLANTED_ACCESS = "at-PLANTED-0123456789abcdef0123456789"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@tagged("post_install", "-at_install")
class TestNoSecretInErrors(ResponsoCase):
    """A refresh that cannot connect (Allegro's token call holds the refresh token in its query string) or that
    Allegro refuses while echoing the token (A5 #10107), during a poll and during a send: `last_error`,
    `responso.reply.error`, the chatter and the log never show the token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workflow("Allegro", conditions=[{"kind": "source", "source_ids": [(6, 0, cls.src_messages.ids)]}])

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="PLANTED-client-secret")
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "PLANTED-client-secret",
        })
        answer = self.fake.issue_tokens()
        AccountTokenStore(self.account).set(Token(answer["access_token"], answer["refresh_token"],
                                                  datetime.now(pytz.utc) + timedelta(hours=1)))
        thread = self.fake.add_thread(interlocutor="jan_kupujacy")
        self.fake.add_message(thread, "Gdzie jest paczka?", at=datetime.now(pytz.utc) - timedelta(minutes=5))
        self.account._responso_poll()
        self.reply = self.env["responso.reply"].search([("account_id", "=", self.account.id)])
        self.assertEqual(len(self.reply), 1)
        # the planted pair: expired, so the next call refreshes with the planted refresh token
        AccountTokenStore(self.account).set(Token(PLANTED_ACCESS, PLANTED_REFRESH,
                                                  datetime.now(pytz.utc) - timedelta(minutes=5)))
        self.logs = _Collect()
        root, ours = logging.getLogger(), logging.getLogger("odoo.addons.responso_autoresponder")
        root.addHandler(self.logs)
        self.addCleanup(root.removeHandler, self.logs)
        level = ours.level
        ours.setLevel(logging.DEBUG)
        self.addCleanup(ours.setLevel, level)
        # no real sleeping between the retries of a refused connection (they are still logged)
        patcher = patch.object(responso_account_api, "HttpClient", functools.partial(HttpClient, sleep=lambda s: 0))
        patcher.start()
        self.addCleanup(patcher.stop)

    def _assert_clean(self):
        self.env.invalidate_all()
        texts = {"last_error": self.account.last_error or "", "reply error": self.reply.error or "",
                 "log": "\n".join(self.logs.lines),
                 "chatter": "\n".join(self.env["mail.message"].sudo().search(
                     [("create_date", ">=", self.reply.create_date)]).mapped("body"))}
        for where, text in texts.items():
            for secret in (PLANTED_REFRESH, PLANTED_ACCESS, "PLANTED-client-secret"):
                self.assertNotIn(secret, text, "a secret leaked into the %s" % where)
            self.assertNotIn("refresh_token=rt", text, where)
        return texts

    def test_refresh_cannot_connect(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed = sock.getsockname()[1]
        self.account.sudo().api_oauth_url = "http://127.0.0.1:%d" % closed
        self.account._responso_poll()
        self._send_due()
        texts = self._assert_clean()
        self.assertIn("could not connect", texts["last_error"])
        self.assertEqual(self.reply.state, "scheduled", "a refresh that could not connect is retried later")
        self.assertIn("could not connect", texts["reply error"])

    def test_refresh_refused_echoing_the_token(self):
        self.account._responso_poll()
        self._send_due()
        texts = self._assert_clean()
        self.assertIn("Invalid refresh token", texts["last_error"])
        self.assertEqual(self.reply.state, "failed")
        self.assertIn("Invalid refresh token", texts["reply error"])
        self.assertTrue(any("Invalid refresh token" in line for line in self.logs.lines))
