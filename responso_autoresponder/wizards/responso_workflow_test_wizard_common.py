from dataclasses import replace

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.models import NewId

from ..engine import UnknownTimezone, check_timezone


def _origin_id(value):
    """The real id behind a value of an unsaved record (a NewId wrapping a saved record), else the value."""
    if isinstance(value, int):
        return value
    return getattr(value, "origin", None) or value


def _text(value):
    """Plain text as HTML: escaped, line breaks kept."""
    if isinstance(value, Markup):
        return value
    return Markup("<br/>").join(escape(line) for line in str(value if value is not None else "").split("\n"))


class ResponsoWorkflowDryRun(models.AbstractModel):
    """The workflow a Test or Replay runs: as the form shows it, unsaved edits included, never saved.

    The form's button (``responso_workflow_try`` widget) passes the form's changes (the values ``write`` would
    get, x2many commands included) in ``workflow_values``; they are applied to a ``new`` record whose origin is
    the saved workflow, as Odoo's onchange does, and that record is turned into an engine spec."""

    _name = "responso.workflow.dry.run"
    _description = "Autoresponder Workflow Dry Run"

    workflow_id = fields.Many2one("responso.workflow", readonly=True, ondelete="cascade",
                                  context={"active_test": False})
    workflow_values = fields.Json(help="The form's unsaved changes to the workflow.")
    company_id = fields.Many2one("res.company", compute="_compute_company_id")

    @api.depends("workflow_id", "workflow_values")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard._responso_workflow().company_id or self.env.company

    def _responso_workflow(self):
        """The workflow with the form's unsaved edits: a new record, nothing written."""
        self.ensure_one()
        workflow = self.workflow_id._origin
        values = dict(self.workflow_values or {})
        values.pop("id", None)
        Workflow = self.env["responso.workflow"].with_context(active_test=False)
        if workflow:
            # every new record of the same origin is one record for the cache: lines the form adds would pile up
            # at each call (a line added once counted twice, three times…) unless its lines are read afresh
            same = NewId(origin=workflow.id)
            self.env.cache.invalidate([(field, [same]) for field in Workflow._fields.values()
                                       if field.type in ("one2many", "many2many")])
            return Workflow.new(values, origin=workflow)
        return Workflow.new(values)

    def _responso_spec(self, workflow=None):
        """The engine spec of the (edited) workflow: ids of saved records, never the NewIds of the form's lines."""
        workflow = workflow or self._responso_workflow()
        spec = workflow._responso_specs()[0]
        conditions = tuple(
            replace(condition,
                    values=frozenset(_origin_id(value) for value in condition.values),
                    calendar=_origin_id(condition.calendar) if condition.calendar else None,
                    labels={_origin_id(key): label for key, label in condition.labels.items()})
            for condition in spec.conditions)
        try:
            check_timezone(spec.tz)  # an unsaved workflow may have none yet
        except UnknownTimezone:
            raise UserError(_("Unknown timezone “%(tz)s”.", tz=spec.tz or "")) from None
        return replace(spec, id=workflow._origin.id or 0, conditions=conditions)

    @api.model
    def _responso_cells(self, rows, head=None):
        """A small HTML table (plain values are escaped)."""
        def cell(tag, value):
            return Markup("<%s>%s</%s>") % (Markup(tag), _text(value), Markup(tag))
        html = Markup('<table class="table table-sm o_responso_dry_run">')
        if head:
            html += Markup("<thead><tr>") + Markup().join(cell("th", h) for h in head) + Markup("</tr></thead>")
        html += Markup("<tbody>")
        for row in rows:
            html += Markup("<tr>") + Markup().join(cell("td", value) for value in row) + Markup("</tr>")
        return html + Markup("</tbody></table>")
