import time
from bisect import bisect_right
from datetime import datetime, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..engine.explain import ReplayItem, replay
from ..engine.snapshot import facts_from_data, history_from_data, limits_from_data
from ..models.reason_labels import timezone_name

MAX_DAYS = 3650  # a replay reads the decisions of at most ten years (a larger number would overflow the date)

LISTED = 50  # messages listed per group (answered / not answered); the counts cover them all


class _Calendars:
    """Working time of the replayed period, computed once per (calendar, timezone) and looked up in memory: a
    replay reads no calendar per message."""

    def __init__(self, env, start, stop):
        self._env, self._start, self._stop, self._intervals = env, start, stop, {}

    def inside(self, key, moment):
        if key not in self._intervals:
            calendar_id, tz_name = key
            calendar = self._env["resource.calendar"].sudo().browse(calendar_id).exists()
            intervals = calendar._work_intervals_batch(
                self._start, self._stop, tz=pytz.timezone(tz_name))[False] if calendar else []
            self._intervals[key] = ([start for start, _stop, _meta in intervals],
                                    [stop for _start, stop, _meta in intervals])
        starts, stops = self._intervals[key]
        index = bisect_right(starts, moment) - 1
        return index >= 0 and moment < stops[index]


class _WorkingTime(dict):
    """One message's working-time facts: those the engine saw (stored), the others from the shared calendars (the
    edited workflow may ask about a calendar no workflow asked about then)."""

    def __init__(self, calendars, moment):
        super().__init__()
        self._calendars, self._moment = calendars, moment

    def __missing__(self, key):
        self[key] = value = self._calendars.inside(key, self._moment)
        return value


