from odoo.tests import tagged

from .common import RAW_EMAIL, ResponsoCase


@tagged("post_install", "-at_install")
class TestAmazonRelay(ResponsoCase):
    """Amazon buyer messages come by e-mail through the buyer-seller relay; replies go back to the relay address
    from the seller's registered sender."""

    def test_relay_message_answered_from_registered_sender(self):
        self.acc_amazon.sender_email = "seller@shop.example.com"
        self._workflow("Amazon", conditions=[{"kind": "source", "source_ids": [(6, 0, self.src_amazon.ids)]}])
        self.env["mail.alias"].create({
            "alias_name": "amazon-buyers",
            "alias_model_id": self.env["ir.model"]._get_id("responso.conversation"),
            "alias_defaults": {"account_id": self.acc_amazon.id, "source_id": self.src_amazon.id},
            "alias_domain_id": self.mail_alias_domain.id,
        })
        relay = "8xk2tq1lz0bcd9f@marketplace.amazon.de"
        self.env["mail.thread"].sudo().message_process(None, RAW_EMAIL.format(
            email_from=f'"Marie D. - Amazon Marketplace" <{relay}>', to="amazon-buyers@test.mycompany.com",
            subject="Question about order 305-1234567-1234567", msg_id="<amz-1@amazon.de>", extra="",
            body="Is this compatible with the 2024 model?"))
        conversation = self.env["responso.conversation"].search([("buyer_id.email", "=", relay)])
        self.assertEqual(conversation.source_id, self.src_amazon)
        with self.mock_mail_gateway():
            self._send_due()
        self.assertEqual(conversation.reply_ids.state, "sent", conversation.reply_ids.error)
        self.assertSentEmail("seller@shop.example.com", [conversation.buyer_id])
