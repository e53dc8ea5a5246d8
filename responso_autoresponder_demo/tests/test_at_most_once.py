"""At most once, whatever fails, and a person's answer wins (issue 8), in Odoo against the fake marketplaces.

The fakes apply our POST and then lose its answer (`apply_then_delay_next` past the read timeout,
`apply_then_fail_next` with a 5xx, `apply_then_drop_next` closing the connection mid-body): the buyer has the
reply, Odoo does not know it. Before the fix the reply went back to the queue and the buyer got it twice."""

from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.responso_autoresponder.connectors.common import Token
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro
from ..fakes.ebay_server import FakeEbay

API_MODULE = "odoo.addons.responso_autoresponder.models.responso_account_api"


def _token(answer):
    expires = datetime.now(pytz.utc) + timedelta(seconds=answer["expires_in"])
    return Token(answer["access_token"], answer.get("refresh_token"), expires)


class _MarketplaceCase(ResponsoCase):

    def _later(self, reply, minutes=1):
        """Run the sender once the reply is due again."""
        self._send_due(at=reply.send_at + timedelta(minutes=minutes))

    def _copies(self, conversation):
        return conversation.message_ids.filtered(lambda m: m.responso_kind == "auto_reply")


@tagged("post_install", "-at_install")
class TestAllegroAtMostOnce(_MarketplaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("Allegro", conditions=[
            {"kind": "source", "source_ids": [(6, 0, (cls.src_messages | cls.src_discussions).ids)]}])

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        AccountTokenStore(self.account).set(_token(self.fake.issue_tokens()))

    def _polled_reply(self, text="Gdzie jest moja paczka?"):
        thread = self.fake.add_thread(interlocutor="jan_kupujacy")
        self.fake.add_message(thread, text, at=datetime.now(pytz.utc) - timedelta(minutes=5))
        self.account._responso_poll()
        conversation = self.env["responso.conversation"].search([("external_thread_id", "=", thread)])
        return thread, conversation, conversation.reply_ids

    def test_answer_lost_after_a_read_timeout_is_never_sent_twice(self):
        """Fault 1 as reported: Allegro stores the reply, then answers after the client's read timeout."""
        thread, conversation, reply = self._polled_reply()
        self.fake.apply_then_delay_next(seconds=11)  # Odoo's test guard raises shorter timeouts to 10 s
        with patch(API_MODULE + ".REQUEST_TIMEOUT", 10):
            self._send_due()
        self.assertEqual(len(self.fake.sent), 1, "Allegro has the reply")
        self.assertEqual(reply.state, "verify", "a lost answer is checked, never re-sent blindly")
        self.assertIn("checked on the marketplace", reply.error)
        self._later(reply)
        self.assertEqual(len(self.fake.sent), 1, "the buyer sees one message")
        self.assertEqual(reply.state, "sent")
        self.assertEqual(reply.external_id, self.fake.threads[thread].messages[-1].id)
        self.assertEqual(reply.reply_message_id.responso_external_id, reply.external_id)
        self.assertEqual(len(self._copies(conversation)), 1)
        self.account.poll_cursor = False
        self.account._responso_poll()  # our message fetched back: known, never a note or a buyer message
        self.assertEqual(len(conversation.message_ids.filtered("responso_external_id")), 2)

    def test_answer_lost_to_a_5xx_or_a_broken_connection_is_never_sent_twice(self):
        for fault in ("apply_then_fail_next", "apply_then_drop_next"):
            with self.subTest(fault):
                sent_before = len(self.fake.sent)
                _thread, conversation, reply = self._polled_reply("Paczka? (%s)" % fault)
                getattr(self.fake, fault)()
                self._send_due()
                self.assertEqual(reply.state, "verify")
                self._later(reply)
                self.assertEqual(reply.state, "sent")
                self.assertEqual(len(self.fake.sent), sent_before + 1, "sent once")
                self.assertTrue(reply.external_id)
                self.assertEqual(len(self._copies(conversation)), 1)

    def test_accepted_reply_stays_sent_when_its_chatter_copy_fails(self):
        """Fault 1, second part: Allegro accepted the reply, posting it in the chatter failed. Before the fix the
        row was failed, and Retry sent it again."""
        _thread, conversation, reply = self._polled_reply()
        Conversation = type(self.env["responso.conversation"])
        with patch.object(Conversation, "message_post", side_effect=RuntimeError("chatter down")):
            self._send_due()
        self.assertEqual(reply.state, "sent", "the buyer has it")
        self.assertTrue(reply.external_id, "the marketplace id is kept")
        self.assertTrue(reply.chatter_pending)
        self.assertIn("chatter down", reply.error)
        reply.with_user(self.manager).action_retry()
        self.assertEqual(reply.state, "sent", "Retry never re-sends a reply the marketplace has")
        self._send_due()
        self.assertEqual(len(self.fake.sent), 1)
        self.assertFalse(reply.chatter_pending)
        self.assertEqual(reply.reply_message_id.responso_external_id, reply.external_id, "posted again")
        self.assertEqual(len(self._copies(conversation)), 1)

    def test_unreadable_marketplace_leaves_maybe_sent_for_a_person(self):
        _thread, _conversation, reply = self._polled_reply()
        self.fake.apply_then_fail_next()
        self._send_due()
        self.fake.fail_next(1000, status=500, method="GET")  # the thread cannot be read any more
        self._later(reply)
        self.assertEqual(reply.state, "verify", "checked again later")
        self._send_due(at=reply.first_attempt_at + timedelta(hours=25))
        self.assertEqual(reply.state, "unknown", "nobody knows: a person checks")
        self.assertIn("Maybe sent", reply.error)
        self.assertEqual(len(self.fake.sent), 1)
        reply.with_user(self.manager).action_mark_sent()
        self.assertEqual(reply.state, "sent")

    def test_crash_after_the_request_left_is_checked_on_the_marketplace(self):
        _thread, _conversation, reply = self._polled_reply()
        self.account._responso_send(reply.conversation_id, "<p>We will answer within 24 hours.</p>")
        # a worker died after the reply left: the row stays "sending" with its attempt recorded
        past = fields.Datetime.now() - timedelta(hours=1)
        reply._responso_write({"state": "sending", "attempted_at": past, "first_attempt_at": past,
                               "sent_text": "We will answer within 24 hours."})
        self.env.flush_all()
        self.env.cr.execute("UPDATE responso_reply SET write_date = %s WHERE id = %s", [past, reply.id])
        reply.invalidate_recordset()
        self._send_due()  # the watchdog hands it to the marketplace check, which runs at once
        self.assertEqual(reply.state, "sent")
        self.assertTrue(reply.external_id)
        self.assertEqual(len(self.fake.sent), 1, "found on Allegro, never sent again")

    def test_seller_answer_on_allegro_cancels_the_delayed_reply(self):
        """Fault 2: the seller answered on allegro.pl; the poll stores it as a note, and the delayed automatic
        reply must not follow it."""
        self.workflow.condition_ids = [(0, 0, {"kind": "delay", "delay_amount": 30})]
        thread, conversation, reply = self._polled_reply()
        self.assertEqual(reply.state, "scheduled")
        self.fake.add_message(thread, "Wysłaliśmy dziś, pozdrawiam", at=datetime.now(pytz.utc), from_buyer=False)
        self.account._responso_poll()
        note = conversation.message_ids.filtered(lambda m: m.responso_kind == "seller")
        self.assertEqual(len(note), 1, "the seller's own message is kept as a note")
        self.assertEqual(reply.state, "cancelled")
        self.assertEqual(reply.cancel_reason, "the seller answered on the marketplace meanwhile")
        self._send_due(at=reply.send_at + timedelta(minutes=1))
        self.assertFalse(self.fake.sent)

    def test_seller_answer_is_found_when_the_reply_is_due(self):
        """Fault 2 at send time: the re-check sees the seller's marketplace message (stored as a note)."""
        self.workflow.condition_ids = [(0, 0, {"kind": "delay", "delay_amount": 30})]
        _thread, conversation, reply = self._polled_reply()
        conversation.sudo().message_post(
            body="Wysłane", message_type="comment", subtype_xmlid="mail.mt_note", responso_kind="seller",
            author_id=self.company.partner_id.id)
        self._send_due(at=reply.send_at + timedelta(minutes=1))
        self.assertEqual(reply.state, "cancelled")
        self.assertEqual(reply.cancel_reason, "the seller answered on the marketplace meanwhile")

    def test_seller_answer_on_allegro_releases_a_held_conversation(self):
        thread, conversation, _reply = self._polled_reply()
        conversation.sudo().responso_hold_reason = "out of office"
        self.fake.add_message(thread, "Odpowiadam osobiście", at=datetime.now(pytz.utc), from_buyer=False)
        self.account._responso_poll()
        self.assertFalse(conversation.responso_hold_reason, "the seller answered: the autoresponder may answer")

    def test_connection_buttons_for_managers_only(self):
        """Fault 14: Test connection and Fetch messages now run as superuser: agents may not call them, even
        over RPC."""
        for method in ("action_test_connection", "action_poll_now"):
            with self.subTest(method), self.assertRaises(AccessError):
                getattr(self.account.with_user(self.agent), method)()
        self.account.with_user(self.manager).action_test_connection()
        self.assertTrue(self.account.with_user(self.manager).action_poll_now())


@tagged("post_install", "-at_install")
class TestEbayAtMostOnce(_MarketplaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls._workflow("eBay")

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

    def _polled_reply(self, text="Can you combine shipping?"):
        conversation_id = self.fake.add_conversation(other_party="anna_buys")
        self.fake.add_message(conversation_id, text, sender="anna_buys",
                              created=datetime.now(pytz.utc) - timedelta(minutes=5))
        self.account._responso_poll()
        conversation = self.env["responso.conversation"].search([("external_thread_id", "=", conversation_id)])
        return conversation_id, conversation, conversation.reply_ids

    def test_answer_lost_is_never_sent_twice(self):
        for fault in ("apply_then_fail_next", "apply_then_drop_next"):
            with self.subTest(fault):
                sent_before = len(self.fake.sent)
                _conversation_id, conversation, reply = self._polled_reply("Shipping? (%s)" % fault)
                getattr(self.fake, fault)()
                self._send_due()
                self.assertEqual(reply.state, "verify")
                self.assertEqual(len(self.fake.sent), sent_before + 1, "eBay has it")
                self._later(reply)
                self.assertEqual(reply.state, "sent")
                self.assertEqual(reply.external_id, self.fake.sent[-1]["messageId"])
                self.assertEqual(len(self.fake.sent), sent_before + 1, "sent once")
                self.assertEqual(len(self._copies(conversation)), 1)

    def test_seller_answer_on_ebay_cancels_the_delayed_reply(self):
        self.workflow.condition_ids = [(0, 0, {"kind": "delay", "delay_amount": 30})]
        conversation_id, conversation, reply = self._polled_reply()
        self.fake.add_message(conversation_id, "Yes, I combined them.", sender="shop_seller",
                              created=datetime.now(pytz.utc))
        self.account._responso_poll()
        self.assertEqual(reply.state, "cancelled")
        self.assertEqual(reply.cancel_reason, "the seller answered on the marketplace meanwhile")
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.responso_kind == "seller")), 1)
        self._send_due(at=reply.send_at + timedelta(minutes=1))
        self.assertFalse(self.fake.sent)
