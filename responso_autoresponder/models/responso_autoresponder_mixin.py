import logging
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..engine import MessageFacts, decide

_logger = logging.getLogger(__name__)


class ResponsoAutoresponderMixin(models.AbstractModel):
    """Lets a mail.thread model be answered by autoresponder workflows.

    A buyer message posted on a record (by code on behalf of the buyer, or by the mail gateway) is turned
    into facts, the engine decides, and the decisions become log rows and queued replies; the replies go
    out from the sending cron, never from inside message_post.

    An inheriting model names its fields in the class attributes below (False: the model has none), or
    overrides the ``_responso_*`` getters. ``responso.conversation`` is the reference implementation.

    Context keys:
      * ``responso_auto_reply``: the message being posted is one of our automatic replies; it is never
        evaluated, and its e-mail carries the RFC 3834 auto-reply headers.
    """

    _name = "responso.autoresponder.mixin"
    _inherit = ["mail.thread"]
    _description = "Autoresponder on a Mail Thread"

    _responso_buyer_field = "partner_id"
    _responso_account_field = False
    _responso_source_field = False
    _responso_default_source = "responso_autoresponder.source_email"

    # ------------------------------------------------------------------
    # What the record is, for the autoresponder (override as needed)
    # ------------------------------------------------------------------
    def _responso_buyer(self):
        self.ensure_one()
        return self[self._responso_buyer_field] if self._responso_buyer_field else self.env["res.partner"]

    def _responso_account(self):
        self.ensure_one()
        if self._responso_account_field:
            return self[self._responso_account_field]
        return self.env["responso.account"]

    def _responso_source(self):
        self.ensure_one()
        if self._responso_source_field and self[self._responso_source_field]:
            return self[self._responso_source_field]
        return self.env.ref(self._responso_default_source, raise_if_not_found=False) or self.env["responso.source"]

    def _responso_company(self):
        self.ensure_one()
        if "company_id" in self._fields and self.company_id:
            return self.company_id
        return self._responso_account().company_id or self.env.company

    def _responso_is_open(self):
        """Whether a queued reply may still go out (a closed ticket or conversation gets none)."""
        return True

    # ------------------------------------------------------------------
    # Incoming messages
    # ------------------------------------------------------------------
    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        if self._responso_is_buyer_message(msg_values):
            self._responso_handle_buyer_message(message, msg_values)
        return res

    def _responso_is_buyer_message(self, msg_values):
        """Only the buyer's own messages are evaluated: never agents' messages, notes, notifications or
        our automatic replies."""
        if self.env.context.get("responso_auto_reply") or msg_values.get("responso_kind") == "auto_reply":
            return False
        if msg_values.get("message_type") not in ("comment", "email"):
            return False
        if msg_values.get("subtype_id") != self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"):
            return False
        buyer = self._responso_buyer()
        if not buyer:
            return False
        if msg_values.get("author_id"):
            return msg_values["author_id"] == buyer.id
        email = email_normalize(msg_values.get("email_from") or "")
        return bool(email) and email == buyer.email_normalized

    def _responso_handle_buyer_message(self, message, msg_values):
        self.ensure_one()
        account = self._responso_account()
        message.sudo().write({"responso_kind": "buyer", "responso_account_id": account.id})
        company = self._responso_company()
        workflows = self.env["responso.workflow"].sudo()._responso_candidates(company)
        if not workflows:
            return
        specs = workflows._responso_specs()
        facts = self._responso_facts(message, msg_values, specs)
        now = fields.Datetime.now().replace(tzinfo=pytz.utc)
        decisions = decide(specs, facts, now)
        self.env["responso.reply"].sudo()._responso_apply_decisions(self, message, workflows, decisions)

    def _responso_facts(self, message, msg_values, specs):
        """Snapshot of the message for the engine; a constant number of queries whatever the workflows."""
        account, source, buyer = self._responso_account(), self._responso_source(), self._responso_buyer()
        received_at = message.date.replace(tzinfo=pytz.utc)
        integration = source.integration_id
        labels = {("source", source.id): source.display_name, ("account", account.id): account.display_name,
                  ("integration", integration.id): integration.display_name}
        working_time = {}
        for calendar_id, tz in {key for spec in specs for key in spec.working_time_keys()}:
            working_time[(calendar_id, tz)] = self._responso_in_working_time(calendar_id, tz, received_at)
        return MessageFacts(
            message_id=message.id,
            received_at=received_at,
            source=source.id or None,
            integration=integration.id or None,
            account=account.id or None,
            is_first_message=self._responso_is_first_message(message, account, buyer),
            working_time=working_time,
            labels=labels,
        )

    def _responso_is_first_message(self, message, account, buyer):
        """The first message this sender ever wrote to this account (a returning buyer in a new thread is not
        "first"). Without an account, the company's messages count instead."""
        domain = [("responso_kind", "=", "buyer"), ("author_id", "=", buyer.id), ("id", "!=", message.id)]
        if account:
            domain.append(("responso_account_id", "=", account.id))
        else:
            domain += [("responso_account_id", "=", False),
                       ("record_company_id", "in", [self._responso_company().id, False])]
        return not self.env["mail.message"].sudo().search_count(domain, limit=1)

    def _responso_in_working_time(self, calendar_id, tz, moment):
        """Whether `moment` is working time of the calendar (attendances minus time off, public holidays
        included), seen in `tz`: resource.calendar does the work."""
        calendar = self.env["resource.calendar"].sudo().browse(calendar_id)
        intervals = calendar._work_intervals_batch(
            moment - timedelta(hours=1), moment + timedelta(hours=1), tz=pytz.timezone(tz))[False]
        return any(start <= moment < stop for start, stop, _meta in intervals)

    # ------------------------------------------------------------------
    # Outgoing automatic replies
    # ------------------------------------------------------------------
    def _responso_transport(self):
        source = self._responso_source()
        return source.integration_id.transport or "email"

    def _responso_reply_lang(self):
        buyer = self._responso_buyer()
        return buyer.lang or self._responso_company().partner_id.lang or self.env.lang

    def _responso_deliver_reply(self, body, reply):
        """Post the automatic reply in the chatter and send it through the record's channel.

        E-mail transport: the buyer is a recipient, so Odoo e-mails the reply. Marketplace transports
        (connectors) deliver the posted message themselves. Returns the posted mail.message."""
        self.ensure_one()
        company = self._responso_company()
        buyer = self._responso_buyer()
        email_from = company.email_formatted or company.alias_domain_id.default_from_email
        if not email_from:
            raise UserError(_("Set an e-mail address on the company %(company)s: automatic replies are sent from it.",
                              company=company.name))
        transport = self._responso_transport()
        recipients = buyer.ids if transport == "email" and buyer.email else []
        if transport == "email" and not recipients:
            raise UserError(_("The buyer %(buyer)s has no e-mail address.", buyer=buyer.display_name))
        return self.with_context(
            responso_auto_reply=True, mail_create_nosubscribe=True, mail_post_autofollow=False,
        ).message_post(
            body=Markup(body),
            message_type="comment",
            subtype_xmlid="responso_autoresponder.mt_auto_reply",
            author_id=self.env.ref("responso_autoresponder.partner_autoresponder").id,
            email_from=email_from,
            partner_ids=recipients,
            responso_kind="auto_reply",
        )

    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        if self.env.context.get("responso_auto_reply"):
            # RFC 3834 §3.1.7 and Microsoft's X-Auto-Response-Suppress: other autoresponders must not answer us.
            headers.update({
                "Auto-Submitted": "auto-replied",
                "X-Auto-Response-Suppress": "All",
                "Precedence": "bulk",
            })
        return headers

    def _get_message_create_valid_field_names(self):
        return super()._get_message_create_valid_field_names() | {"responso_kind", "responso_account_id"}
