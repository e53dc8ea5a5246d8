"""Sending a reply through the account's marketplace API (Amazon replies go by e-mail from its sender), and
looking for it there when the marketplace's answer was lost."""

import pytz

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
        """Send a reply through the API; returns the marketplace's message id. Raises MarketplaceError.

        Context ``responso_sent_external_id``: the marketplace already has this reply (its id): nothing is sent,
        the id is returned (the chatter copy of a reply accepted earlier)."""
        self.ensure_one()
        already = self.env.context.get("responso_sent_external_id")
        if already:
            return already
        text = html2plaintext(body_html).strip()
        client = self.sudo()._responso_client()
        try:
            if conversation.source_id == self.env.ref("responso_autoresponder.source_allegro_discussions"):
                return client.send_issue_message(conversation.external_thread_id, text)
            return client.send_message(conversation.external_thread_id, text)
        finally:
            client.close()

    def _responso_find_sent(self, conversation, text, since):
        """The marketplace id of our message `text` in the conversation's thread, posted since `since` (naive
        UTC), or None. Raises MarketplaceError when the marketplace cannot be read."""
        self.ensure_one()
        since = since.replace(tzinfo=pytz.utc)
        client = self.sudo()._responso_client()
        try:
            if conversation.source_id == self.env.ref("responso_autoresponder.source_allegro_discussions"):
                return client.find_sent_issue_message(conversation.external_thread_id, text, since)
            return client.find_sent_message(conversation.external_thread_id, text, since)
        finally:
            client.close()

    def action_poll_now(self):
        # the poll runs as superuser: only managers (or administrators) of the account may start it, whatever
        # calls the method (a button, or RPC)
        self._responso_check_api_rights()
        return super().action_poll_now()
