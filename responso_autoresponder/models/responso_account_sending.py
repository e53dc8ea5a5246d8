"""Sending a reply through the account's marketplace API (Amazon replies go by e-mail from its sender)."""

from odoo import fields, models
from odoo.tools import html2plaintext


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    sender_email = fields.Char(
        "Registered Sender", help="Amazon: the e-mail address registered for Buyer-Seller Messaging; replies to "
                                  "the buyer relay are sent from it (Amazon rejects other senders).")

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
