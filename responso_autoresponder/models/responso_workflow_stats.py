"""A workflow's counters (the form's stat buttons, the Workflows list's columns), read with indexes: the list's
columns (last 30 days, last triggered) read the rows of their days, however long the past."""

from datetime import timedelta

from odoo import _, fields, models
from odoo.tools import SQL

from .workflow_days_sql import listed

WINDOW_DAYS = 30


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoWorkflow(models.Model):
    _inherit = "responso.workflow"

    def _responso_stat_rows(self, query):
        """{workflow id: the row's other columns} of `query` (SQL over ``w.id``, the ids of self)."""
        ids = [workflow.id for workflow in self if workflow.id]
        if not ids:
            return {}
        self.env["responso.decision"].flush_model(["workflow_id", "answers", "skipped_workflow_ids",
                                                   "applied_workflow_ids", "create_date"])
        self.env.cr.execute(SQL("SELECT w.id, %s FROM unnest(%s::int[]) AS w(id)", query, ids))
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _compute_stats(self):
        """Sent: replies delivered. Skipped: messages whose conditions this sending workflow met without answering
        (another workflow answered first, or throttling / a cap stopped it). Applied: messages a workflow that sends
        no message applied its actions to (neither sent nor skipped). All time."""
        ids = [workflow.id for workflow in self if workflow.id]
        sent = dict(self.env["responso.reply"].sudo()._read_group(
            [("workflow_id", "in", ids), ("state", "=", "sent")], ["workflow_id"], ["__count"]))
        stopped = dict(self.env["responso.decision"].sudo()._read_group(
            [("workflow_id", "in", ids), ("answers", "=", False)], ["workflow_id"], ["__count"]))
        listed_counts = self._responso_stat_rows(SQL(
            "(SELECT count(*) FROM responso_decision d WHERE %s), (SELECT count(*) FROM responso_decision d WHERE %s)",
            listed("skipped_workflow_ids", SQL("w.id")), listed("applied_workflow_ids", SQL("w.id"))))
        for workflow in self:
            skipped_after, applied = listed_counts.get(workflow.id, (0, 0))
            workflow.sent_count = sent.get(workflow, 0)
            workflow.skipped_count = stopped.get(workflow, 0) + skipped_after
            workflow.applied_count = applied

    def _compute_stats_30(self):
        """The Sent and Skipped counters over the last 30 days (as the statistics count them)."""
        ids = [workflow.id for workflow in self if workflow.id]
        now = fields.Datetime.now()
        since = now - timedelta(days=WINDOW_DAYS)
        sent = dict(self.env["responso.reply"].sudo()._read_group(
            [("workflow_id", "in", ids), ("state", "=", "sent"), ("sent_at", ">=", since)],
            ["workflow_id"], ["__count"]))
        stopped = dict(self.env["responso.decision"].sudo()._read_group(
            [("workflow_id", "in", ids), ("answers", "=", False), ("create_date", ">=", since)],
            ["workflow_id"], ["__count"]))
        skipped_after = self._responso_stat_rows(SQL(
            "(SELECT count(*) FROM responso_decision d WHERE %s AND d.create_date >= %s)",
            listed("skipped_workflow_ids", SQL("w.id"), since, now), since))
        for workflow in self:
            workflow.sent_30_count = sent.get(workflow, 0)
            workflow.skipped_30_count = stopped.get(workflow, 0) + skipped_after.get(workflow.id, (0,))[0]

    def _compute_last_triggered(self):
        """The last answer (the decision's index by workflow and date, read backwards) or the last application of
        its actions (the last 30 days' keys first; all time only for a workflow idle that long)."""
        now = fields.Datetime.now()
        since = now - timedelta(days=WINDOW_DAYS)
        last = self._responso_stat_rows(SQL(
            """(SELECT d.create_date FROM responso_decision d
                 WHERE d.workflow_id = w.id AND d.answers ORDER BY d.create_date DESC LIMIT 1),
               COALESCE((SELECT max(d.create_date) FROM responso_decision d WHERE %s),
                        (SELECT max(d.create_date) FROM responso_decision d WHERE %s))""",
            listed("applied_workflow_ids", SQL("w.id"), since, now), listed("applied_workflow_ids", SQL("w.id"))))
        for workflow in self:
            moments = [moment for moment in last.get(workflow.id, ()) if moment]
            workflow.last_triggered = max(moments) if moments else False

    def action_responso_view_skipped(self):
        """The decisions behind the Skipped counter: those a guard stopped this workflow in, and those that list it
        as skipped (another workflow answered). The decision's own workflow is the answering one only."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("responso_autoresponder.responso_decision_action")
        action.update(
            display_name=_("Skipped: %(workflow)s", workflow=self.name),
            domain=["|", "&", ("workflow_id", "=", self.id), ("answers", "=", False),
                    ("skipped_workflow_id", "=", self.id)],
            context={"create": False},
        )
        return action

