"""Storing a fetched marketplace message: its conversation, its buyer, its attachments, exactly once."""

import logging

import pytz
from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, _, models
from odoo.tools import plaintext2html

from ..connectors.http import MarketplaceError, PermanentError, scrub
from ..engine.loop_guard import marketplace_author_signal
from .mail_thread import RESPONSO_TRUSTED, TRUSTED_CONTEXT_KEY

_logger = logging.getLogger(__name__)

SOURCE_OF_CHANNEL = {
    "allegro_public_v1": "responso_autoresponder.source_allegro_messages",
    "allegro_beta_v1": "responso_autoresponder.source_allegro_messages",
    "allegro_discussions": "responso_autoresponder.source_allegro_discussions",
    "ebay": "responso_autoresponder.source_ebay",
}


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    def _responso_store_incoming(self, message, client=None, defer_attachments=False):
        """One fetched message into its conversation: the buyer's as a buyer message (evaluated by the
        autoresponder), anyone else's (ours, the marketplace's) as a note that is never evaluated.

        `defer_attachments`: no download now; the message links its files and they are queued for a later step
        (`_responso_download_pending`), so a poll's transaction never waits on attachments."""
        source = self.env.ref(SOURCE_OF_CHANNEL[message.channel])
        existing = self.env["mail.message"]._responso_stored(source.id, self.id, message.external_id)
        if existing:
            return existing
        signal = marketplace_author_signal(message.channel, message.author, account_login=self.api_login)
        Conversation = self.env["responso.conversation"].sudo()
        conversation = Conversation.search([("account_id", "=", self.id), ("source_id", "=", source.id),
                                            ("external_thread_id", "=", message.thread_id)], limit=1)
        if not conversation:
            if signal is not None:
                return False  # a thread starts with its buyer; our own first message is already known to us
            conversation = Conversation.create({
                "name": message.subject or _("Message from %(login)s", login=message.author_login or "?"),
                "account_id": self.id, "source_id": source.id, "external_thread_id": message.thread_id,
                "buyer_id": self._responso_buyer_partner(message.author_login).id,
                "order_ref": message.order_ref or False, "company_id": self.company_id.id,
                # the marketplace says so (Allegro disputes, claims and post-purchase issue threads): condition
                # "Return created"
                "responso_is_return": message.is_return,
            })
        elif message.is_return and not conversation.responso_is_return:
            conversation.responso_is_return = True  # a thread stored before the connector told returns apart
        body, files = self._responso_incoming_body(message, None if defer_attachments else client)
        stored = self._responso_post_incoming(conversation, message, signal, source, body, files)
        if defer_attachments and stored:
            self._responso_queue_attachments(stored, message)
        return stored

    def _responso_post_incoming(self, conversation, message, signal, source, body, files):
        date = message.created_at.astimezone(pytz.utc).replace(tzinfo=None)
        # files from buyers get Odoo's rules for untrusted uploads: HTML, SVG and XML are stored as plain text
        conversation = conversation.with_context(attachments_mime_plainxml=True)
        if signal is None:
            return conversation.responso_post_buyer_message(body, external_id=message.external_id, date=date,
                                                            attachments=files or None)
        # the seller answering on the marketplace answers the buyer (not our own automatic reply coming back)
        seller = self._responso_is_seller_message(message) and not self.env["responso.reply"].sudo().search_count(
            [("account_id", "=", self.id), ("external_id", "=", message.external_id)], limit=1)
        try:
            with self.env.cr.savepoint():
                note = conversation.with_context(**{TRUSTED_CONTEXT_KEY: RESPONSO_TRUSTED}).message_post(
                    body=body, message_type="comment", subtype_xmlid="mail.mt_note", date=date,
                    attachments=files or None,
                    author_id=self.company_id.partner_id.id, responso_external_id=message.external_id,
                    responso_source_id=source.id, responso_account_id=self.id, responso_auto_signal=signal.rule,
                    responso_auto_strength=signal.strength, **({"responso_kind": "seller"} if seller else {}))
        except pg_errors.UniqueViolation:
            # our automatic reply, stored by the sender while this poll ran
            return self.env["mail.message"]._responso_stored(source.id, self.id, message.external_id)
        if seller:
            self.env["responso.reply"]._responso_cancel_answered(
                conversation, note, conversation.with_context(lang=self.company_id.partner_id.lang or self.env.lang)
                .env._("the seller answered on the marketplace meanwhile"))
        return note

    def _responso_is_seller_message(self, message):
        """Whether a fetched message was written by the seller (the account itself): Allegro role SELLER or the
        account's login (docs/marketplace-contract.md A1, A2), eBay sender = the account's user name (E1)."""
        author = message.author or {}
        login = (self.api_login or "").strip().casefold()
        same = bool(login) and (message.author_login or "").strip().casefold() == login
        if message.channel == "allegro_public_v1":
            return author.get("isInterlocutor") is False and same
        if message.channel in ("allegro_beta_v1", "allegro_discussions"):
            return author.get("role") == "SELLER" or same
        return same

    def _responso_queue_attachments(self, stored, message):
        """Queue the files of a stored message for a later download (links stay in its body meanwhile)."""
        queued = [[stored.id, attachment[0] or attachment[1].rsplit("/", 1)[-1], attachment[1]]
                  for attachment in message.attachments
                  if not getattr(attachment, "withheld", False)  # unsafe or expired: never fetched
                  and str(attachment[1] or "").startswith(("https://", "http://"))]
        if queued:
            account = self.sudo()
            account.poll_pending_attachments = (account.poll_pending_attachments or []) + queued

    def _responso_download_pending(self, client, limit):
        """Download up to `limit` queued attachments into their messages; the number handled. A file already there
        is skipped (a retried step); one that cannot be downloaded stays linked in the message."""
        account = self.sudo()
        pending = list(account.poll_pending_attachments or [])
        if not pending:
            return 0
        batch, rest = pending[:limit], pending[limit:]
        for message_id, name, url in batch:
            message = self.env["mail.message"].sudo().browse(message_id).exists()
            if not message or name in message.attachment_ids.mapped("name"):
                continue
            try:
                data = client.download_attachment(url)
            except MarketplaceError as exc:  # kept on the marketplace: the body links it
                _logger.info("Attachment %s of %s not downloaded: %s", scrub(url), self.name, exc)
                continue
            # files from buyers get Odoo's rules for untrusted uploads: HTML, SVG and XML are stored as plain text
            attachment = self.env["ir.attachment"].sudo().with_context(attachments_mime_plainxml=True).create({
                "name": name, "raw": data, "res_model": message.model, "res_id": message.res_id})
            message.attachment_ids = [Command.link(attachment.id)]
        account.poll_pending_attachments = rest or False
        return len(batch)

    def _responso_buyer_partner(self, login):
        """The buyer behind a marketplace login (no e-mail address: the marketplace relays messages)."""
        Partner = self.env["res.partner"].sudo()
        login = login or _("unknown buyer")
        partner = Partner.search([("responso_login", "=", login), ("responso_integration_id", "=",
                                                                   self.integration_id.id)], limit=1)
        return partner or Partner.create({
            "name": "%s (%s)" % (login, self.integration_id.name), "responso_login": login,
            "responso_integration_id": self.integration_id.id})

    def _responso_incoming_body(self, message, client):
        """The message as HTML, and its attachments: downloaded when the client can, else linked safely."""
        body, files, links = plaintext2html(message.text or ""), [], []
        for attachment in message.attachments:
            name, url = attachment
            if getattr(attachment, "withheld", False):
                # flagged by the marketplace's scan, or expired: never fetched, never linked; the agent is told
                links.append(Markup("<li>%s</li>") % self._responso_withheld_text(name or "?", attachment.status))
                continue
            if not str(url or "").startswith(("https://", "http://")):
                continue
            try:
                if client is None:
                    raise PermanentError("downloaded later, or not at all")
                files.append((name or url.rsplit("/", 1)[-1], client.download_attachment(url)))
            except MarketplaceError as exc:  # kept on the marketplace: link it
                if client is not None:
                    _logger.info("Attachment %s of %s not downloaded: %s", scrub(url), self.name, exc)
                links.append(Markup('<li><a href="%s" target="_blank" rel="noopener">%s</a></li>') % (url, name or url))
        if links:  # Markup escapes names and addresses
            body += Markup("<ul>%s</ul>") % Markup("").join(links)
        return body, files

    def _responso_withheld_text(self, name, status):
        if status == "UNSAFE":
            return _("%(name)s: not downloaded, the marketplace flagged this file as unsafe.", name=name)
        return _("%(name)s: not downloaded, the file expired on the marketplace.", name=name)
