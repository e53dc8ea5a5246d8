from odoo.tests import tagged

from .common import ResponsoCase


@tagged("post_install", "-at_install")
class TestMessageValues(ResponsoCase):
    """`responso_*` message values come from our own code only (issue 8, fault 12): an internal user calling
    message_post over RPC can neither pre-claim a marketplace message id (the real message would then be
    dropped as a duplicate) nor fake a buyer's message, an automatic-message signal or one of our replies — on a
    conversation or on any other model."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._workflow("Answer all")

    FORGED = {"responso_external_id": "msg-42", "responso_auto_signal": "forged", "responso_auto_strength": "hard"}

    def _forged(self, record, **extra):
        return record.message_post(body="Forged", message_type="comment", subtype_xmlid="mail.mt_comment",
                                   **dict(self.FORGED, responso_source_id=self.src_messages.id,
                                          responso_account_id=self.acc_allegro.id, **extra))

    def test_rpc_cannot_pre_claim_a_marketplace_message_id(self):
        conversation = self.conv_allegro.with_user(self.agent)
        forged = self._forged(conversation, responso_kind="buyer")
        self.assertFalse(forged.responso_external_id)
        self.assertFalse(forged.responso_auto_signal)
        self.assertFalse(forged.responso_kind, "an agent's message is not the buyer's")
        # the connector brings the real message: stored, not taken for the forged one
        real = self.conv_allegro.sudo().responso_post_buyer_message("Where is my parcel?", external_id="msg-42")
        self.assertNotEqual(real, forged)
        self.assertEqual(real.responso_external_id, "msg-42")
        self.assertEqual(real.responso_kind, "buyer")
        self.assertEqual(real.responso_source_id, self.src_messages)
        self.assertTrue(self._replies(real), "the real message is answered")

    def test_rpc_cannot_fake_a_signal_or_our_reply(self):
        conversation = self.conv_allegro.with_user(self.agent)
        # in the buyer's name (as "Simulate buyer message" does): a buyer message, but without forged values
        message = self._forged(conversation, author_id=self.buyer.id)
        self.assertEqual(message.responso_kind, "buyer")
        self.assertFalse(message.responso_external_id)
        self.assertFalse(message.responso_auto_signal)
        self.assertEqual(self._decisions(message).reason_code, "matched",
                         "a forged automatic-message signal does not silence the autoresponder")
        reply = self._forged(conversation, responso_kind="auto_reply")
        self.assertFalse(reply.responso_kind, "only the sending cron marks our automatic replies")
        # a JSON context (all an RPC caller can send) cannot pass for ours
        message = self._forged(conversation.with_context(responso_trusted_values=True), author_id=self.buyer.id)
        self.assertFalse(message.responso_external_id)

    def test_other_models_ignore_the_values(self):
        # not even an administrator's RPC (an agent may not post on contacts)
        partner = self.buyer_2.with_user(self.user_admin)
        message = self._forged(partner, responso_kind="buyer")
        self.assertTrue(message)
        self.assertFalse(message.responso_kind)
        self.assertFalse(message.responso_external_id)
        self.assertFalse(message.responso_account_id)

    def test_our_own_paths_keep_them(self):
        first = self.conv_allegro.with_user(self.agent).responso_post_buyer_message("Hello?", external_id="m-1")
        self.assertEqual((first.responso_external_id, first.responso_kind), ("m-1", "buyer"))
        self.assertEqual(first.responso_account_id, self.acc_allegro)
        again = self.conv_allegro.responso_post_buyer_message("Hello?", external_id="m-1")
        self.assertEqual(again, first, "stored once per (source, account, external id)")
