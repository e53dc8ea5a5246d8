"""The OAuth callback route over HTTP (issue 8, fault 13): a state is good once, in its user's session."""

from odoo.tests import HttpCase, new_test_user, tagged

from ..fakes.allegro_server import FakeAllegro


@tagged("post_install", "-at_install")
class TestOAuthCallbackRoute(HttpCase):

    def test_callback_consumes_its_state_once(self):
        fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")
        self.addCleanup(fake.stop)
        admin = new_test_user(self.env, login="oauth_admin", password="oauth_admin_pw1",
                              groups="base.group_user,base.group_system,responso_autoresponder.group_responso_manager")
        other = new_test_user(self.env, login="oauth_other", password="oauth_other_pw1",
                              groups="base.group_user,base.group_system,responso_autoresponder.group_responso_manager")
        account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.env.ref("responso_autoresponder.integration_allegro").id,
            "company_id": admin.company_id.id, "api_login": "shop-seller", "api_environment": "custom",
            "api_url": fake.url, "api_oauth_url": fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        redirect_uri = account._responso_redirect_uri()
        fake.add_auth_code("code-1", redirect_uri)
        fake.add_auth_code("code-2", redirect_uri)

        # a link made by another administrator (their state) is refused in this session
        foreign = account.with_user(other)._responso_oauth_state()
        self.authenticate("oauth_admin", "oauth_admin_pw1")
        response = self.url_open("/responso/oauth/callback?code=code-1&state=%s" % foreign, allow_redirects=False)
        self.assertNotIn(response.status_code, (301, 302, 303))
        account.invalidate_recordset()
        self.assertFalse(account.sudo().api_access_token)

        state = account.with_user(admin)._responso_oauth_state()
        response = self.url_open("/responso/oauth/callback?code=code-1&state=%s" % state, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303), response.text[:300])
        account.invalidate_recordset()
        connected = account.sudo().api_access_token
        self.assertIn(connected, fake.access_tokens)

        # the same state again, with another valid code: refused, nothing stored
        response = self.url_open("/responso/oauth/callback?code=code-2&state=%s" % state, allow_redirects=False)
        self.assertNotIn(response.status_code, (301, 302, 303))
        account.invalidate_recordset()
        self.assertEqual(account.sudo().api_access_token, connected)
        self.assertIn("code-2", fake.auth_codes, "the code of a refused callback is never exchanged")
