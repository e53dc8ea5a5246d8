"""The addon's Allegro and eBay connectors in Odoo, against the fake marketplaces this addon holds."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytz

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.responso_autoresponder.connectors.common import Token
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro
from ..fakes.ebay_server import FakeEbay


def _token(answer):
    expires = datetime.now(pytz.utc) + timedelta(seconds=answer["expires_in"])
    return Token(answer["access_token"], answer.get("refresh_token"), expires)


@tagged("post_install", "-at_install")
class TestAllegroConnector(ResponsoCase):
    """Polling the fake Allegro creates conversations and buyer messages exactly once; answers reach it once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Allegro", conditions=[
            {"kind": "source", "source_ids": [(6, 0, (cls.src_messages | cls.src_discussions).ids)]}])

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")  # fresh per test
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        AccountTokenStore(self.account).set(_token(self.fake.issue_tokens()))

    def _thread(self, text="Gdzie jest moja paczka?", **kwargs):
        thread = self.fake.add_thread(interlocutor="jan_kupujacy", order_id="order-1", **kwargs)
        self.fake.add_message(thread, text, at=datetime.now(pytz.utc) - timedelta(minutes=5))
        return thread

    def _find(self, thread):
        return self.env["responso.conversation"].search([("external_thread_id", "=", thread),
                                                         ("account_id", "=", self.account.id)])

    def test_poll_creates_each_message_once(self):
        thread = self._thread()
        self.assertTrue(self.account.poll_cron_id.active, "each API account has its polling job")
        self.assertEqual(self.account._responso_poll(), 1)
        self.account._responso_poll()
        self.account.poll_cursor = False  # an overlapping poll re-reads everything
        self.account._responso_poll()
        conversation = self._find(thread)
        self.assertEqual(len(conversation), 1)
        self.assertEqual(conversation.order_ref, "order-1")
        self.assertEqual(conversation.buyer_id.responso_login, "jan_kupujacy")
        buyer_messages = conversation.message_ids.filtered(lambda m: m.responso_kind == "buyer")
        self.assertEqual(len(buyer_messages), 1)
        self.assertIn("Gdzie jest moja paczka?", buyer_messages.body)
        self.assertEqual(len(self._replies(buyer_messages)), 1)
        self.assertTrue(self.account.last_poll_at)
        self.assertFalse(self.account.last_error)

    def test_return_threads_are_flagged_and_match_return_created(self):
        """Allegro tells purchase problems apart (beta.v1 POST_PURCHASE_ISSUE threads, disputes and claims): their
        conversations are returns, and a "Return created" workflow answers them only."""
        self.workflow.active = False
        returns = self._workflow("Returns procedure", conditions=[{"kind": "return_created"}],
                                 body="<p>Here is how to return an item.</p>")
        question = self._thread("Czy jest w kolorze czerwonym?")
        problem = self._thread("Chcę zwrócić towar", type="POST_PURCHASE_ISSUE")
        claim = self.fake.add_issue(type="CLAIM", status="CLAIM_SUBMITTED", buyer_login="ola_kupujaca",
                                    opened_at=datetime.now(pytz.utc) - timedelta(hours=1))
        self.fake.add_issue_message(claim, "Towar uszkodzony", at=datetime.now(pytz.utc) - timedelta(minutes=4))
        self.account._responso_poll()
        flags = {thread: self._find(thread).responso_is_return for thread in (question, problem, claim)}
        self.assertEqual(flags, {question: False, problem: True, claim: True})
        for thread, answered in ((question, False), (problem, True), (claim, True)):
            buyer = self._find(thread).message_ids.filtered(lambda m: m.responso_kind == "buyer")
            self.assertEqual(self._replies(buyer).workflow_id, returns if answered else returns.browse())

    def test_attachments_are_kept(self):
        """Files on the API host are downloaded into the chatter; others stay linked, safely."""
        thread = self.fake.add_thread(interlocutor="jan_kupujacy")
        self.fake.add_message(thread, "Zdjęcie w załączniku", at=datetime.now(pytz.utc) - timedelta(minutes=5),
                              attachments=[("photo.jpg", self.fake.url + "/messaging/message-attachments/a-1"),
                                           ("<b>elsewhere</b>.jpg", "https://cdn.example.com/x.jpg"),
                                           ("evil.html", "javascript:alert(1)")])
        self.account._responso_poll()
        message = self._find(thread).message_ids.filtered(lambda m: m.responso_kind == "buyer")
        self.assertEqual(message.attachment_ids.mapped("name"), ["photo.jpg"])
        self.assertEqual(message.attachment_ids.raw, b"attachment a-1")
        self.assertIn('href="https://cdn.example.com/x.jpg"', message.body)
        self.assertIn("&lt;b&gt;elsewhere&lt;/b&gt;.jpg", message.body)
        self.assertNotIn("javascript:", message.body)

    def test_answer_reaches_the_marketplace_once(self):
        thread = self._thread()
        self.account._responso_poll()
        self._send_due()
        self._send_due()
        self.assertEqual(len(self.fake.sent), 1)
        self.assertIn("We will answer within 24 hours.", self.fake.sent[0][1]["text"])
        conversation = self._find(thread)
        reply = conversation.reply_ids
        self.assertEqual(reply.state, "sent")
        self.assertTrue(reply.reply_message_id.responso_external_id)
        # the next poll sees our own message in the thread: never a buyer message, never answered
        self.account.poll_cursor = False
        self.account._responso_poll()
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.responso_kind == "buyer")), 1)
        self._send_due()
        self.assertEqual(len(self.fake.sent), 1)

    def test_outage_keeps_replies_queued(self):
        thread = self._thread()
        self.account._responso_poll()
        reply = self._find(thread).reply_ids
        self.fake.rate_limit_next(1, method="POST")  # refused: nothing was applied
        self._send_due()
        self.assertEqual(reply.state, "scheduled", "a marketplace outage leaves the reply queued")
        self.assertTrue(reply.error)
        self.assertFalse(self.fake.sent)
        with freeze_time(reply.send_at + timedelta(seconds=1)):
            self._send_due()
        self.assertEqual(reply.state, "sent")
        self.assertEqual(len(self.fake.sent), 1)

    def test_5xx_is_checked_on_the_marketplace_before_sending_again(self):
        """A 5xx to our POST may come after Allegro stored the message: the thread is read first; here the
        message is not there (refused before it was stored), so the reply goes out, once."""
        thread = self._thread()
        self.account._responso_poll()
        reply = self._find(thread).reply_ids
        self.fake.fail_next(1, status=503, method="POST")  # refused before the message is stored
        self._send_due()
        self.assertEqual(reply.state, "verify", "a 5xx to a POST leaves the outcome unknown")
        self.assertFalse(self.fake.sent)
        with freeze_time(reply.send_at + timedelta(seconds=1)):
            self._send_due()
        self.assertEqual(reply.state, "sent")
        self.assertEqual(len(self.fake.sent), 1)

    def test_closed_thread_cancels_the_reply(self):
        thread = self.fake.add_thread(type="POST_PURCHASE_ISSUE", status="CLOSED", interlocutor="ewa_kupujaca")
        self.fake.add_message(thread, "Produkt uszkodzony", at=datetime.now(pytz.utc) - timedelta(minutes=3))
        self.account._responso_poll()
        reply = self._find(thread).reply_ids
        self._send_due()
        self.assertEqual(reply.state, "cancelled")
        self.assertTrue(reply.cancel_reason)
        self.assertFalse(self.fake.sent)

    def test_expired_token_is_refreshed_once_and_stored(self):
        self._thread()
        old = self.account.sudo().api_refresh_token
        self.fake.expire_access_tokens()
        self.account._responso_poll()
        self.assertFalse(self.account.last_error)
        self.assertEqual(self.fake.refresh_count, 1)
        self.assertNotEqual(self.account.sudo().api_refresh_token, old, "the rotated pair is stored")

    def test_old_messages_are_imported_not_answered(self):
        """A first poll imports the recent history; what is over a day old is for a person to answer."""
        thread = self.fake.add_thread(interlocutor="stary_kupujacy")
        self.fake.add_message(thread, "Stara wiadomość", at=datetime.now(pytz.utc) - timedelta(days=2))
        self.account._responso_poll()
        message = self._find(thread).message_ids.filtered(lambda m: m.responso_kind == "buyer")
        self.assertEqual(len(message), 1)
        self.assertEqual(self._decisions(message).reason_code, "too_old")
        self.assertFalse(self._replies(message))

    def test_poll_error_keeps_the_cursor(self):
        self._thread()
        self.fake.fail_next(10, status=500)
        self.account._responso_poll()
        self.assertTrue(self.account.last_error)
        self.assertFalse(self.account.poll_cursor)
        self.assertFalse(self.env["responso.conversation"].search([("account_id", "=", self.account.id)]))

    def test_connect_with_the_device_flow(self):
        self.account.sudo().write({"api_access_token": False, "api_refresh_token": False})
        self.assertFalse(self.account._responso_connected())
        wizard = self.env["responso.account.connect.wizard"].create({"account_id": self.account.id})
        self.fake.device_script = ["authorization_pending"]
        wizard.action_start_device_flow()
        self.assertEqual(wizard.state, "waiting")
        self.assertTrue(wizard.user_code)
        with self.assertRaises(UserError) as caught:
            wizard.action_check_device_flow()
        self.assertIn("Not confirmed yet", str(caught.exception))
        wizard.action_check_device_flow()
        self.assertEqual(wizard.state, "done")
        self.assertTrue(self.account._responso_connected())
        self.assertIn(self.account.sudo().api_access_token, self.fake.access_tokens)

    def test_connect_with_an_authorization_code(self):
        url = self.account._responso_authorization_url()
        self.assertIn("/auth/oauth/authorize", url)
        state = parse_qs(urlsplit(url).query)["state"][0]  # single use, for this user (test_oauth_state)
        self.fake.add_auth_code("code-42", self.account._responso_redirect_uri())
        with self.assertRaises(UserError):
            self.env["responso.account"]._responso_oauth_callback("code-42", f"{self.account.id}-forged")
        account = self.env["responso.account"]._responso_oauth_callback("code-42", state)
        self.assertEqual(account, self.account)
        self.assertIn(self.account.sudo().api_access_token, self.fake.access_tokens)

    def test_secrets_are_for_administrators_only(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.manager).read(["api_client_secret"])
        with self.assertRaises(AccessError):
            self.account.with_user(self.agent).read(["api_refresh_token"])
        self.assertEqual(self.account.with_user(self.manager).api_login, "shop-seller")


@tagged("post_install", "-at_install")
class TestEbayConnector(ResponsoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workflow("eBay")

    def setUp(self):
        super().setUp()
        self.fake = FakeEbay(seller="shop_seller")
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "eBay API", "integration_id": self.int_ebay.id, "company_id": self.company.id,
            "api_login": "shop_seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_client_id": "cid", "api_client_secret": "secret",
        })
        AccountTokenStore(self.account).set(_token(self.fake.issue_token()))

    def test_poll_and_answer_once(self):
        conversation_id = self.fake.add_conversation(other_party="anna_buys")
        self.fake.add_message(conversation_id, "Can you combine shipping?", sender="anna_buys",
                              created=datetime.now(pytz.utc) - timedelta(minutes=5))
        self.account._responso_poll()
        self.account._responso_poll()
        conversation = self.env["responso.conversation"].search([("account_id", "=", self.account.id)])
        self.assertEqual(len(conversation), 1)
        self._send_due()
        self.assertEqual(len(self.fake.sent), 1)
        self.account.poll_cursor = False
        self.account._responso_poll()
        self._send_due()
        self.assertEqual(len(self.fake.sent), 1, "our own message, fetched back, is never answered")
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.responso_kind == "buyer")), 1)
