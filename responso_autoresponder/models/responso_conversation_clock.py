from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import create_index, format_datetime

CLOCK_STOP_REASONS = [
    ("answered", "A person answered"),
    ("no_answer_needed", "No answer needed"),
    ("closed", "Conversation closed"),
]
# A polled marketplace message from the seller's own account that is not one of our automatic replies (those are
# recognised by their external id before they are stored): the seller answered on the marketplace itself. The
# connectors store such messages as notes with this signal (engine/loop_guard_marketplace.py).
SELLER_ANSWER_SIGNALS = ("our own message", "author role SELLER")
# the clock's record of a buyer's wait: written by the autoresponder only
CLOCK_FIELDS = frozenset({
    "responso_clock_start", "responso_deadline", "responso_warn_at", "responso_clock_stopped_at",
    "responso_clock_stop_reason", "responso_clock_stopped_by_id", "responso_clock_warned",
})


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoConversation(models.Model):
    """The marketplace response clock: the deadline for a person's answer, counted from the first unanswered buyer
    message (docs/marketplace-contract.md M5: automatic replies do not count as an answer)."""

    _inherit = "responso.conversation"

    responso_clock_start = fields.Datetime(
        "Waiting Since", readonly=True, copy=False, index=True,
        help="Date of the first buyer message no person has answered yet.")
    responso_deadline = fields.Datetime(
        "Answer Due", readonly=True, copy=False, index=True,
        help="A person must answer the buyer by then (the account's response time; Amazon: 24 hours, weekends and "
             "holidays included). Automatic replies do not stop the clock.")
    responso_warn_at = fields.Datetime("Warn At", readonly=True, copy=False, index=True)
    responso_clock_stopped_at = fields.Datetime("Clock Stopped", readonly=True, copy=False, index=True)
    responso_clock_stop_reason = fields.Selection(
        CLOCK_STOP_REASONS, string="Clock Stop Reason", readonly=True, copy=False, index=True)
    # indexed: every partner deleted (or merged) looks up the conversations pointing at it
    responso_clock_stopped_by_id = fields.Many2one("res.partner", string="Clock Stopped By", readonly=True,
                                                   copy=False, index="btree_not_null")
    responso_clock_warned = fields.Boolean("Deadline Warning Sent", readonly=True, copy=False)
    responso_clock_state = fields.Selection(
        [("none", "No answer awaited"), ("running", "Awaiting an answer"), ("due_soon", "Due soon"),
         ("overdue", "Overdue"), ("stopped", "Clock stopped")],
        string="Response Clock", compute="_compute_responso_clock_state")
    responso_due_soon = fields.Boolean("Due Soon", compute="_compute_responso_clock_state",
                                       search="_search_responso_due_soon")
    responso_overdue = fields.Boolean("Overdue", compute="_compute_responso_clock_state",
                                      search="_search_responso_overdue")
    responso_clock_summary = fields.Char("Response Clock Summary", compute="_compute_responso_clock_summary")
    responso_answer_by = fields.Char(
        "Answer By", compute="_compute_responso_answer_by",
        help="The answer deadline in words, in the reader's language and the timezone of the account's working "
             "hours (public holidays skipped): a placeholder for automatic replies.")

    # ------------------------------------------------------------------
    # State, filters, summary
    # ------------------------------------------------------------------
    @api.depends("responso_clock_start", "responso_deadline", "responso_warn_at", "responso_clock_stopped_at")
    def _compute_responso_clock_state(self):
        now = fields.Datetime.now()
        for conversation in self:
            if conversation.responso_clock_stopped_at:
                state = "stopped"
            elif not conversation.responso_deadline:
                state = "none"
            elif conversation.responso_deadline < now:
                state = "overdue"
            elif conversation.responso_warn_at and conversation.responso_warn_at <= now:
                state = "due_soon"
            else:
                state = "running"
            conversation.responso_clock_state = state
            conversation.responso_due_soon = state == "due_soon"
            conversation.responso_overdue = state == "overdue"

    def _responso_clock_search(self, domain, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Operation not supported"))
        domain = expression.AND([[("responso_clock_stopped_at", "=", False)], domain])
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    def _search_responso_due_soon(self, operator, value):
        now = fields.Datetime.now()
        return self._responso_clock_search(
            [("responso_warn_at", "<=", now), ("responso_deadline", ">=", now)], operator, value)

    def _search_responso_overdue(self, operator, value):
        return self._responso_clock_search([("responso_deadline", "<", fields.Datetime.now())], operator, value)

    @api.depends("responso_clock_start", "responso_deadline", "responso_clock_stopped_at",
                 "responso_clock_stop_reason", "responso_clock_stopped_by_id", "account_id")
    @api.depends_context("lang", "tz")
    def _compute_responso_clock_summary(self):
        tz = self.env.context.get("tz") or self.env.user.tz or self.env.company.responso_tz or False
        for conversation in self:
            def when(value, tz=tz):
                return format_datetime(self.env, value, tz=tz, dt_format="short")
            if conversation.responso_clock_stopped_at:
                reason = dict(self._fields["responso_clock_stop_reason"]._description_selection(self.env)).get(
                    conversation.responso_clock_stop_reason, "")
                who = conversation.responso_clock_stopped_by_id.display_name
                summary = self.env._("The response clock stopped on %(date)s: %(reason)s (%(who)s).",
                                     date=when(conversation.responso_clock_stopped_at), reason=reason,
                                     who=who) if who else self.env._(
                    "The response clock stopped on %(date)s: %(reason)s.",
                    date=when(conversation.responso_clock_stopped_at), reason=reason)
            elif conversation.responso_deadline:
                summary = self.env._(
                    "A person must answer by %(deadline)s (waiting since %(start)s). Automatic replies do not "
                    "stop the clock.", deadline=when(conversation.responso_deadline),
                    start=when(conversation.responso_clock_start))
            else:
                summary = self.env._("No buyer message is waiting for a person's answer.")
            conversation.responso_clock_summary = summary

    @api.depends("responso_deadline", "responso_clock_stopped_at", "account_id")
    @api.depends_context("lang")
    def _compute_responso_answer_by(self):
        for conversation in self:
            deadline = not conversation.responso_clock_stopped_at and conversation.responso_deadline
            if not deadline:
                conversation.responso_answer_by = False
                continue
            account = conversation.account_id.sudo()
            tz = ((account._responso_clock_calendar().tz if account else False)
                  or conversation.company_id.responso_tz or "UTC")
            conversation.responso_answer_by = format_datetime(self.env, deadline, tz=tz,
                                                              dt_format="EEEE d MMMM, HH:mm")

    @api.model
    def mail_allowed_qweb_expressions(self):
        return super().mail_allowed_qweb_expressions() + ("object.responso_answer_by",)

    # ------------------------------------------------------------------
    # Starting and stopping: O(1) work per message, from fields the post already read
    # ------------------------------------------------------------------
    def _responso_post_columns(self, message, msg_values):
        # the clock starts in the conversation's one UPDATE per message, before the autoresponder applies any
        # action (a "no answer needed" workflow on the first message stops a clock that runs)
        columns = super()._responso_post_columns(message, msg_values)
        if msg_values.get("responso_kind") == "buyer":
            columns.update(self._responso_clock_start_columns(message))
        return columns

    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        if (len(self) == 1 and msg_values.get("responso_kind") not in ("buyer", "auto_reply")
                and self.responso_clock_start and not self.responso_clock_stopped_at
                and (self._responso_is_agent_answer(msg_values) or self._responso_is_seller_answer(msg_values))):
            # a person's public answer (never an automatic reply, a note or a notification)
            if message.date >= self.responso_clock_start:
                self._responso_clock_stop("answered", message.date, message.author_id)
        return res

    def _responso_is_seller_answer(self, msg_values):
        signal = msg_values.get("responso_auto_signal") or ""
        return bool(msg_values.get("responso_external_id")) and any(
            marker in signal for marker in SELLER_ANSWER_SIGNALS)

    def _responso_clock_start_columns(self, message):
        """A buyer message starts the clock unless one runs already (the first unanswered message counts). The
        deadline is planned in the account's working hours from the registry cache: no query."""
        if self.responso_clock_start and not self.responso_clock_stopped_at:
            return {}
        start = min(message.date, fields.Datetime.now())  # a sender's clock may run ahead
        if self.responso_clock_stopped_at and start <= self.responso_clock_stopped_at:
            return {}  # polled late: a person answered after it already
        deadline, warn_at = self.env["responso.account"]._responso_clock_plan(
            self.account_id.id, self.company_id.id, start)
        # the warning job runs every few minutes: no trigger row per conversation
        return {"responso_clock_start": start, "responso_deadline": deadline, "responso_warn_at": warn_at,
                "responso_clock_stopped_at": None, "responso_clock_stop_reason": None,
                "responso_clock_stopped_by_id": None, "responso_clock_warned": False}

    def _responso_clock_stop(self, reason, at=None, partner=None):
        running = self.filtered(lambda c: c.responso_clock_start and not c.responso_clock_stopped_at)
        if not running:
            return
        running.sudo().write({
            "responso_clock_stopped_at": at or fields.Datetime.now(),
            "responso_clock_stop_reason": reason,
            "responso_clock_stopped_by_id": (partner or self.env.user.partner_id).id,
        })
        warned = running.filtered("responso_clock_warned")
        if warned:
            # the warning is moot: the activity goes
            activity_type = self.env.ref("responso_autoresponder.mail_activity_responso_answer_due")
            self.env["mail.activity"].sudo().search([
                ("res_model", "=", self._name), ("res_id", "in", warned.ids),
                ("activity_type_id", "=", activity_type.id)]).unlink()

    def action_responso_no_answer_needed(self):
        """Stop the response clock: this conversation needs no answer from a person."""
        self._responso_clock_stop("no_answer_needed")
        return True

    def _responso_action_no_answer_needed(self, action, message):
        # the workflow action "mark no answer needed" stops the clock too
        res = super()._responso_action_no_answer_needed(action, message)
        self.action_responso_no_answer_needed()
        return res

    def write(self, vals):
        # the answer-time record is the autoresponder's (it writes it as superuser): an agent cannot rewrite when a
        # buyer started waiting or who answered
        kept = sorted(CLOCK_FIELDS.intersection(vals))
        if kept and not self.env.su:
            raise AccessError(self.env._("The response clock is kept by the autoresponder: %(fields)s.",
                                         fields=", ".join(kept)))
        if vals.get("state") == "closed":
            self._responso_clock_stop("closed")
        return super().write(vals)

    # ------------------------------------------------------------------
    # Warning the account's team before the deadline
    # ------------------------------------------------------------------
    def init(self):
        res = super().init()
        # the warning job's query (_responso_clock_warn_domain, in deadline order): the running clocks not yet warned,
        # a few rows however many conversations have ever been answered or warned (a scan of them all otherwise)
        create_index(self.env.cr, "responso_conversation_clock_to_warn_idx", self._table,
                     ["responso_deadline", "id"],
                     where="responso_clock_stopped_at IS NULL AND responso_deadline IS NOT NULL AND "
                           "(responso_clock_warned IS NULL OR responso_clock_warned = false) AND state = 'open'")
        return res

    def _responso_clock_warn_domain(self):
        return [("responso_clock_stopped_at", "=", False), ("responso_deadline", "!=", False),
                ("responso_warn_at", "<=", fields.Datetime.now()), ("responso_clock_warned", "=", False),
                ("state", "=", "open")]

    @api.model
    def _cron_responso_warn_deadlines(self, limit=500):
        """One activity per conversation whose deadline is near (or past) for the account's agent; marked warned,
        so that a re-run, or an activity done before the answer, never makes another."""
        conversations = self.search(self._responso_clock_warn_domain(), order="responso_deadline, id", limit=limit)
        for conversation in conversations:
            user = conversation.account_id._responso_warn_user()
            if not user:
                continue
            env = conversation.with_context(lang=user.lang or self.env.lang).env
            tz = user.tz or conversation.company_id.responso_tz or "UTC"
            deadline = format_datetime(env, conversation.responso_deadline, tz=tz, dt_format="short")
            conversation.activity_schedule(
                "responso_autoresponder.mail_activity_responso_answer_due",
                date_deadline=fields.Datetime.context_timestamp(
                    conversation.with_context(tz=tz), conversation.responso_deadline).date(),
                summary=env._("Answer the buyer by %(deadline)s", deadline=deadline),
                user_id=user.id)
        conversations.sudo().write({"responso_clock_warned": True})
        remaining = self.search_count(self._responso_clock_warn_domain()) if len(conversations) == limit else 0
        self.env["ir.cron"]._notify_progress(done=len(conversations), remaining=remaining)