class ResponsoWorkflowReplayWizard(models.TransientModel):
    """Replay a workflow (as the form shows it, unsaved edits included) over the buyer messages of the last days:
    which it would have answered, which not and why, and how many replies per day. Nothing is stored or sent.

    Each message is judged by the engine alone on the inputs stored with its decision (facts, history, limits: what
    the hot path saw then), read in one query: `decide([spec], …)` per message, no query per message. The workflow
    is judged on its own: another workflow that answered first then does not stop it here, and throttling and caps
    count the replies really sent, not those this workflow would have added."""

    _name = "responso.workflow.replay.wizard"
    _inherit = ["responso.workflow.dry.run"]
    _description = "Replay an Autoresponder Workflow"

    days = fields.Integer("Last Days", default=7, required=True)
    message_count = fields.Integer("Buyer Messages", compute="_compute_result")
    answered_count = fields.Integer("Would Answer", compute="_compute_result")
    not_answered_count = fields.Integer("Would Not Answer", compute="_compute_result")
    reply_count = fields.Integer("Replies", compute="_compute_result",
                                 help="Messages answered times the workflow's actions that send a message.")
    duration = fields.Float("Replayed In (s)", compute="_compute_result", digits=(16, 2))
    per_day_html = fields.Html("Per Day", compute="_compute_result", sanitize=False)
    reasons_html = fields.Html("Why Not", compute="_compute_result", sanitize=False)
    answered_html = fields.Html("Answered", compute="_compute_result", sanitize=False)
    not_answered_html = fields.Html("Not Answered", compute="_compute_result", sanitize=False)

    @api.depends("workflow_id", "workflow_values", "days")
    @api.depends_context("lang")
    def _compute_result(self):
        for wizard in self:
            if not self.env.su and wizard.company_id not in self.env.user.company_ids:
                raise AccessError(_("You cannot replay the messages of the company %(company)s.",
                                    company=wizard.company_id.display_name))
            started = time.perf_counter()
            try:
                spec = wizard._responso_spec()
            except (UserError, ValueError) as exc:  # an unsaved workflow not complete yet (no timezone…)
                wizard.update({"message_count": 0, "answered_count": 0, "not_answered_count": 0, "reply_count": 0,
                               "duration": 0.0, "reasons_html": False, "answered_html": False,
                               "not_answered_html": False,
                               "per_day_html": wizard._responso_cells([(_(
                                   "The workflow cannot be replayed yet: %(error)s", error=exc),)])})
                continue
            summary, rows = wizard._responso_replay(spec, wizard.company_id.id, min(max(wizard.days, 0), MAX_DAYS))
            # only the actions that send a message queue a reply (tags, assignment, notes… do not)
            per_answer = len(wizard._responso_workflow().action_ids.filtered(
                lambda action: action.action_type == "send_message"))
            wizard.duration = time.perf_counter() - started
            wizard.message_count = summary.total
            wizard.answered_count = summary.answered
            wizard.not_answered_count = summary.not_answered
            wizard.reply_count = summary.answered * per_answer
            wizard._responso_render_summary(spec, summary, rows, per_answer)

    @api.model
    def _responso_replay(self, spec, company_id, days, now=None):
        """(ReplaySummary, {message id: stored row}) of `spec` over the company's buyer messages received in the last
        `days` that have a decision."""
        now = now or fields.Datetime.now()
        since = now - timedelta(days=days)
        self.env["responso.decision"].flush_model()
        # the buyer messages received in the period, by the time the engine judged them (in their stored facts):
        # one sequential read of the company's decisions, no other table
        received = SQL("(inputs -> 'facts' ->> 'received_at')::timestamptz")
        self.env.cr.execute(SQL(
            """SELECT message_id, conversation_id, inputs, workflow_name, answers
                 FROM responso_decision
                WHERE company_id = %s AND inputs IS NOT NULL AND %s >= %s AND %s <= %s
             ORDER BY %s, id""", company_id, received, pytz.utc.localize(since), received, pytz.utc.localize(now),
            received))
        rows = self.env.cr.fetchall()
        labels = self._responso_label_index()
        # messages judged before the workflow read the account's working hours: their account's calendar now
        account_calendars = self._responso_account_calendars(company_id) if spec.uses_account_calendar else {}
        calendars = _Calendars(self.env, pytz.utc.localize(since - timedelta(days=2)),
                               pytz.utc.localize(now + timedelta(days=2)))
        items = []
        for _message, _conversation, inputs, _name, _answers in rows:
            facts_data = inputs["facts"]
            facts_data = dict(facts_data, labels=[
                [kind, facts_data.get(kind), labels[kind][facts_data.get(kind)]]
                for kind in labels if facts_data.get(kind) in labels[kind]])
            if spec.uses_account_calendar and not facts_data.get("account_calendar"):
                facts_data["account_calendar"] = account_calendars.get(facts_data.get("account"))
            received_at = datetime.fromisoformat(facts_data["received_at"])
            items.append(ReplayItem(
                facts=facts_from_data(facts_data, working_time=_WorkingTime(calendars, received_at)),
                now=datetime.fromisoformat(inputs["now"]), history=history_from_data(inputs["history"]),
                limits=limits_from_data(inputs["limits"])))
        return replay(spec, items), {row[0]: row for row in rows}

    @api.model
    def _responso_account_calendars(self, company_id):
        """{account id (None: no account): id of its working-hours calendar} for the company's accounts."""
        company = self.env["res.company"].browse(company_id)
        accounts = self.env["responso.account"].sudo().with_context(active_test=False).search(
            [("company_id", "in", [company_id, False])])
        calendars = {account.id: account._responso_clock_calendar().id or None for account in accounts}
        calendars[None] = (company.responso_calendar_id or company.resource_calendar_id).id or None
        return calendars

    @api.model
    def _responso_label_index(self):
        """Names of every source, account and integration (a few rows): the reasons name the message's."""
        return {kind: {record.id: record.display_name
                       for record in self.env[model].sudo().with_context(active_test=False).search([])}
                for kind, model in (("source", "responso.source"), ("account", "responso.account"),
                                    ("integration", "responso.integration"))}

    def _responso_render_summary(self, spec, summary, rows, per_answer):
        Decision = self.env["responso.decision"]
        texts = {}
        self.per_day_html = self._responso_cells(
            [(format_date(self.env, day), answered, answered * per_answer, not_answered)
             for day, (answered, not_answered) in summary.per_day.items()],
            head=(_("Day (%(tz)s)", tz=timezone_name(self.env, spec.tz)), _("Would answer"), _("Replies"),
                  _("Would not answer")))
        examples = {}  # reason code -> the words of its first message, as an example
        for _message_id, decision in summary.decisions:
            if not decision.answers and decision.reason.code not in examples:
                examples[decision.reason.code] = Decision._responso_reason_text(
                    decision.reason.code, decision.reason.params, texts)
        self.reasons_html = self._responso_cells(
            [(examples[code], count) for code, count in summary.reasons.most_common()],
            head=(_("Reason (first message's words)"), _("Messages")))
        answered = [(message_id, decision) for message_id, decision in summary.decisions if decision.answers]
        not_answered = [(message_id, decision) for message_id, decision in summary.decisions if not decision.answers]
        shown = [message_id for message_id, _decision in answered[-LISTED:] + not_answered[-LISTED:]]
        conversations = {conversation.id: conversation.display_name for conversation in
                         self.env["responso.conversation"].browse(
                             {rows[m][1] for m in shown if rows[m][1]}).exists()}
        messages = {message.id: message for message in self.env["mail.message"].sudo().browse(shown).exists()}

        def row(message_id, decision):
            stored = rows[message_id]
            message = messages.get(message_id)
            at_the_time = stored[3] if stored[4] else _("not answered")
            return (format_date(self.env, message.date) if message else "", conversations.get(stored[1], ""),
                    (message.preview or "")[:80] if message else "",
                    Decision._responso_reason_text(decision.reason.code, decision.reason.params, texts),
                    at_the_time)

        head = (_("Date"), _("Conversation"), _("Message"), _("Reason"), _("At the time"))
        self.answered_html = self._responso_cells([row(*item) for item in reversed(answered[-LISTED:])], head)
        self.not_answered_html = self._responso_cells([row(*item) for item in reversed(not_answered[-LISTED:])],
                                                      head)


def replay_benchmark(env, workflow, days=30):
    """Replay `workflow` (a saved responso.workflow) over its company's decisions of the last `days`, as the Replay
    button does, and time it: {"messages", "answered", "seconds"}. For benchmarks/ (not a test): nothing is stored
    or sent, and the timing includes reading the decisions."""
    Wizard = env["responso.workflow.replay.wizard"]
    started = time.perf_counter()
    spec = workflow._responso_specs()[0]
    summary, _rows = Wizard._responso_replay(spec, workflow.company_id.id, days)
    return {"messages": summary.total, "answered": summary.answered, "seconds": time.perf_counter() - started}
