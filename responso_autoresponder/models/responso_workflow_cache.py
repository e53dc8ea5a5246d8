"""Compiled workflows, cached in the registry: a buyer message reads no workflow record.

The company's active workflows become engine specs and an index once, kept by ``tools.ormcache`` until
something they are made of changes (a workflow, a condition, an action, or a name shown in the decision log:
account, source, integration, working-hours calendar). ``registry.clear_cache()`` invalidates every worker and
server, as Odoo does for its own configuration. Each compiled configuration is also stored once as a snapshot, so
that any decision can be explained later exactly as it was taken.
"""

from typing import NamedTuple

from odoo import api, models, tools

from ..engine import WorkflowIndex, WorkflowSpec
from ..engine.snapshot import fingerprint, specs_to_data


class CompiledWorkflows(NamedTuple):
    """What the hot path needs of a company's workflows, as plain immutable data."""

    index: WorkflowIndex
    snapshot_key: str
    actions: dict  # workflow id -> ((action id, sequence), ...)


def _clear_compiled(env):
    env.registry.clear_cache()


class _ClearsCompiledWorkflows(models.AbstractModel):
    """Records whose changes change compiled workflows: their lines, and the names shown in reasons."""

    _name = "responso.clears.compiled"
    _description = "Invalidates compiled autoresponder workflows"
    _responso_name_fields = ()  # only these fields matter (empty: any change)

    def _responso_changes_compiled(self, vals):
        return not self._responso_name_fields or any(name in vals for name in self._responso_name_fields)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._responso_name_fields:
            _clear_compiled(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if self._responso_changes_compiled(vals):
            _clear_compiled(self.env)
        return super().write(vals)

    def unlink(self):
        _clear_compiled(self.env)
        return super().unlink()


class ResponsoWorkflow(models.Model):
    _name = "responso.workflow"
    _inherit = ["responso.workflow", "responso.clears.compiled"]

    @tools.ormcache("company_id")
    def _responso_compiled(self, company_id):
        """The active workflows of the company, compiled (cached until their configuration changes)."""
        # one environment for everybody (the cache is shared by every user): names in the company's language, as
        # its managers wrote them
        lang = self.env["res.company"].sudo().browse(company_id).partner_id.lang or "en_US"
        Workflow = self.env["responso.workflow"].sudo().with_context(lang=lang, active_test=True)
        workflows = Workflow.search([("is_template", "=", False), ("company_id", "=", company_id)])
        workflows.condition_ids.mapped("kind")  # prefetch the lines of all workflows at once
        workflows.action_ids.mapped("sequence")
        specs = workflows._responso_specs()
        data = specs_to_data(specs)
        key = fingerprint(data)
        self.env["responso.workflow.snapshot"]._responso_store(company_id, key, data)
        actions = {workflow.id: tuple((action.id, action.sequence) for action in workflow.action_ids)
                   for workflow in workflows}
        return CompiledWorkflows(WorkflowIndex(specs), key, actions)

    def _responso_specs(self):
        return [
            WorkflowSpec(
                id=workflow.id,
                name=workflow.name,
                sequence=workflow.sequence,
                tz=workflow.tz,
                conditions=tuple(line._responso_condition() for line in workflow.condition_ids),
                action_count=len(workflow.action_ids),
                interval_minutes=max(workflow.interval_minutes, 0),
                sends=any(action.action_type == "send_message" for action in workflow.action_ids),
            )
            for workflow in self
        ]


class ResponsoWorkflowCondition(models.Model):
    _name = "responso.workflow.condition"
    _inherit = ["responso.workflow.condition", "responso.clears.compiled"]


class ResponsoWorkflowAction(models.Model):
    _name = "responso.workflow.action"
    _inherit = ["responso.workflow.action", "responso.clears.compiled"]
    _responso_name_fields = ("sequence", "workflow_id", "action_type")  # the body is read when sending


class ResponsoAccount(models.Model):
    _name = "responso.account"
    _inherit = ["responso.account", "responso.clears.compiled"]
    # its name in reasons; what the response clock reads of it (responso_working_time_cache.py)
    _responso_name_fields = ("name", "integration_id", "company_id", "responso_response_hours",
                             "responso_clock_calendar_id", "responso_warn_hours")


class ResponsoSource(models.Model):
    _name = "responso.source"
    _inherit = ["responso.source", "responso.clears.compiled"]
    _responso_name_fields = ("name", "integration_id")


class ResponsoIntegration(models.Model):
    _name = "responso.integration"
    _inherit = ["responso.integration", "responso.clears.compiled"]
    _responso_name_fields = ("name", "transport")

    @api.model_create_multi
    def create(self, vals_list):
        _clear_compiled(self.env)  # a new one is not in _responso_transports yet
        return super().create(vals_list)

    @tools.ormcache()
    def _responso_transports(self):
        """{integration id: transport} of every integration, archived ones included: read on every message posted
        in a conversation and every reply sent, changed about never."""
        integrations = self.sudo().with_context(active_test=False).search_fetch([], ["transport"])
        return {integration.id: integration.transport for integration in integrations}


class ResourceCalendar(models.Model):
    _name = "resource.calendar"
    _inherit = ["resource.calendar", "responso.clears.compiled"]
    # its name in reasons; what its cached working time is made of besides its lines and time off (cleared by
    # their own models: responso_working_time_cache.py)
    _responso_name_fields = ("name", "tz", "two_weeks_calendar", "active")
