from markupsafe import Markup

from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..engine.language import SITE_LANGUAGES, choose_language, detect_language
from ..engine.loop_guard import LOOP_HEADER


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAutoresponderMixin(models.AbstractModel):
    """The outgoing side of the autoresponder mixin: in which language, from whom and through which channel an
    automatic reply reaches the buyer, with the headers that keep other autoresponders quiet."""

    _inherit = "responso.autoresponder.mixin"

    # ------------------------------------------------------------------
    # Outgoing automatic replies
    # ------------------------------------------------------------------
    def _responso_transport(self):
        """How replies reach the buyer: the integration's transport; an account not connected to its API
        (no tokens: a manual or demo account) keeps its replies in the chatter for an agent to copy."""
        integration = self._responso_integration()
        transport = self.env["responso.integration"]._responso_transports().get(integration.id) or "email"
        if transport == "api" and not self._responso_account()._responso_connected():
            return "chatter"
        return transport

    def _responso_reply_lang(self):
        return self._responso_reply_lang_reason()[0]

    def _responso_reply_lang_reason(self, message=None, action=None):
        """(lang, why): the language of the automatic reply to `message` and why (a key of responso.reply's
        ``lang_reason``). The first that applies: the language the message is written in (detected in its text),
        the buyer's, the marketplace site's, the account's, the company's; with `action`, only a language its
        message exists in (the source, or a translation of ``body_html``) is taken."""
        self.ensure_one()
        buyer, account, company = self._responso_buyer(), self._responso_account(), self._responso_company()
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        has_text = None
        if action:
            written = self._responso_written_languages(action._fields["body_html"]._get_stored_translations(action))
            has_text = written.__contains__ if written else None
        candidates = [
            (detect_language(html2plaintext(message.body or "")[:2000]) if message else None, "message"),
            (buyer.lang, "buyer"),
            (SITE_LANGUAGES.get(account.marketplace_site or ""), "site"),
            (account.lang, "account"),
            (company.partner_id.lang, "company"),
            ("en_US", "default"),
        ]
        return choose_language(candidates, installed, has_text) or (self.env.lang or "en_US", "default")

    @staticmethod
    def _responso_written_languages(texts):
        """The languages a message is written in, of its stored texts ({language: text}). English holding the very
        text of another language is not an English message: Odoo stores a text written in another language under
        English too (its fallback; a record created in French, a database without English, a template's message
        rewritten in French), and a buyer who writes English would get it as if it were."""
        texts = texts or {}
        others = {text for code, text in texts.items() if code != "en_US"}
        return {code for code, text in texts.items() if code != "en_US" or text not in others}

    def _responso_deliver_reply(self, body, reply):
        """Post the automatic reply in the chatter and send it through the record's channel.

        E-mail transport: the buyer is a recipient, so Odoo e-mails the reply. Marketplace transports
        (connectors) deliver the posted message themselves. Returns the posted mail.message."""
        self.ensure_one()
        company = self._responso_company()
        buyer = self._responso_buyer()
        account = self._responso_account()
        transport = self._responso_transport()
        # the subject goes to the buyer with the body: in the body's language, not the sending cron's
        subject = self.with_context(lang=reply.lang or self._responso_reply_lang()).env._(
            "Automatic reply: %(subject)s", subject=reply.trigger_message_id.subject or self.display_name)
        post = self.with_context(responso_auto_reply=True, mail_create_nosubscribe=True, mail_post_autofollow=False)
        # by id from the registry cache: env.ref would also check that the row exists, once per reply
        author = self.env["res.partner"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id("responso_autoresponder.partner_autoresponder"))
        if transport == "api":
            # the marketplace gets it first (raises on failure); the chatter keeps it with its marketplace id, so
            # that the next poll recognises it
            external_id = account._responso_send(self, body)
            return post.message_post(
                body=Markup(body), subject=subject, parent_id=reply.trigger_message_id.id, message_type="comment",
                subtype_xmlid="responso_autoresponder.mt_auto_reply", author_id=author.id,
                email_from=company.email_formatted or author.name, responso_kind="auto_reply",
                responso_external_id=external_id, responso_source_id=self._responso_source().id,
                responso_account_id=account.id)
        # Amazon accepts replies only from the seller's registered sender address (docs/marketplace-contract.md M4)
        email_from = account.sender_email or company.email_formatted or company.alias_domain_id.default_from_email
        if not email_from:
            raise UserError(_("Set an e-mail address on the company %(company)s: automatic replies are sent from it.",
                              company=company.name))
        recipients = buyer.ids if transport == "email" and buyer.email else []
        if transport == "email" and not recipients:
            raise UserError(_("The buyer %(buyer)s has no e-mail address.", buyer=buyer.display_name))
        return post.message_post(
            body=Markup(body),
            subject=subject,
            parent_id=reply.trigger_message_id.id,
            message_type="comment",
            subtype_xmlid="responso_autoresponder.mt_auto_reply",
            author_id=author.id,
            email_from=email_from,
            partner_ids=recipients,
            responso_kind="auto_reply",
        )

    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        if self.env.context.get("responso_auto_reply"):
            # RFC 3834 §3.1.7 and §5, RFC 5230 §5, Microsoft's X-Auto-Response-Suppress: other autoresponders
            # must not answer us; our loop header lets us recognise our own mail coming back.
            headers.update({
                "Auto-Submitted": "auto-replied",
                "X-Auto-Response-Suppress": "All",
                "Precedence": "bulk",
                LOOP_HEADER: self._responso_loop_tag(),
            })
        return headers
