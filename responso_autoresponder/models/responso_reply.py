import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

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
    buyer_id = fields.Many2one("res.partner", readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    workflow_id = fields.Many2one("responso.workflow", index=True, ondelete="set null", readonly=True,
                                  context={"active_test": False})
    workflow_name = fields.Char("Workflow Name", required=True, readonly=True)
    action_id = fields.Many2one("responso.workflow.action", ondelete="set null", readonly=True)
    sequence = fields.Integer(readonly=True, help="Order of the workflow's actions.")
    state = fields.Selection(STATES, default="scheduled", required=True, readonly=True, index=True)
    send_at = fields.Datetime("Due", required=True, readonly=True, index=True)
    sent_at = fields.Datetime("Sent On", readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    cancel_reason = fields.Char(readonly=True)
    reply_message_id = fields.Many2one("mail.message", string="Reply", readonly=True, ondelete="set null")

    _sql_constraints = [
        ("action_message_unique", "UNIQUE(action_id, trigger_message_id)",
         "A workflow action answers a buyer message at most once."),
    ]

    # ------------------------------------------------------------------
    # Queueing (called from the buyer message hook)
    # ------------------------------------------------------------------
    @api.model
    def _responso_apply_decisions(self, record, message, workflows, decisions):
        """Store every decision with its reason, queue the winner's actions, and wake the sender."""
        by_id = {workflow.id: workflow for workflow in workflows}
        conversation_id = record.id if record._name == "responso.conversation" else False
        company = record._responso_company()
        common = {"res_model": record._name, "res_id": record.id, "conversation_id": conversation_id,
                  "company_id": company.id}
        self.env["responso.decision"].create([
            dict(common, message_id=message.id, workflow_id=decision.workflow_id,
                 workflow_name=by_id[decision.workflow_id].name, answers=decision.answers,
                 reason_code=decision.reason.code, reason_params=decision.reason.params)
            for decision in decisions
        ])
        replies_vals = [
            dict(common, trigger_message_id=message.id, workflow_id=decision.workflow_id,
                 workflow_name=by_id[decision.workflow_id].name, action_id=action.id, sequence=action.sequence,
                 buyer_id=record._responso_buyer().id,
                 send_at=fields.Datetime.to_datetime(decision.send_at.replace(tzinfo=None)))
            for decision in decisions if decision.answers
            for action in by_id[decision.workflow_id].action_ids
        ]
        if not replies_vals:
            return self
        replies = self.create(replies_vals)
        self.env.ref("responso_autoresponder.ir_cron_send_due_replies")._trigger_list(
            sorted({vals["send_at"] for vals in replies_vals}))
        return replies

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_due(self, batch_size=50):
        """Send the replies that are due, a batch at a time (ir.cron runs us again while some remain)."""
        now = fields.Datetime.now()
        self.flush_model(["state", "send_at", "sequence"])
        self.env.cr.execute(SQL(
            """SELECT id FROM responso_reply
                WHERE state = 'scheduled' AND send_at <= %s
             ORDER BY send_at, sequence, id
                LIMIT %s
           FOR NO KEY UPDATE SKIP LOCKED""", now, batch_size))
        replies = self.browse([row[0] for row in self.env.cr.fetchall()])
        for reply in replies:
            reply._responso_send()
        remaining = self.search_count([("state", "=", "scheduled"), ("send_at", "<=", now)])
        self.env["ir.cron"]._notify_progress(done=len(replies), remaining=remaining)
        return replies

    def _responso_send(self):
        """Send one claimed reply. Checked again now: the workflow may have been disabled, the conversation
        closed, or an agent may have answered while the reply waited."""
        self.ensure_one()
        if self.state != "scheduled":  # re-read under the row lock: another worker got it first
            return
        record = self.env[self.res_model].browse(self.res_id).exists()
        cancel = self._responso_cancel_reason(record)
        if cancel:
            self._responso_cancel(cancel)
            return
        self.write({"state": "sending", "attempts": self.attempts + 1})
        try:
            with self.env.cr.savepoint():
                body = self.action_id._responso_render(record, record._responso_reply_lang())
                message = record._responso_deliver_reply(body, self)
        except UserError as exc:
            self.write({"state": "failed", "error": str(exc)})
            _logger.info("Automatic reply %s failed: %s", self.id, exc)
            return
        except Exception as exc:  # noqa: BLE001 - any failure is kept on the row for an agent to see
            self.write({"state": "failed", "error": repr(exc)})
            _logger.exception("Automatic reply %s failed", self.id)
            return
        self.write({"state": "sent", "sent_at": fields.Datetime.now(), "reply_message_id": message.id,
                    "error": False})

    def _responso_cancel_reason(self, record):
        if not record:
            return _("the conversation was deleted")
        if not self.workflow_id.active:
            return _("the workflow was disabled or deleted")
        if not self.action_id:
            return _("the action was deleted")
        if not record._responso_is_open():
            return _("the conversation was closed")
        if self._responso_agent_answered(record):
            return _("an agent answered meanwhile")
        return False

    def _responso_agent_answered(self, record):
        """A public message after the buyer's, written by someone other than the buyer or us."""
        buyer = record._responso_buyer()
        return bool(self.env["mail.message"].sudo().search_count([
            ("model", "=", record._name), ("res_id", "=", record.id),
            ("id", ">", self.trigger_message_id.id),
            ("message_type", "in", ("comment", "email")),
            ("subtype_id.internal", "=", False),
            ("responso_kind", "=", False),
            ("author_id", "!=", buyer.id),
        ], limit=1))

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
