"""Delivering one claimed reply, at most once whatever fails: the marketplace call, a lost answer checked on the
marketplace before anything is sent again, temporary failures retried for a bounded time, and the chatter copy
posted again when only it failed."""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..connectors.http import ClosedConversation, MalformedResponse, MarketplaceError, TransientError

_logger = logging.getLogger(__name__)

RETRY_HOURS = 24  # default of responso_autoresponder.retry_hours: no temporary-failure retry after this long
VERIFY_DELAY = timedelta(minutes=2)  # a marketplace may show a message a little after accepting it
CLOCK_SKEW = timedelta(minutes=2)  # our clock and the marketplace's: look a little before our attempt


class ResponsoReply(models.Model):
    _inherit = "responso.reply"

    def _responso_retry_limit(self):
        params = self.env["ir.config_parameter"].sudo()
        return timedelta(hours=float(params.get_param("responso_autoresponder.retry_hours", RETRY_HOURS)))

    def _responso_out_of_time(self):
        """Whether temporary failures stop being retried: `retry_hours` after the first attempt."""
        first = self.first_attempt_at or fields.Datetime.now()
        return fields.Datetime.now() - first >= self._responso_retry_limit()

    def _responso_failed(self, message):
        self._responso_write({"state": "failed", "error": message})
        _logger.info("Automatic reply %s failed: %s", self.id, message)

    def _responso_send(self, checkpoint=None):
        """Deliver one claimed reply through the record's channel.

        `checkpoint` (the cron's commit, None in tests) makes the attempt durable before the marketplace call,
        and the marketplace's acceptance durable before the chatter copy is posted."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id)
        lang, why = record._responso_reply_lang_reason(self.trigger_message_id, self.action_id)
        now = fields.Datetime.now()
        self._responso_write({"lang": lang, "lang_reason": why, "first_attempt_at": self.first_attempt_at or now})
        try:
            with self.env.cr.savepoint():
                body = self.action_id._responso_render(record, lang)
                transport = record._responso_transport()
                if transport != "api":  # e-mail or chatter: the post is the delivery, in this transaction
                    message = record._responso_deliver_reply(body, self)
        except UserError as exc:
            return self._responso_failed(str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure is kept on the row for an agent to see
            _logger.exception("Automatic reply %s failed", self.id)
            return self._responso_failed(repr(exc))
        if transport != "api":
            return self._responso_write({"state": "sent", "sent_at": now, "reply_message_id": message.id,
                                         "error": False})
        self._responso_write({"attempted_at": now, "sent_text": html2plaintext(body).strip()})
        if checkpoint:
            checkpoint()  # the attempt is durable: a crash from here on is checked on the marketplace
        try:
            external_id = record._responso_account()._responso_send(record, body)
        except ClosedConversation as exc:
            return self._responso_write({"state": "cancelled", "cancel_reason": exc.message})
        except TransientError as exc:
            if exc.outcome_unknown:
                return self._responso_to_verify(exc.message)
            return self._responso_retry_later(exc)
        except MalformedResponse as exc:  # a 2xx we cannot read: accepted, most likely
            return self._responso_to_verify(exc.message)
        except (UserError, MarketplaceError) as exc:
            return self._responso_failed(exc.message if isinstance(exc, MarketplaceError) else str(exc))
        except Exception as exc:  # noqa: BLE001 - the request may have left: look before sending again
            _logger.exception("Automatic reply %s: unexpected error while sending", self.id)
            return self._responso_to_verify(repr(exc))
        self._responso_write({"state": "sent", "sent_at": now, "external_id": external_id, "error": False,
                              "chatter_pending": True})
        if checkpoint:
            checkpoint()  # the marketplace has it: nothing that fails from here on sends it again
        self._responso_post_copy(record, body)
        return None

    def _responso_to_verify(self, error):
        """The marketplace may have the reply: look in the thread before anything is sent again."""
        self._responso_write({"state": "verify", "send_at": fields.Datetime.now() + VERIFY_DELAY, "error": _(
            "No clear answer from the marketplace (%(error)s): the conversation is checked on the marketplace "
            "before the reply is sent again.", error=error)})
        self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger(self.send_at)

    def _responso_retry_later(self, exc):
        """The marketplace is down or asks us to wait (nothing was applied): retried later, for a bounded time."""
        if self._responso_out_of_time():
            return self._responso_failed(_(
                "Not sent: the marketplace kept failing for %(hours)s h (%(error)s). Retry sends it again.",
                hours=round(self._responso_retry_limit().total_seconds() / 3600), error=exc.message))
        wait = max(getattr(exc, "retry_after", 0) or 0, 60 * 2 ** min(self.attempts, 6))
        self._responso_write({"state": "scheduled", "error": exc.message,
                              "send_at": fields.Datetime.now() + timedelta(seconds=wait)})
        self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger(self.send_at)
        return None

    def _responso_verify(self):
        """A locked ``verify`` row: our text in the marketplace thread since the attempt means sent; its absence
        means the attempt never arrived, and the reply is queued again; no answer within the retry time leaves
        it to a person (``unknown``)."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists()
        since = (self.attempted_at or self.write_date) - CLOCK_SKEW
        try:
            if not record or not self.sent_text:
                raise UserError(_("nothing to look for"))
            found = record._responso_account()._responso_find_sent(record, self.sent_text, since)
        except (MarketplaceError, UserError) as exc:
            message = exc.message if isinstance(exc, MarketplaceError) else str(exc)
            if isinstance(exc, TransientError) and not self._responso_out_of_time():
                self._responso_write({"send_at": fields.Datetime.now() + timedelta(minutes=5)})
                return
            self._responso_write({"state": "unknown", "error": _(
                "Maybe sent: the marketplace could not be checked (%(error)s). Look in the conversation on the "
                "marketplace, then mark the reply as sent, retry or cancel it.", error=message)})
            return
        if found:
            self._responso_write({"state": "sent", "sent_at": self.attempted_at or fields.Datetime.now(),
                                  "external_id": found, "chatter_pending": True, "error": False})
            self._responso_post_copy(record)
            return
        if self._responso_out_of_time():
            self._responso_failed(_("Not sent: the marketplace does not have this reply, and it kept failing for "
                                    "%(hours)s h. Retry sends it again.",
                                    hours=round(self._responso_retry_limit().total_seconds() / 3600)))
            return
        # not on the marketplace: the attempt never arrived, so sending again is safe (re-checked when claimed)
        self._responso_write({"state": "scheduled", "send_at": fields.Datetime.now(), "error": _(
            "The marketplace does not have this reply: it is sent again.")})

    def _responso_post_copy(self, record, body=None):
        """Keep the reply the marketplace accepted in the chatter, with its marketplace id; when that fails the
        reply stays sent (the buyer has it) and its copy is posted again by the next runs."""
        self.ensure_one()
        existing = self.env["mail.message"]._responso_stored(
            record._responso_source().id, record._responso_account().id, self.external_id)
        if existing:  # the poll fetched it back first
            return self._responso_write({"reply_message_id": existing.id, "chatter_pending": False})
        try:
            with self.env.cr.savepoint():
                if body is None:
                    body = self.action_id._responso_render(record, self.lang or record._responso_reply_lang())
                thread = record.with_context(responso_sent_external_id=self.external_id)
                message = thread._responso_deliver_reply(body, self)
        except Exception as exc:  # noqa: BLE001 - the buyer has the reply: only its copy here is missing
            _logger.warning("Automatic reply %s: sent, but its chatter copy failed: %s", self.id, exc)
            return self._responso_write({"error": _(
                "Sent on the marketplace (message %(id)s), but its copy in the conversation failed: %(error)s. "
                "It is posted again automatically.", id=self.external_id, error=str(exc) or repr(exc))})
        return self._responso_write({"reply_message_id": message.id, "chatter_pending": False, "error": False})

    @api.model
    def _responso_post_pending(self, limit=50):
        """Post again the chatter copies that failed, for replies sent in the last retry period."""
        pending = self.search([("state", "=", "sent"), ("chatter_pending", "=", True),
                               ("sent_at", ">=", fields.Datetime.now() - self._responso_retry_limit())], limit=limit)
        for reply in pending:
            record = self.env[reply.res_model].browse(reply.res_id).exists()
            if record:
                reply._responso_post_copy(record)
