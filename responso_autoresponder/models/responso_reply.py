import logging
import threading
from datetime import timedelta

from psycopg2.extensions import TransactionRollbackError

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

from odoo.addons.base.models.res_partner import _lang_get

from ..connectors.http import ClosedConversation, MarketplaceError, TransientError

_logger = logging.getLogger(__name__)

# why the reply is in its language (responso.autoresponder.mixin._responso_reply_lang_reason), first that applies
LANG_REASONS = [
    ("message", "Detected in the buyer's message"),
    ("buyer", "The buyer's language"),
    ("site", "The marketplace site's language"),
    ("account", "The account's language"),
    ("company", "The company's language"),
    ("default", "No other language has this message"),
]

STATES = [
    ("scheduled", "Scheduled"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class ResponsoReply(models.Model):
    """The reply queue: one row per workflow action and triggering buyer message (unique).

    scheduled → sending → sent, or failed (error, attempts) / cancelled (reason). Rows change state only
    through the methods below; the sending cron picks due rows with FOR NO KEY UPDATE SKIP LOCKED, so two
    cron workers (or a "Send now" click during a cron run) never send the same row twice."""

    _name = "responso.reply"
    _description = "Automatic Reply"
    _order = "send_at desc, id desc"
    _rec_name = "workflow_name"

    trigger_message_id = fields.Many2one("mail.message", string="Buyer Message", required=True, readonly=True,
                                         ondelete="cascade", index=True)
    res_model = fields.Char("Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference("Document", model_field="res_model", required=True, readonly=True)
    conversation_id = fields.Many2one("responso.conversation", index="btree_not_null", readonly=True,
                                      ondelete="cascade")
    buyer_id = fields.Many2one("res.partner", readonly=True, index="btree_not_null")
    account_id = fields.Many2one("responso.account", readonly=True, index="btree_not_null", ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    workflow_id = fields.Many2one("responso.workflow", index=True, ondelete="set null", readonly=True,
                                  context={"active_test": False})
    workflow_name = fields.Char(required=True, readonly=True)
    action_id = fields.Many2one("responso.workflow.action", ondelete="set null", readonly=True)
    sequence = fields.Integer(readonly=True, help="Order of the workflow's actions.")
    state = fields.Selection(STATES, default="scheduled", required=True, readonly=True, index=True)
    send_at = fields.Datetime("Due", required=True, readonly=True, index=True)
    sent_at = fields.Datetime("Sent On", readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    cancel_reason = fields.Char(readonly=True)
    reply_message_id = fields.Many2one("mail.message", string="Reply", readonly=True, ondelete="set null")
    lang = fields.Selection(_lang_get, string="Language", readonly=True,
                            help="The language the reply was written in, chosen when it was sent.")
    lang_reason = fields.Selection(LANG_REASONS, string="Language Chosen By", readonly=True,
                                   help="The first of these that gives a language the workflow's message is written "
                                        "in: the buyer's message, the buyer, the marketplace site, the account, the "
                                        "company.")

    _sql_constraints = [
        ("action_message_unique", "UNIQUE(action_id, trigger_message_id)",
         "A workflow action answers a buyer message at most once."),
    ]

    def init(self):
        res = super().init()
        # the history a buyer message reads (mixin ``_responso_history``) and the sender's next due row: each an
        # index range over recent live rows, however long the past
        live = "state IN ('scheduled', 'sending', 'sent')"
        for name, columns, where in (
            ("responso_reply_thread_recent_idx", ["res_id", "res_model", "send_at"], live),
            ("responso_reply_buyer_recent_idx", ["buyer_id", "account_id", "send_at"], live),
            ("responso_reply_account_recent_idx", ["account_id", "send_at"], live),
            ("responso_reply_due_idx", ["send_at", "sequence", "id"], "state = 'scheduled'"),
        ):
            create_index(self.env.cr, name, self._table, columns, where=where)
        return res

    # ------------------------------------------------------------------
    # Queueing (called from the buyer message hook)
    # ------------------------------------------------------------------
    @api.model
    def _responso_apply_outcome(self, record, message, compiled, outcome, inputs):
        """Store the message's decision (one row), apply the answering workflow's non-sending actions at once (tags,
        assignment, status, note, "no answer needed") and queue its messages, then wake the sender: two INSERTs at
        most for a workflow that only sends, whatever the number of workflows."""
        conversation_id = record.id if record._name == "responso.conversation" else False
        common = {"res_model": record._name, "res_id": record.id, "conversation_id": conversation_id,
                  "company_id": record._responso_company().id}
        decision = outcome.decision
        spec = decision and compiled.index.spec(decision.workflow_id)
        send_at = decision and decision.send_at and fields.Datetime.to_datetime(decision.send_at.replace(tzinfo=None))
        reason = outcome.reason
        self.env["responso.decision"].create(dict(
            common, message_id=message.id, workflow_id=decision and decision.workflow_id,
            workflow_name=spec and spec.name, answers=outcome.answers, send_at=send_at if outcome.answers else False,
            reason_code=reason.code, reason_params=reason.params,
            skipped_workflow_ids=list(outcome.skipped) or None, workflow_count=outcome.total,
            evaluated_count=outcome.evaluated, snapshot_key=compiled.snapshot_key, inputs=inputs))
        record._responso_new_buyer_message(message)
        if not outcome.answers:
            return self
        # sending actions are queued; the others apply at once, in the workflow's order
        planned = compiled.actions[decision.workflow_id]
        Action = self.env["responso.workflow.action"]
        types = Action._responso_action_types(common["company_id"])
        missing = [action_id for action_id, _sequence in planned if action_id not in types]
        if missing:  # created since the types were cached
            types = dict(types, **{action.id: action.action_type for action in Action.browse(missing).exists()})
        immediate = [action_id for action_id, _sequence in planned
                     if types.get(action_id, "send_message") != "send_message"]
        if immediate:
            record._responso_run_actions(Action.browse(immediate), message)
        sending = [(action_id, sequence) for action_id, sequence in planned if types.get(action_id) == "send_message"]
        if not sending:
            return self
        replies = self.create([
            dict(common, trigger_message_id=message.id, workflow_id=decision.workflow_id, workflow_name=spec.name,
                 action_id=action_id, sequence=sequence, buyer_id=record._responso_buyer().id,
                 account_id=record._responso_account().id, send_at=send_at)
            for action_id, sequence in sending
        ])
        # the cron's id from the registry cache (env.ref would check that it exists: one more query per message)
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id("responso_autoresponder.ir_cron_send_due_replies")
        self.env["ir.cron"].browse(cron_id)._trigger(send_at)
        return replies

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_due(self, batch_size=50):
        """Send the replies that are due, one claimed row at a time (ir.cron runs us again while some remain).

        At most once: a row is claimed (``sending``) and committed before it is delivered, then marked sent and
        committed. Another worker skips the locked row and never sees it ``scheduled`` again; a crash between
        the two commits leaves it ``sending``, which the watchdog turns into a failure an agent resolves — it is
        never re-sent silently. Tests run without those commits (they cannot commit)."""
        self._responso_fail_interrupted()
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        # Commits: at most once needs each claim durable before its delivery, and each outcome durable after it
        # (DESIGN: a crash may never lead to a silent re-send); _notify_progress cannot give that granularity.
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        sent = self.browse()
        for _index in range(batch_size):
            reply = self._responso_claim_next(retry_conflicts=auto_commit)
            if not reply:
                break
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the claim is durable before anything leaves
            reply._responso_send()
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the outcome is durable
            sent |= reply
        now = fields.Datetime.now()
        remaining = self.search_count([("state", "=", "scheduled"), ("send_at", "<=", now)])
        self.env["ir.cron"]._notify_progress(done=len(sent), remaining=remaining)
        return sent

    @api.model
    def _responso_claim_next(self, retry_conflicts=False):
        """Lock the next due row (skipping rows other workers hold), re-check it and mark it sending, or cancel
        it when the situation changed. Returns the claimed row, or an empty recordset when none is due.

        Odoo's transactions are REPEATABLE READ: locking a row that another worker changed and committed after
        our snapshot is refused ("could not serialize access"). That row is the other worker's: start a fresh
        transaction and look again (`retry_conflicts`, only where we may roll back, i.e. outside tests)."""
        conflicts = 0
        while True:
            self.flush_model(["state", "send_at", "sequence"])
            try:
                self.env.cr.execute(SQL(
                    """SELECT id FROM responso_reply
                        WHERE state = 'scheduled' AND send_at <= %s
                     ORDER BY send_at, sequence, id
                        LIMIT 1
                   FOR NO KEY UPDATE SKIP LOCKED""", fields.Datetime.now()))
            except TransactionRollbackError:
                conflicts += 1
                if not retry_conflicts or conflicts > 10:
                    raise
                _logger.info("A due reply was taken by another worker meanwhile: looking again")
                self.env.cr.rollback()  # everything before was committed: only the stale snapshot goes
                continue
            row = self.env.cr.fetchone()
            if not row:
                return self.browse()
            reply = self.browse(row[0])
            reply.invalidate_recordset()  # read the locked row as it is now
            record = self.env[reply.res_model].browse(reply.res_id).exists()
            cancel = reply._responso_cancel_reason(record)
            if cancel:
                reply._responso_cancel(cancel)
                continue
            reply.write({"state": "sending", "attempts": reply.attempts + 1})
            return reply

    @api.model
    def _responso_fail_interrupted(self, minutes=15):
        """Rows left ``sending`` by a crash: the buyer may or may not have the reply, so a person decides."""
        stale = self.search([("state", "=", "sending"),
                             ("write_date", "<", fields.Datetime.now() - timedelta(minutes=minutes))])
        stale.write({"state": "failed", "error": _(
            "Interrupted while sending: check in the conversation whether the buyer received this reply, then "
            "retry or cancel it.")})

    def _responso_send(self):
        """Deliver one claimed reply through the record's channel."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id)
        lang, why = record._responso_reply_lang_reason(self.trigger_message_id, self.action_id)
        self.write({"lang": lang, "lang_reason": why})
        try:
            with self.env.cr.savepoint():
                body = self.action_id._responso_render(record, lang)
                message = record._responso_deliver_reply(body, self)
        except ClosedConversation as exc:
            self.write({"state": "cancelled", "cancel_reason": exc.message})
            return
        except TransientError as exc:
            # the marketplace is down or asks us to wait: the reply stays queued and goes out when it is back
            wait = max(getattr(exc, "retry_after", 0) or 0, 60 * 2 ** min(self.attempts, 6))
            self.write({"state": "scheduled", "error": exc.message,
                        "send_at": fields.Datetime.now() + timedelta(seconds=wait)})
            self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger(self.send_at)
            return
        except (UserError, MarketplaceError) as exc:
            message = exc.message if isinstance(exc, MarketplaceError) else str(exc)
            self.write({"state": "failed", "error": message})
            _logger.info("Automatic reply %s failed: %s", self.id, message)
            return
        except Exception as exc:  # noqa: BLE001 - any failure is kept on the row for an agent to see
            self.write({"state": "failed", "error": repr(exc)})
            _logger.exception("Automatic reply %s failed", self.id)
            return
        self.write({"state": "sent", "sent_at": fields.Datetime.now(), "reply_message_id": message.id,
                    "error": False})

    def _responso_cancel_reason(self, record):
        """Checked again when the reply is due: the situation may have changed since the decision."""
        if not record:
            return _("the conversation was deleted")
        if not self.workflow_id.active:
            return _("the workflow was disabled or deleted")
        if not self.action_id:
            return _("the action was deleted")
        if not record._responso_is_open():
            return _("the conversation was closed")
        if record.responso_hold_reason:
            return _("held for a human: %(reason)s", reason=record.responso_hold_reason)
        if self.account_id.responso_paused:
            return _("automatic replies of this account are paused")
        blocked = self.buyer_id.responso_autoreply_blocked_until
        if blocked and blocked > fields.Datetime.now():
            return _("our automatic replies to this address bounced")
        answered = self._responso_answered_since(record)
        if answered:
            return answered
        limits = record._responso_limits()
        sent_today = self.search_count([
            ("res_model", "=", self.res_model), ("res_id", "=", self.res_id), ("state", "=", "sent"),
            ("sent_at", ">=", fields.Datetime.now() - timedelta(days=1))])
        if sent_today >= limits.conversation_per_day:
            return _("cap reached: %(count)s in 24 h in this conversation", count=sent_today)
        return False

    def _responso_answered_since(self, record):
        """Only answer while the buyer's message is the newest: anything public posted after it by someone
        else (an agent, or another automatic reply) makes this reply needless."""
        buyer = record._responso_buyer()
        siblings = self.search([("trigger_message_id", "=", self.trigger_message_id.id)]).reply_message_id
        later = self.env["mail.message"].sudo().search([
            ("model", "=", record._name), ("res_id", "=", record.id),
            ("id", ">", self.trigger_message_id.id), ("id", "not in", siblings.ids),
            ("message_type", "in", ("comment", "email")),
            ("subtype_id.internal", "=", False),
            ("author_id", "!=", buyer.id),
        ], limit=1, order="id")
        if not later:
            return False
        if later.responso_kind == "auto_reply":
            return _("an automatic reply was already sent after this message")
        return _("an agent answered meanwhile")

    def _responso_cancel(self, reason):
        self.filtered(lambda r: r.state in ("scheduled", "failed")).write(
            {"state": "cancelled", "cancel_reason": reason})

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_cancel(self):
        self._responso_cancel(_("cancelled by %(user)s", user=self.env.user.name))

    def action_retry(self):
        """Put failed replies back in the queue, due now."""
        failed = self.filtered(lambda r: r.state == "failed")
        failed.write({"state": "scheduled", "send_at": fields.Datetime.now()})
        if failed:
            self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger()
