"""The OAuth `state` of the authorization-code flow (issue 8, fault 13): a nonce stored server-side, tied to the
user who opened the consent page, expiring, consumed by its one callback."""

from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import hmac

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.responso_autoresponder.connectors.common import Token
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro


@tagged("post_install", "-at_install")
class TestOAuthState(ResponsoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_admin = mail_new_test_user(
            cls.env, login="responso_other_admin", name="Olga Admin", company_id=cls.company.id,
            groups="base.group_user,base.group_system,responso_autoresponder.group_responso_manager")

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        self.admin_account = self.account.with_user(self.user_admin)
        self.Account = self.env["responso.account"].with_user(self.user_admin)

    def _code(self, code="code-42"):
        self.fake.add_auth_code(code, self.account._responso_redirect_uri())
        return code

    def _connected(self):
        self.account.invalidate_recordset()
        return self.account.sudo().api_access_token in self.fake.access_tokens

    def test_state_is_a_stored_single_use_nonce(self):
        wizard = self.env["responso.account.connect.wizard"].with_user(self.user_admin).create(
            {"account_id": self.account.id})
        action = wizard.action_open_consent_page()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn("/auth/oauth/authorize?", action["url"])
        state = self.admin_account._responso_oauth_state()
        self.assertNotIn(str(self.account.id) + "-", state[:8], "no account id to forge a state from")
        self.assertNotEqual(state, self.admin_account._responso_oauth_state(), "a new nonce each time")
        row = self.env["responso.oauth.state"].search([("nonce", "=", state)])
        self.assertEqual((row.account_id, row.user_id), (self.account, self.user_admin))
        self.assertGreater(row.expires_at, fields.Datetime.now())
        self.assertEqual(self.Account._responso_oauth_callback(self._code(), state), self.account)
        self.assertTrue(self._connected())
        self.assertFalse(row.exists(), "consumed")
        AccountTokenStore(self.account).set(Token("at-x", "rt-x", datetime.now(pytz.utc) + timedelta(hours=1)))
        with self.assertRaises(UserError):  # replayed, even with a fresh code
            self.Account._responso_oauth_callback(self._code("code-43"), state)
        self.assertEqual(self.account.sudo().api_access_token, "at-x", "a replayed state stores nothing")

    def test_state_of_another_user_is_refused(self):
        """A link made by someone else (login CSRF: their code, their state) is refused in my session."""
        state = self.account.with_user(self.other_admin)._responso_oauth_state()
        with self.assertRaises(UserError):
            self.Account._responso_oauth_callback(self._code(), state)
        self.assertFalse(self.account.sudo().api_access_token)

    def test_expired_state_is_refused(self):
        state = self.admin_account._responso_oauth_state()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=16)), self.assertRaises(UserError):
            self.Account._responso_oauth_callback(self._code(), state)
        self.assertFalse(self.account.sudo().api_access_token)

    def test_forged_and_old_style_states_are_refused(self):
        old_style = "%d-%s" % (self.account.id, hmac(self.env(su=True), "responso-oauth", self.account.id))
        for state in (old_style, "%d-forged" % self.account.id, "", "x" * 43):
            with self.subTest(state=state), self.assertRaises(UserError):
                self.Account._responso_oauth_callback(self._code(), state)
        self.assertFalse(self.account.sudo().api_access_token)

    def test_expired_states_are_vacuumed(self):
        self.admin_account._responso_oauth_state()
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            self.env["responso.oauth.state"]._gc_expired()
        self.assertFalse(self.env["responso.oauth.state"].search([("account_id", "=", self.account.id)]))
