from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, create_index

from ..engine import Reason, decide
from ..engine.snapshot import facts_from_data, history_from_data, limits_from_data
from . import workflow_days_sql
from .reason_labels import ReaderLabels

# A decision's outcome (the reason of the message as a whole), named as the Decisions log groups it: the engine's codes
# (engine/index.py Outcome.reason, engine/throttle.py guards) and "error" (the hook failed; the message is kept)
OUTCOMES = [
    ("matched", "Answered"),
    ("no_match", "No workflow applies"),
    ("actions_applied", "Actions applied, no answer"),
    ("throttled", "Throttled"),
    ("conversation_cap", "Conversation cap"),
    ("account_cap", "Account cap"),
    ("automatic_message", "Automatic message"),
    ("held_for_human", "Held for a human"),
    ("too_old", "Too old"),
    ("account_paused", "Account paused"),
    ("buyer_bounced", "Bounced address"),
    ("error", "Error"),
]


class ResponsoDecision(models.Model):
    """What the autoresponder did with one buyer message, and why: one row per message, whatever the number of
    workflows.

    The row keeps the outcome (which workflow answers and when, or why none does), the sending workflows whose
    conditions also held (skipped: one answer per message), the workflows that send no message and applied their
    actions (tags, assignment, status, note…: they never take the answer), and the engine's inputs (facts,
    history, limits) with the snapshot of the workflows it saw. Every workflow's reason is rebuilt from those by
    running the engine again (`_responso_lines`), word for word, even after the workflows were edited."""

    _name = "responso.decision"
    _description = "Autoresponder Decision"
    _order = "id desc"
    _rec_name = "reason"

    message_id = fields.Many2one("mail.message", string="Buyer Message", required=True, index=True,
                                 ondelete="cascade", readonly=True)
    res_model = fields.Char("Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference("Document", model_field="res_model", required=True, readonly=True)
    conversation_id = fields.Many2one("responso.conversation", index="btree_not_null", readonly=True,
                                      ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    # indexed with the date in init(): per workflow, by day
    workflow_id = fields.Many2one("responso.workflow",
                                  ondelete="set null", readonly=True, context={"active_test": False},
                                  help="The workflow that answers (or that a guard stopped).")
    workflow_name = fields.Char(readonly=True,
                                help="Kept when the workflow is renamed or deleted.")
    answers = fields.Boolean("Answered", readonly=True)
    send_at = fields.Datetime("Reply Due", readonly=True)
    reason_code = fields.Selection(OUTCOMES, string="Outcome", required=True, readonly=True)
    reason_params = fields.Json(readonly=True)
    reason = fields.Char(compute="_compute_reason")
    skipped_workflow_ids = fields.Json(
        "Skipped Workflows", readonly=True,
        help="Ids of the workflows whose conditions held too, but that did not answer: one answer per message.")
    skipped_workflow_id = fields.Many2one(
        "responso.workflow", compute="_compute_skipped_workflow_id",
        search="_search_skipped_workflow_id", context={"active_test": False},
        help="Search only: the decisions that list this workflow among the skipped ones (a workflow's Skipped "
             "button).")
    applied_workflow_ids = fields.Json(
        "Workflows Applied", readonly=True,
        help="Ids of the workflows that send no message whose conditions held: their actions (tags, assignment, "
             "status, note, \"no answer needed\") were applied, and the answer was left to the sending workflows.")
    applied_names = fields.Char("Actions Applied By", compute="_compute_applied_names",
                                help="The workflows that send no message and applied their actions to this message.")
    workflow_count = fields.Integer("Active Workflows", readonly=True)
    evaluated_count = fields.Integer("Evaluated Workflows", readonly=True,
                                     help="Workflows that could apply to the message's account, source and "
                                          "integration; the others were ruled out by the index.")
    snapshot_key = fields.Char(readonly=True, help="The workflows as they were when deciding.")
    inputs = fields.Json(readonly=True, help="What the engine saw: the message's facts, history and limits.")
    legacy_lines = fields.Json(readonly=True, help="Per-workflow reasons of decisions made before version 1.1.")
    explanation_html = fields.Html("Every Workflow", compute="_compute_explanation_html", sanitize=False)

    def init(self):
        res = super().init()
        # a workflow's decisions by date (its counters of the last 30 days, its last answer), and the ON DELETE SET
        # NULL of a deleted workflow; it replaces the column's own index
        self.env.cr.execute("DROP INDEX IF EXISTS responso_decision__workflow_id_index")
        create_index(self.env.cr, "responso_decision_workflow_date_idx", self._table,
                     ["workflow_id", "create_date", "answers"], where="workflow_id IS NOT NULL")
        # the skipped and applied lists, per workflow and day (workflow_days_sql)
        workflow_days_sql.create(self.env.cr)
        return res

    @api.model
    def _reason_texts(self):
        """The engine's reason templates, in the reader's language (same codes and placeholders)."""
        return {
            "matched": _("all conditions hold (%(count)s)"),
            "no_match": _("no workflow applies (%(count)s active)"),
            "not_one_of": _("%(subject)s %(actual)s is not one of %(expected)s"),
            "one_of_excluded": _("%(subject)s %(actual)s is one of the excluded %(expected)s"),
            "not_first_message": _("not the first message of this buyer to this account"),
            "weekday_not_in": _("%(actual)s is not one of %(expected)s (%(tz)s)"),
            "weekday_excluded": _("%(actual)s is one of the excluded days %(expected)s (%(tz)s)"),
            "outside_window": _("%(actual)s is outside %(expected)s (%(tz)s)"),
            "inside_window": _("%(actual)s is inside the excluded window %(expected)s (%(tz)s)"),
            "outside_working_hours": _("%(actual)s is outside the working hours of %(expected)s (%(tz)s)"),
            "inside_working_hours": _("%(actual)s is inside the working hours of %(expected)s (%(tz)s)"),
            "contains_none": _("%(subject)s contains none of %(expected)s"),
            "contains_excluded": _("%(subject)s contains the excluded “%(found)s”"),
            "not_new_conversation": _("the message does not open a new conversation"),
            "new_conversation": _("the message opens a new conversation"),
            "not_return": _("the conversation is not a return or post-purchase issue"),
            "return_thread": _("the conversation is a return or post-purchase issue"),
            "tag_not_set": _("none of the tags %(expected)s is set"),
            "tag_set": _("the excluded tag %(found)s is set"),
            "no_previous_message": _("no earlier message of the buyer in this conversation"),
            "last_response_not_older": _(
                "the buyer last wrote %(minutes)s min ago, not more than %(expected)s min ago"),
            "last_response_not_newer": _(
                "the buyer last wrote %(minutes)s min ago, not less than %(expected)s min ago"),
            "already_answered": _("another workflow answers this message: %(workflow)s"),
            "first_held_back": _("%(workflow)s comes first and was held back (throttling or a cap): one answer per "
                                 "message, none this time"),
            "applied": _("all conditions hold (%(count)s): its actions apply; it sends no message, the answer is "
                         "left to others"),
            "actions_applied": _("no workflow sends an answer; actions applied by %(workflows)s"),
            "no_action": _("the workflow has no action"),
            "automatic_message": _("automatic message: %(signal)s"),
            "held_for_human": _("held for a human: %(reason)s"),
            "too_old": _("received %(hours)s h ago: too old for an automatic answer"),
            "account_paused": _("automatic replies of this account are paused"),
            "buyer_bounced": _("our automatic replies to this address bounced (no automatic reply until %(until)s)"),
            "throttled": _(
                "throttled: this buyer got an automatic reply on this account %(minutes)s min ago; this workflow "
                "answers at most once every %(interval)s min (change it under the workflow's conditions: "
                "\"Change: every … minutes\", 0 = no limit)"),
            "conversation_cap": _("cap reached: %(count)s in 24 h in this conversation"),
            "account_cap": _("cap reached: %(count)s in 1 h on this account"),
            "too_long": _("message of %(length)s characters, %(channel)s accepts %(limit)s"),
            "contact_details": _("%(channel)s forbids contact details and links in buyer messages: %(found)s"),
            "error": _("autoresponder error: %(error)s"),
        }

    def _responso_reason_cache(self, cache=None):
        """The lookup tables of `_responso_reason_text` (filled once per reader)."""
        cache = cache if cache is not None else {}
        if "texts" not in cache:
            cache["texts"] = self._reason_texts()
            cache["kinds"] = dict(
                self.env["responso.workflow.condition"]._fields["kind"]._description_selection(self.env))
            cache["labels"] = ReaderLabels(self.env)
        return cache

    def _responso_reason_text(self, code, params, _cache=None):
        """A reason in the reader's language, its labels too (names, days, timezone); `_cache` keeps the lookup
        tables across many reasons."""
        cache = self._responso_reason_cache(_cache)
        params = cache["labels"].relabel(code, params or {})
        if code == "held_for_human":
            params["reason"] = self.env["responso.conversation"]._responso_hold_text(params)
        if "subject" in params:
            params["subject"] = cache["kinds"].get(params["subject"], params["subject"])
        return Reason(code, params).text(cache["texts"])

    def _compute_skipped_workflow_id(self):
        self.skipped_workflow_id = False  # a list, searched through its index: see skipped_workflow_ids

    def _search_skipped_workflow_id(self, operator, value):
        """Decisions that skipped the given workflows (ids, or a name as typed in the search bar), through the index
        by workflow; the negative operators give the other decisions."""
        positive = {"=": "in", "in": "in", "ilike": "in", "=ilike": "in", "like": "in"}
        negative = {"!=": "not in", "not in": "not in", "not ilike": "not in", "not like": "not in"}
        if operator not in positive and operator not in negative:
            raise UserError(_("Decisions cannot be searched by skipped workflow with the operator %(operator)s.",
                              operator=operator))
        values = value if isinstance(value, (list, tuple)) else [value]
        if values == [False]:  # "is set" / "is not set"
            return [("skipped_workflow_ids", "!=" if operator in negative else "=", False)]
        # ids an int4 column can hold: a larger number from a client is no workflow, not a database error
        ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31}
        names = [v for v in values if isinstance(v, str) and v][:100]
        if names:
            Workflow = self.env["responso.workflow"].with_context(active_test=False)
            ids.update(Workflow._search(expression.OR([[("name", "ilike", name)] for name in names])))
        listing = SQL("(SELECT d.id FROM responso_decision d JOIN unnest(%s::int[]) AS w(id) ON %s)", sorted(ids),
                      workflow_days_sql.listed("skipped_workflow_ids", SQL("w.id")))
        return [("id", positive.get(operator) or negative[operator], listing)]

    @api.depends("reason_code", "reason_params")
    @api.depends_context("lang")
    def _compute_reason(self):
        cache = {}
        for decision in self:
            decision.reason = self._responso_reason_text(decision.reason_code, decision.reason_params, cache)

    @api.depends("applied_workflow_ids")
    def _compute_applied_names(self):
        Workflow = self.env["responso.workflow"].sudo().with_context(active_test=False)
        for decision in self:
            ids = [wid for wid in decision.applied_workflow_ids or [] if isinstance(wid, int)]
            names = {workflow.id: workflow.name for workflow in Workflow.browse(ids).exists()}
            decision.applied_names = ", ".join(names.get(wid, f"#{wid}") for wid in ids) or False

    @api.model
    def _responso_migrate_legacy_rows(self):
        """Version 1.0 stored one row per workflow and message: fold them into one row per message, keeping
        every workflow's line as it was written (upgrade to 1.1)."""
        self.env.cr.execute(SQL(
            """WITH legacy AS (
                   SELECT * FROM responso_decision WHERE inputs IS NULL AND legacy_lines IS NULL
               ), grouped AS (
                   SELECT message_id,
                          jsonb_agg(jsonb_build_object(
                              'workflow_id', workflow_id, 'workflow_name', workflow_name, 'answers', answers,
                              'reason_code', reason_code, 'reason_params', reason_params, 'send_at', NULL)
                              ORDER BY id) AS lines,
                          COALESCE(min(id) FILTER (WHERE answers),
                                   min(id) FILTER (WHERE reason_code IN %(stopped)s), min(id)) AS keep_id,
                          jsonb_agg(workflow_id ORDER BY id)
                              FILTER (WHERE reason_code = 'already_answered' AND workflow_id IS NOT NULL) AS skipped,
                          count(*) AS workflows,
                          bool_or(answers OR reason_code IN %(stopped)s) AS chosen,
                          count(DISTINCT reason_code) = 1 AND min(reason_code) IN %(message_level)s AS blocked
                     FROM legacy GROUP BY message_id
               ), folded AS (
                   UPDATE responso_decision d
                      SET legacy_lines = g.lines, skipped_workflow_ids = g.skipped,
                          workflow_count = g.workflows, evaluated_count = g.workflows,
                          workflow_id = CASE WHEN g.chosen THEN d.workflow_id END,
                          workflow_name = CASE WHEN g.chosen THEN d.workflow_name END,
                          reason_code = CASE WHEN g.chosen OR g.blocked THEN d.reason_code ELSE 'no_match' END,
                          reason_params = CASE WHEN g.chosen OR g.blocked THEN d.reason_params
                                               ELSE jsonb_build_object('count', g.workflows) END
                     FROM grouped g
                    WHERE d.id = g.keep_id
                RETURNING d.id
               )
               DELETE FROM responso_decision d
                USING legacy
                WHERE d.id = legacy.id AND d.id NOT IN (SELECT id FROM folded)""",
            stopped=("throttled", "conversation_cap", "account_cap"),
            message_level=("automatic_message", "held_for_human", "too_old", "account_paused", "buyer_bounced")))
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Every workflow's reason, rebuilt
    # ------------------------------------------------------------------
    def _responso_lines(self):
        """One dict per workflow active at the time, in sequence order: workflow_id, workflow_name, answers,
        applied (its actions applied without sending), reason_code, reason_params, send_at. Rebuilt by running the
        engine on the stored inputs."""
        self.ensure_one()
        if self.legacy_lines:
            return [dict(line) for line in self.legacy_lines]
        if not self.inputs or not self.snapshot_key:
            return []
        try:
            specs = self.env["responso.workflow.snapshot"]._responso_specs(self.snapshot_key, self.company_id.id)
        except KeyError:
            return []
        data = self.inputs
        received_at = datetime.fromisoformat(data["facts"]["received_at"])
        facts_data = dict(data["facts"], labels=self._responso_labels(data["facts"]))
        facts = facts_from_data(facts_data, working_time=_WorkingTime(self.env, received_at))
        now = datetime.fromisoformat(data["now"])
        decisions = decide(specs, facts, now, history_from_data(data["history"]), limits_from_data(data["limits"]))
        names = {spec.id: spec.name for spec in specs}
        return [{"workflow_id": d.workflow_id, "workflow_name": names[d.workflow_id], "answers": d.answers,
                 "applied": d.applied, "reason_code": d.reason.code, "reason_params": d.reason.params,
                 "send_at": d.send_at}
                for d in decisions]

    def _responso_labels(self, facts_data):
        """Names of the message's source, account, integration, status and account's calendar, as the reasons show
        them."""
        labels = []
        for kind, model in (("source", "responso.source"), ("account", "responso.account"),
                            ("integration", "responso.integration"), ("status", "responso.conversation.status"),
                            ("working_hours", "resource.calendar")):
            key = "account_calendar" if kind == "working_hours" else kind
            if facts_data.get(key):
                record = self.env[model].sudo().with_context(active_test=False).browse(facts_data[key]).exists()
                labels.append([kind, facts_data[key], record.display_name if record else f"#{facts_data[key]}"])
        return labels

    @api.depends("inputs", "legacy_lines", "snapshot_key")
    @api.depends_context("lang")
    def _compute_explanation_html(self):
        for decision in self:
            lines = decision._responso_lines()
            cache = self._responso_reason_cache()
            # workflow names as compiled (in the company's language), in the reader's
            cache["labels"].workflow_ids = {line["workflow_id"] for line in lines if line["workflow_id"]}
            rows = [(cache["labels"].workflow(line["workflow_name"]), line["answers"],
                     self._responso_reason_text(line["reason_code"], line["reason_params"], cache),
                     line.get("applied", False))
                    for line in lines]
            decision.explanation_html = self.env["ir.qweb"]._render(
                "responso_autoresponder.responso_decision_explanation", {"rows": rows}) if rows else False


class _WorkingTime(dict):
    """Working-time facts that the hot path did not need (workflows ruled out by the index), computed on demand
    from the calendar when a decision is explained."""

    def __init__(self, env, moment):
        super().__init__()
        self._env = env
        self._moment = moment

    def __missing__(self, key):
        calendar_id, tz_name = key
        calendar = self._env["resource.calendar"].sudo().browse(calendar_id).exists()
        value = bool(calendar) and calendar._responso_is_working_time(self._moment, tz_name)
        self[key] = value
        return value

