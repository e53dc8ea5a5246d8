from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..models import responso_account
from ..models.responso_account import demo_marketplace


@tagged("post_install", "-at_install")
class TestDemoMode(ResponsoCase):
    """Demo accounts talk to a fake marketplace inside Odoo: "Simulate buyer message" travels through it and the
    real connector, and the automatic answer reaches it, without any credentials."""

    def test_simulated_message_is_answered_through_the_fake_marketplace(self):
        # one demo account per marketplace, as in the demo data (they share the marketplace's fake)
        accounts = {integration: self.env["responso.account"].create({
            "name": f"Demo {integration.name}", "integration_id": integration.id, "company_id": self.company.id,
            "api_environment": "demo", "api_login": "myshop-demo",
        }) for integration in (self.int_allegro, self.int_ebay)}
        for integration, source in ((self.int_allegro, self.src_messages), (self.int_ebay, self.src_ebay),
                                    (self.int_allegro, self.src_discussions)):
            with self.subTest(source=source.name):
                account = accounts[integration]
                self.assertTrue(account._responso_connected())
                buyer = self.env["res.partner"].create({"name": "Demo buyer", "responso_login": "demo_buyer_1",
                                                        "responso_integration_id": integration.id})
                conversation = self.env["responso.conversation"].create({
                    "name": "Demo", "account_id": account.id, "source_id": source.id, "buyer_id": buyer.id,
                    "external_thread_id": f"demo-{source.code}-{account.id}"})
                workflow = self._workflow(f"Demo {source.name}")
                fake = demo_marketplace(self.env, integration.code)
                sent_before = fake.sent_count
                wizard = self.env["responso.buyer.message.wizard"].with_context(
                    active_model="responso.conversation", active_id=conversation.id).create({"body": "Hello?"})
                wizard.action_post()
                message = conversation.message_ids.filtered(lambda m: m.responso_kind == "buyer")
                self.assertEqual(len(message), 1)
                self.assertTrue(message.responso_external_id, "it came through the marketplace API")
                self._send_due()
                self.assertEqual(conversation.reply_ids.state, "sent", conversation.reply_ids.error)
                self.assertEqual(fake.sent_count, sent_before + 1, "the answer reached the fake marketplace")
                workflow.active = False

    def test_every_worker_reaches_the_same_demo_marketplace(self):
        """Issue 8, fault 8: under --workers, the worker that writes a buyer message on the demo marketplace and the
        cron worker that answers it are different processes. A fresh worker (nothing in its memory) must find the
        same marketplace, with what the first one wrote."""
        fake = demo_marketplace(self.env, "allegro")
        thread = fake.add_thread(interlocutor="demo_buyer_workers")
        sent = fake.sent_count
        with patch.dict(responso_account._CONTROL, clear=True):  # another worker: its own, empty memory
            other = demo_marketplace(self.env, "allegro")
            self.assertEqual(other.url, fake.url, "one marketplace for every worker")
            self.assertTrue(other.has(thread), "it holds what the other worker wrote")
            self.assertEqual(other.sent_count, sent)
        with self.env.registry.cursor() as cr:  # the address is shared through the database, committed
            cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [responso_account.CONTROL_PARAM])
            self.assertEqual(cr.fetchone()[0], fake.control)
