import logging
from dataclasses import replace

import pytz
from psycopg2 import errors as pg_errors

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import email_normalize

from ..engine import Reason
from ..engine.index import history_horizon
from ..engine.loop_guard import AutomaticSignal
from ..engine.snapshot import facts_to_data, history_to_data, limits_to_data
from .mail_thread import RESPONSO_MESSAGE_FIELDS, RESPONSO_TRUSTED, TRUSTED_CONTEXT_KEY
from .reason_labels import signal_text

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
      * ``responso_trusted_values`` (``mail_thread.RESPONSO_TRUSTED``, a Python object an RPC context cannot
        hold): the ``responso_*`` message values come from our own code (connectors, the mail gateway,
        ``responso_post_buyer_message``); without it they are dropped.
    """

    _name = "responso.autoresponder.mixin"
    _inherit = ["mail.thread"]
    _description = "Autoresponder on a Mail Thread"

    _responso_buyer_field = "partner_id"
    _responso_account_field = False
    _responso_source_field = False
    _responso_default_source = "responso_autoresponder.source_email"

    responso_hold_reason = fields.Char(
        "Held for a Human", copy=False, readonly=True,
        help="Something looked automatic (another autoresponder, an out-of-office notice…): the autoresponder "
             "stays silent in this thread until an agent answers or releases it.")

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

    def _responso_integration(self):
        self.ensure_one()
        return self._responso_source().integration_id

    def _responso_company(self):
        self.ensure_one()
        if "company_id" in self._fields and self.company_id:
            return self.company_id
        return self._responso_account().company_id or self.env.company

    def _responso_is_return(self):
        """Whether the record is the marketplace's return / post-purchase issue thread (condition "Return
        created")."""
        return False

    def _responso_status(self):
        """Id of the record's status (condition "Status"), or None."""
        return None

    def _responso_tags(self):
        """Ids of the record's tags (condition "Tag")."""
        return frozenset()

    def _responso_subject(self, message):
        """The subject the "Subject" condition reads: the message's, else the record's name."""
        self.ensure_one()
        return message.subject or self.display_name or ""

    def _responso_is_open(self):
        """Whether a queued reply may still go out (a closed ticket or conversation gets none)."""
        return True

    # ------------------------------------------------------------------
    # Incoming messages
    # ------------------------------------------------------------------
    def _message_create(self, values_list):
        # responso_* values only from our own code paths (mail.thread._responso_trusted_values): an RPC
        # message_post(responso_external_id=…) must not claim a marketplace message id nor fake a signal
        if not self._responso_trusted_values():
            for values in values_list:
                for name in RESPONSO_MESSAGE_FIELDS - {"responso_kind"}:
                    values.pop(name, None)
                # our automatic replies are posted by the sending cron (superuser, responso_auto_reply)
                if values.get("responso_kind") == "auto_reply" and not (
                        self.env.su or self.env.context.get("responso_auto_reply")):
                    del values["responso_kind"]
        # a buyer message carries its role, account and source from its creation: no second UPDATE, and the
        # role is ours to set (a caller cannot pass a non-buyer message off as the buyer's)
        if len(self) == 1:
            for values in values_list:
                if values.get("model") != self._name or values.get("res_id") != self.id:
                    continue
                if self._responso_is_buyer_message(values):
                    values["responso_kind"] = "buyer"
                    values.setdefault("responso_account_id", self._responso_account().id or False)
                    values.setdefault("responso_source_id", self._responso_source().id or False)
                elif values.get("responso_kind") == "buyer":
                    del values["responso_kind"]
        # what is left is ours: mail.thread lets it through on this model
        trusted = self.with_context(**{TRUSTED_CONTEXT_KEY: RESPONSO_TRUSTED})
        return super(ResponsoAutoresponderMixin, trusted)._message_create(values_list)

    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("responso_kind") == "buyer":
            self._responso_handle_buyer_message_safely(message, msg_values)
        elif self.responso_hold_reason and self._responso_is_agent_answer(msg_values):
            self.responso_hold_reason = False  # a person took over: the autoresponder may answer again later
        return res

    def _responso_is_agent_answer(self, msg_values):
        """Whether a person answered the buyer: the seller's own message fetched from the marketplace, or a public
        comment or e-mail by an internal user of the autoresponder's groups. Never a bounce, another
        autoresponder, a third party or any partner without such a user, nor our automatic replies."""
        if self.env.context.get("responso_auto_reply") or msg_values.get("responso_kind") == "auto_reply":
            return False
        if msg_values.get("responso_kind") == "seller":
            return True
        if (msg_values.get("message_type") not in ("comment", "email") or msg_values.get("responso_auto_signal")
                or msg_values.get("subtype_id") != self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")):
            return False
        author = self.env["res.partner"].sudo().browse(msg_values.get("author_id") or [])
        if not author or author == self._responso_buyer():
            return False
        return any(not user.share and user._has_group("responso_autoresponder.group_responso_user")
                   for user in author.user_ids)

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

    def _responso_handle_buyer_message_safely(self, message, msg_values):
        """The autoresponder's work on a buyer message, in a savepoint: whatever goes wrong in it (a bug, a broken
        setting), the buyer's message stays stored, the decision log says "autoresponder error: …" and the
        account's managers are told. Concurrency errors are re-raised: Odoo retries the whole transaction. A company
        without workflows costs nothing more (no savepoint)."""
        try:
            if not len(self.env["responso.workflow"]._responso_compiled(self._responso_company().id).index):
                return
            # the ORM's pending writes go to the database first; precommit hooks (tracking) are left for the
            # commit, as without a savepoint
            self.env.flush_all()
            with self.env.cr.savepoint(flush=False):
                try:
                    self._responso_handle_buyer_message(message, msg_values)
                    self.env.flush_all()  # a write refused by the database fails here, inside the savepoint
                except Exception:
                    self.env.transaction.clear()  # forget in the cache what the savepoint rolls back
                    raise
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 -- the buyer's message must never be lost to the autoresponder
            _logger.exception("Autoresponder error on buyer message %s (%s #%s); the message is stored",
                              message.id, self._name, self.id)
            self._responso_record_error(message, exc)

    def _responso_record_error(self, message, exc):
        """The decision row of a message the autoresponder failed on, and a note to the account's managers."""
        error = ("%s: %s" % (type(exc).__name__, exc))[:500]
        try:
            with self.env.cr.savepoint():
                company = self._responso_company()
                self.env["responso.decision"].sudo().create({
                    "message_id": message.id, "res_model": self._name, "res_id": self.id,
                    "conversation_id": self.id if self._name == "responso.conversation" else False,
                    "company_id": company.id, "answers": False, "reason_code": "error",
                    "reason_params": {"error": error}})
                account = self._responso_account().sudo()
                if account:
                    account._responso_notify_error(
                        self.with_context(lang=company.partner_id.lang or self.env.lang).env._(
                            "The autoresponder failed on a buyer message of %(record)s (message %(message)s), "
                            "which is stored but was not answered automatically: %(error)s",
                            record=self.display_name, message=message.id, error=error))
        except Exception:  # noqa: BLE001 -- logged; the buyer's message is still stored
            _logger.exception("Could not record the autoresponder error on buyer message %s", message.id)

    def _responso_handle_buyer_message(self, message, msg_values):
        """Decide on a buyer message and store the outcome: a constant number of queries whatever the number of
        workflows (compiled and cached), and no work at all when the company has none."""
        self.ensure_one()
        compiled = self.env["responso.workflow"]._responso_compiled(self._responso_company().id)
        if not len(compiled.index):
            return
        account = self._responso_account()
        now = fields.Datetime.now().replace(tzinfo=pytz.utc)
        limits = self._responso_limits()
        facts = self._responso_facts(message, msg_values, account)
        candidates = compiled.index.candidates(facts)
        history, thread_facts = self._responso_history(message, account, now,
                                                       history_horizon(compiled.index, limits, now))
        # a calendar of the account only when a workflow reads the account's working hours (no read otherwise)
        calendar = self._responso_account_calendar() if compiled.index.uses_account_calendar else None
        facts = replace(facts, **thread_facts, account_calendar=calendar, working_time=self._responso_working_time(
            compiled.index.working_time_keys(candidates, calendar), facts.received_at))
        outcome = compiled.index.decide(facts, now, history, limits, candidates=candidates)
        inputs = {"facts": facts_to_data(facts), "history": history_to_data(history),
                  "limits": limits_to_data(limits), "now": now.isoformat()}
        self.env["responso.reply"].sudo()._responso_apply_outcome(self, message, compiled, outcome, inputs)
        self._responso_apply_guards([outcome], account)

    def _responso_apply_guards(self, decisions, account):
        """What the guards decided beyond this message: hold the thread for a human, pause the account.

        The notes and reasons they leave are stored texts: written in the company's language, whoever (a cron, a
        connector, the mail gateway) brought the message."""
        reasons = {decision.reason.code: decision.reason for decision in decisions}
        held = not self.responso_hold_reason and reasons.get("held_for_human")
        capped = account and reasons.get("account_cap")
        if not (held or capped):
            return
        company = self._responso_company()
        thread = self.with_context(lang=company.partner_id.lang or self.env.lang)
        if held:
            reason = thread._responso_hold_text(held.params)
            self.sudo().responso_hold_reason = reason
            self.sudo().message_post(
                body=thread.env._("The autoresponder stays silent in this conversation until an agent answers: "
                                  "%(reason)s.", reason=reason),
                author_id=self.env.ref("responso_autoresponder.partner_autoresponder").id,
                email_from=company.email_formatted or None,
                message_type="comment", subtype_xmlid="mail.mt_note")
        if capped:
            account.sudo()._responso_pause(thread.env._("%(count)s automatic replies in one hour",
                                                        count=capped.params["count"]))

    def _responso_hold_text(self, held_params):
        """Why a conversation is held for a human (the ``held_for_human`` reason's parameters), in the context's
        language: the engine gives a code and its parameters, or the loop guard's rule (an out-of-office phrase
        quoted from the message: its words translated, the quote kept); a stored hold keeps its text."""
        texts = {
            "echo": self.env._("answered %(seconds)s s after our automatic reply"),
            "same_text": self.env._("same text as an earlier message"),
        }
        code = held_params.get("hold")
        if code in texts:
            return Reason(code, held_params.get("hold_params") or {}).text(texts)
        return signal_text(self.env, held_params.get("reason")) or ""

    def responso_post_buyer_message(self, body, external_id=False, date=False, attachments=None,
                                    auto_signal=None):
        """Store a buyer message received from a marketplace (connectors) or typed in by an agent, exactly once
        per (source, account, external id): a re-poll, an overlapping poll or a retry returns the stored one."""
        self.ensure_one()
        # callable over RPC: values a JSON client may send in other shapes get a clear error, not a server error
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if external_id and not isinstance(external_id, str):
            raise UserError(self.env._("A marketplace message id is a text."))
        if auto_signal is not None and not isinstance(auto_signal, AutomaticSignal):
            raise UserError(self.env._("Only the connectors say that a message was sent by a machine."))
        account, source = self._responso_account(), self._responso_source()
        Message = self.env["mail.message"]
        if external_id:
            existing = Message._responso_stored(source.id, account.id, external_id)
            if existing:
                return existing
        values = {"responso_external_id": external_id or False, "responso_source_id": source.id,
                  "responso_account_id": account.id or False}
        if auto_signal is not None:
            values.update(responso_auto_signal=auto_signal.rule, responso_auto_strength=auto_signal.strength)
        if date:
            values["date"] = date
        try:
            with self.env.cr.savepoint():
                buyer = self._responso_buyer()
                # our own values (the context sentinel): kept by _message_create
                return self.with_context(mail_create_nosubscribe=True,
                                         **{TRUSTED_CONTEXT_KEY: RESPONSO_TRUSTED}).message_post(
                    # marketplace buyers often have no e-mail address: their name stands in as sender
                    body=body, author_id=buyer.id, email_from=buyer.email_formatted or buyer.display_name,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment", attachments=attachments, **values)
        except pg_errors.UniqueViolation:
            # another worker stored it between our search and our insert
            return Message._responso_stored(source.id, account.id, external_id)

    def action_responso_release(self):
        """Let the autoresponder answer this conversation again (whoever may edit the conversation)."""
        self.check_access("write")
        self.sudo().write({"responso_hold_reason": False})
