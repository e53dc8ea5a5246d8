import logging
import threading
from datetime import timedelta

from psycopg2.extensions import TransactionRollbackError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, create_index

from odoo.addons.base.models.res_partner import _lang_get

from . import outcome_sql
from .history_sql import LIVE_STATES_SQL, create_function

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
    ("verify", "Checking Whether Sent"),
    ("sent", "Sent"),
    ("unknown", "Maybe Sent: Check"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]

OPEN_STATES_SQL = "state IN ('scheduled', 'sending', 'verify', 'unknown', 'failed')"

# The state machine's fields: never given to a create. Nothing of a reply is written but by the methods of this model
# (``_responso_write``), as queue_job protects its jobs (a manager writing ``state`` would re-send a reply behind the
# queue's back, one writing ``res_id`` would send it into another thread).
EDIT_SENTINEL = object()
PROTECTED_FIELDS = frozenset({
    "state", "send_at", "sent_at", "attempts", "error", "cancel_reason", "reply_message_id", "external_id",
    "attempted_at", "first_attempt_at", "sent_text", "chatter_pending", "lang", "lang_reason",
})


class ResponsoReply(models.Model):
    """The reply queue: one row per workflow action and triggering buyer message (unique).

    scheduled → sending → sent, or failed (error, attempts) / cancelled (reason). A marketplace send whose answer
    was lost (timeout, 5xx, broken connection) goes to ``verify``: the thread is read on the marketplace before
    anything is sent again, and the reply becomes sent (our message is there), scheduled (it is not) or, when the
    marketplace cannot tell, ``unknown`` ("maybe sent": a person checks). Rows change state only through the
    methods below (``write`` refuses the state machine's fields otherwise); the sending cron picks due rows with
    FOR NO KEY UPDATE SKIP LOCKED, so two cron workers (or a "Send now" click during a cron run) never send the
    same row twice."""

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
    # indexed by responso_reply_open_idx (the rows still in progress): an index over every state would grow with
    # all the replies ever sent and cost every write of a reply one more index entry
    state = fields.Selection(STATES, default="scheduled", required=True, readonly=True)
    send_at = fields.Datetime("Due", required=True, readonly=True, index=True)
    sent_at = fields.Datetime("Sent On", readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    cancel_reason = fields.Char(readonly=True)
    # indexed: every mail.message deleted anywhere looks up the replies pointing at it
    reply_message_id = fields.Many2one("mail.message", string="Reply", readonly=True, ondelete="set null",
                                       index="btree_not_null")
    external_id = fields.Char("Marketplace Message ID", readonly=True, copy=False, index="btree_not_null",
                              help="The reply's id on the marketplace, once the marketplace accepted it.")
    attempted_at = fields.Datetime("Last Attempt", readonly=True, copy=False,
                                   help="When the reply last left for the marketplace.")
    first_attempt_at = fields.Datetime("First Attempt", readonly=True, copy=False,
                                       help="Temporary failures are retried for a limited time from this moment.")
    sent_text = fields.Text(readonly=True, copy=False,
                            help="The text the marketplace received, looked for in the thread when its answer "
                                 "was lost.")
    chatter_pending = fields.Boolean(readonly=True, copy=False,
                                     help="The marketplace has the reply; its copy in the chatter is posted again.")
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
        # (the first version of these indexes left out verify / unknown: replaced under new names; the whole
        # state column had its own index, and the due rows theirs: both now in open_idx)
        for old in ("responso_reply_thread_recent_idx", "responso_reply_buyer_recent_idx",
                    "responso_reply_account_recent_idx", "responso_reply_due_idx", "responso_reply__state_index"):
            self.env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(old)))
        for name, columns, where in (
            ("responso_reply_thread_live_idx", ["res_id", "res_model", "send_at"], LIVE_STATES_SQL),
            ("responso_reply_buyer_live_idx", ["buyer_id", "account_id", "send_at"], LIVE_STATES_SQL),
            ("responso_reply_account_live_idx", ["account_id", "send_at"], LIVE_STATES_SQL),
            # the rows still in progress: the sender's next due (or to verify) row in order, stale sends, the
            # Failed / Maybe sent lists; the sent and cancelled past stays out of it
            ("responso_reply_open_idx", ["state", "send_at", "sequence", "id"], OPEN_STATES_SQL),
            # every sending run looks for chatter copies to post again: a few rows among all the sent ones
            ("responso_reply_chatter_pending_idx", ["sent_at"], "chatter_pending AND state = 'sent'"),
            # a workflow's replies sent in the last 30 days (the Workflows list), not all it ever sent
            ("responso_reply_workflow_sent_idx", ["workflow_id", "sent_at"], "state = 'sent'"),
        ):
            create_index(self.env.cr, name, self._table, columns, where=where)
        create_function(self.env.cr)  # the history query itself, planned once per connection
        return res

    # ------------------------------------------------------------------
    # The protected state machine
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # a new row is scheduled, due at `send_at`: nothing else of the state machine is given
            self._responso_check_protected({name for name, value in vals.items() if value and name != "send_at"
                                            and (name, value) != ("state", "scheduled")})
        return super().create(vals_list)

    def write(self, vals):
        self._responso_check_protected(vals, writing=True)
        return super().write(vals)

    def _responso_check_protected(self, fnames, writing=False):
        """Only this model's methods change a reply. A write may not touch any field (the sender runs as superuser:
        a reply pointed at another thread, message or action by a manager would send there), a create only
        what a new scheduled row has."""
        if self.env.context.get("responso_reply_edit") is EDIT_SENTINEL:
            return
        protected = sorted(fnames if writing else PROTECTED_FIELDS.intersection(fnames))
        if protected:
            raise AccessError(_(
                "An automatic reply changes only through its buttons (Retry, Cancel…), never directly: %(fields)s.",
                fields=", ".join(protected)))

    def _responso_write(self, vals):
        """The one way the state machine's fields are written (rights are still checked by ``write``)."""
        return self.with_context(responso_reply_edit=EDIT_SENTINEL).write(vals)

    # ------------------------------------------------------------------
    # Queueing (called from the buyer message hook)
    # ------------------------------------------------------------------
    @api.model
    def _responso_apply_outcome(self, record, message, compiled, outcome, inputs):
        """Store the message's decision (one row), apply at once the non-sending actions (tags, assignment, status,
        note, "no answer needed") of every workflow that acts, in sequence order — each matching workflow that sends
        no message, and the answering one — queue the answering workflow's messages and wake the sender: one INSERT
        statement for the decision, the replies and the wake-up (outcome_sql.py), whatever the number of
        workflows."""
        conversation_id = record.id if record._name == "responso.conversation" else False
        common = {"res_model": record._name, "res_id": record.id, "conversation_id": conversation_id,
                  "company_id": record._responso_company().id}
        decision = outcome.decision
        spec = decision and compiled.index.spec(decision.workflow_id)
        send_at = decision and decision.send_at and fields.Datetime.to_datetime(decision.send_at.replace(tzinfo=None))
        reason = outcome.reason
        decision_vals = dict(
            common, message_id=message.id, workflow_id=decision and decision.workflow_id,
            workflow_name=spec and spec.name, answers=outcome.answers, send_at=send_at if outcome.answers else False,
            reason_code=reason.code, reason_params=reason.params,
            skipped_workflow_ids=list(outcome.skipped) or None, applied_workflow_ids=list(outcome.applied) or None,
            workflow_count=outcome.total, evaluated_count=outcome.evaluated, snapshot_key=compiled.snapshot_key,
            inputs=inputs)
        record._responso_new_buyer_message(message)
        reply_vals = []
        for workflow_id in outcome.acting:
            # sending actions are queued (the answering workflow's only); the others apply at once, in its order
            sending = record._responso_run_workflow_actions(compiled.actions[workflow_id], message)
            if sending and outcome.answers and workflow_id == decision.workflow_id:
                reply_vals = [
                    dict(common, trigger_message_id=message.id, workflow_id=workflow_id, workflow_name=spec.name,
                         action_id=action_id, sequence=sequence, buyer_id=record._responso_buyer().id,
                         account_id=record._responso_account().id, send_at=send_at, state="scheduled")
                    for action_id, sequence in sending
                ]
        # ir.cron._trigger(send_at) for the sending cron, in the same statement: the cron's id from the registry
        # cache; its row is not read (_trigger_list reads `active` only to drop past triggers of a disabled cron,
        # which ignores triggers anyway)
        cron_id = reply_vals and self.env["ir.model.data"]._xmlid_to_res_id(
            "responso_autoresponder.ir_cron_send_due_replies")
        _decision_id, reply_ids = outcome_sql.insert_outcome(
            self.env, decision_vals, reply_vals, cron_id and {"cron_id": cron_id, "call_at": send_at})
        if "decision_ids" in record._fields:
            record.invalidate_recordset(["decision_ids", "reply_ids"])  # their rows were written in SQL
        if cron_id and send_at <= fields.Datetime.now():
            self.env.cr.postcommit.add(self.env["ir.cron"].browse(cron_id)._notifydb)  # wake the cron workers now
        return self.browse(reply_ids)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_due(self, batch_size=50):
        """Send the replies that are due, one claimed row at a time (ir.cron runs us again while some remain).

        At most once: a row is claimed (``sending``) and committed before it is delivered; the attempt (its text,
        its time) is committed before the marketplace call and the marketplace's acceptance right after it, then
        the outcome. Another worker skips the locked row and never sees it ``scheduled`` again; a crash leaves it
        ``sending``, which the watchdog hands to the marketplace check (``verify``) or to a person — it is never
        re-sent silently. Sends whose answer was lost are checked on the marketplace first (``verify``). Tests
        run without those commits (they cannot commit). Rows left by a crash and chatter copies to post again are
        the upkeep job's (``_cron_sending_upkeep``): a run, woken for each reply due at once, only sends."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        # Commits: at most once needs each marketplace claim durable before its delivery, and each outcome durable
        # after it (DESIGN: a crash may never lead to a silent re-send); _notify_progress cannot give that
        # granularity.
        checkpoint = self.env.cr.commit if auto_commit else None  # pylint: disable=invalid-commit
        for _index in range(batch_size):
            reply = self._responso_lock_due("verify", retry_conflicts=auto_commit)
            if not reply:
                break
            reply._responso_verify()
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the check's outcome is durable
        sent = self.browse()
        for _index in range(batch_size):
            reply = self._responso_claim_next(retry_conflicts=auto_commit)
            if not reply:
                break
            if auto_commit and reply._responso_leaves_the_transaction():
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the claim is durable before anything leaves
            reply._responso_send(checkpoint=checkpoint)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the outcome is durable
            sent |= reply
        # a batch that ended on an empty queue leaves nothing due; a full one may
        remaining = len(sent) == batch_size and self.search_count(
            [("state", "in", ("scheduled", "verify")), ("send_at", "<=", fields.Datetime.now())])
        self.env["ir.cron"]._notify_progress(done=len(sent), remaining=remaining or 0)
        return sent

    def _responso_leaves_the_transaction(self):
        """Whether delivering this reply reaches outside the database (a marketplace API call): then its claim
        must be committed first. A reply kept in the chatter or e-mailed (through Odoo's mail queue) is posted in
        this transaction: a crash rolls the claim and the post back together, and the reply stays due."""
        return self.env[self.res_model].browse(self.res_id)._responso_transport() == "api"

    @api.model
    def _responso_lock_due(self, state, retry_conflicts=False):
        """Lock the next due row in `state`, skipping rows other workers hold; an empty recordset when none.

        Odoo's transactions are REPEATABLE READ: locking a row that another worker changed and committed after
        our snapshot is refused ("could not serialize access"). That row is the other worker's: start a fresh
        transaction and look again (`retry_conflicts`, only where we may roll back, i.e. outside tests)."""
        conflicts = 0
        while True:
            self.flush_model(["state", "send_at", "sequence"])
            try:
                self.env.cr.execute(SQL(
                    """SELECT id FROM responso_reply
                        WHERE state = %s AND send_at <= %s
                     ORDER BY send_at, sequence, id
                        LIMIT 1
                   FOR NO KEY UPDATE SKIP LOCKED""", state, fields.Datetime.now()))
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
            return reply

    @api.model
    def _responso_claim_next(self, retry_conflicts=False):
        """Lock the next due row, re-check it and mark it sending, or cancel it when the situation changed.
        Returns the claimed row, or an empty recordset when none is due."""
        while True:
            reply = self._responso_lock_due("scheduled", retry_conflicts=retry_conflicts)
            if not reply:
                return reply
            record = reply._responso_record()
            if reply._responso_cancel_reason(record):
                # a stored text, read by the company's agents: in the company's language, not the cron's (read
                # only when a reply is cancelled)
                company_lang = reply.company_id.partner_id.lang or self.env.lang
                reply._responso_cancel(reply.with_context(lang=company_lang)._responso_cancel_reason(record))
                continue
            reply._responso_write({"state": "sending", "attempts": reply.attempts + 1, "attempted_at": False})
            return reply

    def _responso_record(self):
        """The record the reply answers in, its row read as a first field access would read it, or an empty
        recordset when it was deleted: ``exists()`` and that read in one query."""
        Model = self.env[self.res_model]
        names = [name for name, field in Model._fields.items()
                 if field.store and field.column_type and field.prefetch is True]
        found = Model.sudo().with_context(active_test=False).search_fetch([("id", "=", self.res_id)], names)
        return Model.browse(found.ids)

    @api.model
    def _cron_sending_upkeep(self):
        """Every few minutes, off the sending path: rows a crash left ``sending`` go to the marketplace check or to
        a person, and the chatter copies that failed are posted again."""
        if self._responso_fail_interrupted():
            self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger()  # the checks are due now
        self._responso_post_pending()

    @api.model
    def _responso_fail_interrupted(self, minutes=15):
        """Rows left ``sending`` by a crash. One that had left for the marketplace is looked for there
        (``verify``); otherwise the buyer may or may not have the reply, so a person decides."""
        stale = self.search([("state", "=", "sending"),
                             ("write_date", "<", fields.Datetime.now() - timedelta(minutes=minutes))])
        left = stale.filtered(lambda reply: reply.attempted_at and reply.sent_text)
        left._responso_write({"state": "verify", "send_at": fields.Datetime.now(), "error": _(
            "Interrupted while sending: the marketplace is checked for this reply before anything else.")})
        (stale - left)._responso_write({"state": "failed", "error": _(
            "Interrupted while sending: check in the conversation whether the buyer received this reply, then "
            "retry or cancel it.")})
        return bool(stale)

    def _responso_cancel(self, reason):
        self.filtered(lambda r: r.state in ("scheduled", "failed"))._responso_write(
            {"state": "cancelled", "cancel_reason": reason})

    @api.model
    def _responso_cancel_answered(self, record, message, reason):
        """A person answered in `record` (`message`): the replies still waiting for earlier buyer messages are
        needless; cancelled at once, with `reason`."""
        self.sudo().search([("res_model", "=", record._name), ("res_id", "=", record.id),
                            ("state", "=", "scheduled"), ("trigger_message_id", "<", message.id),
                            ("trigger_message_id.date", "<=", message.date)])._responso_cancel(reason)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_cancel(self):
        self.filtered(lambda r: r.state == "unknown")._responso_write(
            {"state": "cancelled", "cancel_reason": _("cancelled by %(user)s", user=self.env.user.name)})
        self._responso_cancel(_("cancelled by %(user)s", user=self.env.user.name))

    def action_retry(self):
        """Put failed replies back in the queue, due now. A reply that may have been sent (``unknown``) is sent
        again only from here: the person who presses Retry checked that the buyer does not have it."""
        failed = self.filtered(lambda r: r.state in ("failed", "unknown"))
        failed._responso_write({"state": "scheduled", "send_at": fields.Datetime.now(), "first_attempt_at": False})
        if failed:
            self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger()

    def action_mark_sent(self):
        """A person found the reply on the marketplace: it was sent."""
        self.filtered(lambda r: r.state == "unknown")._responso_write(
            {"state": "sent", "sent_at": fields.Datetime.now(), "error": False})
