from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import html2plaintext

from odoo.addons.base.models.res_partner import _tz_get

from ..engine import UnknownTimezone, check_timezone
from ..engine.content_rules import check_message
from ..engine.throttle import DEFAULT_INTERVAL_MINUTES


class ResponsoWorkflow(models.Model):
    """An automated workflow: when all its conditions hold for a buyer message, its actions run.

    Templates are workflows flagged `is_template` (shipped as data, never evaluated); "Add" copies one
    into an active, editable workflow of the current company."""

    _name = "responso.workflow"
    _description = "Automated Workflow"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True,
                       help="What this automation is for. Never sent to buyers.")
    description = fields.Text(required=True, translate=True,
                              help="How it works, for you and the other agents. Never sent to buyers.")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10, help="When several workflows match a message, the first answers.")
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    tz = fields.Selection(_tz_get, string="Timezone", required=True,
                          default=lambda self: self.env.company._responso_default_tz(),
                          help="Days and hours of the conditions are read in this timezone.")
    interval_minutes = fields.Integer(
        "Minimum Interval (minutes)", default=DEFAULT_INTERVAL_MINUTES,
        help="A buyer gets at most one automatic reply per account in this interval (0: no limit). "
             "Three messages in two minutes get one answer.")
    condition_ids = fields.One2many("responso.workflow.condition", "workflow_id", string="Conditions", copy=True)
    action_ids = fields.One2many("responso.workflow.action", "workflow_id", string="Actions", copy=True)
    is_template = fields.Boolean("Template", readonly=True, copy=False)
    template_locked = fields.Boolean(
        compute="_compute_template_locked",
        help="A shared template the current user may not change (only administrators do): its form is read-only.")
    sent_count = fields.Integer("Sent", compute="_compute_stats")
    skipped_count = fields.Integer("Skipped", compute="_compute_stats")
    applied_count = fields.Integer(
        "Applied", compute="_compute_stats",
        help="Buyer messages this workflow, which sends no message, applied its actions to (neither sent nor "
             "skipped: it never takes the answer).")
    last_triggered = fields.Datetime(
        compute="_compute_last_triggered",
        help="When this workflow last answered a buyer message or applied its actions to one.")
    sent_30_count = fields.Integer("Sent (30 days)", compute="_compute_stats_30",
                                   help="Automatic replies sent in the last 30 days.")
    skipped_30_count = fields.Integer("Skipped (30 days)", compute="_compute_stats_30",
                                      help="Buyer messages of the last 30 days this workflow matched without answering "
                                           "(another workflow answered, throttling, a cap).")
    condition_summary = fields.Text(compute="_compute_condition_summary")
    content_warnings = fields.Text(compute="_compute_content_warnings",
                                   help="What the marketplaces this workflow answers on may refuse in its messages.")
    # display only (the form and the list), never read by the engine
    condition_line = fields.Text("Conditions in One Line", compute="_compute_condition_summary")
    interval_text = fields.Char("Throttling", compute="_compute_interval_text")
    amazon_without_delay = fields.Boolean(
        compute="_compute_amazon_without_delay",
        help="The workflow can answer Amazon buyers at once: Amazon ignores an immediate automatic reply.")

    @api.depends("condition_ids.summary")
    def _compute_condition_summary(self):
        for workflow in self:
            summaries = workflow.condition_ids.mapped("summary")
            workflow.condition_summary = "\n".join(summaries)
            workflow.condition_line = " · ".join(summaries)

    @api.depends("interval_minutes")
    @api.depends_context("lang")
    def _compute_interval_text(self):
        for workflow in self:
            minutes = workflow.interval_minutes
            if minutes <= 0:
                workflow.interval_text = _("No minimum interval: each matching buyer message gets an automatic "
                                           "reply (the caps of the settings still apply).")
            else:
                workflow.interval_text = _("At most one automatic reply per buyer and account every %(duration)s.",
                                           duration=self._duration_text(minutes))

    @api.model
    def _duration_text(self, minutes):
        hours, rest = divmod(minutes, 60)
        if not hours:
            return _("%(minutes)s min", minutes=rest)
        if not rest:
            return _("%(hours)s h", hours=hours)
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)

    @api.depends("is_template")
    @api.depends_context("uid")
    def _compute_template_locked(self):
        # the record rules' split: managers read the shared templates and add copies, administrators change them
        locked = not self.env.user.has_group("base.group_system")
        for workflow in self:
            workflow.template_locked = workflow.is_template and locked

    @api.depends("condition_ids.kind", "condition_ids.operator", "condition_ids.source_ids",
                 "condition_ids.integration_ids", "condition_ids.account_ids", "condition_ids.delay_amount",
                 "condition_ids.delay_unit")
    def _compute_amazon_without_delay(self):
        for workflow in self:
            delayed = any(line.kind == "delay" and line.delay_amount > 0 for line in workflow.condition_ids)
            workflow.amazon_without_delay = not delayed and workflow._responso_can_answer_amazon()

    def _responso_can_answer_amazon(self):
        """Whether Amazon is among the sources (and accounts) this workflow's conditions allow."""
        self.ensure_one()
        if not self._responso_sources().filtered(lambda s: s.code == "amazon"):
            return False
        # "account is one of" with no Amazon account rules Amazon out as well
        return not any(
            line.kind == "account" and line.operator == "in"
            and not line.account_ids._origin.filtered(lambda a: a.integration_id.code == "amazon")
            for line in self.condition_ids)

    @api.depends("condition_ids.kind", "condition_ids.operator", "condition_ids.source_ids",
                 "condition_ids.integration_ids", "action_ids.body_html")
    @api.depends_context("lang")
    def _compute_content_warnings(self):
        for workflow in self:
            _errors, warnings = workflow._responso_content_check()
            workflow.content_warnings = "\n".join(warnings) or False

    def _responso_sources(self):
        """The sources this workflow can answer on, as its source and integration conditions allow."""
        self.ensure_one()
        sources = self.env["responso.source"].search([])
        for line in self.condition_ids:
            # _origin: in an unsaved form the lines' values are new records wrapping the real ones
            if line.kind == "source":
                chosen = line.source_ids._origin
                sources = sources & chosen if line.operator == "in" else sources - chosen
            elif line.kind == "integration":
                matching = sources.filtered(lambda s, line=line: s.integration_id in line.integration_ids._origin)
                sources = matching if line.operator == "in" else sources - matching
        return sources

    def _responso_content_check(self):
        """(errors, warnings) as texts: messages too long for a channel, contact details where forbidden."""
        self.ensure_one()
        texts = self.env["responso.decision"]._reason_texts()
        errors, warnings = [], []
        for action in self.action_ids.filtered(lambda a: a.action_type == "send_message"):
            plain = html2plaintext(action.body_html or "")
            for source in self._responso_sources():
                found_errors, found_warnings = check_message(plain, source._responso_rules())
                errors += [reason.text(texts) for reason in found_errors]
                warnings += [reason.text(texts) for reason in found_warnings]
        return list(dict.fromkeys(errors)), list(dict.fromkeys(warnings))

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("name", "description")
    def _check_name_description(self):
        for workflow in self:
            if not (workflow.name or "").strip():
                raise ValidationError(_("Give the workflow a name: it tells what the automation is for."))
            if not (workflow.description or "").strip():
                raise ValidationError(_("Describe the workflow “%(name)s”: the description helps you and other "
                                        "agents understand it. It is never sent to buyers.", name=workflow.name))

    @api.constrains("tz")
    def _check_tz(self):
        for workflow in self:
            try:
                check_timezone(workflow.tz)
            except UnknownTimezone:
                raise ValidationError(_("Unknown timezone “%(tz)s”.", tz=workflow.tz)) from None

    @api.constrains("condition_ids", "action_ids", "active")
    def _check_lines(self):
        # templates are data: their lines are created after them (and "Add" checks the copy)
        for workflow in self.filtered(lambda w: w.active and not w.is_template):
            if not workflow.condition_ids:
                raise ValidationError(_("The workflow “%(name)s” needs at least one condition.", name=workflow.name))
            if not workflow.action_ids:
                raise ValidationError(_("The workflow “%(name)s” needs at least one action.", name=workflow.name))

    @api.constrains("interval_minutes")
    def _check_interval(self):
        if any(workflow.interval_minutes < 0 for workflow in self):
            raise ValidationError(_("The minimum interval between two automatic replies cannot be negative."))

    @api.constrains("action_ids", "condition_ids")
    def _check_content_rules(self):
        for workflow in self:
            errors, _warnings = workflow._responso_content_check()
            if errors:
                raise ValidationError(_("Workflow “%(name)s”: %(errors)s.", name=workflow.name,
                                        errors="; ".join(errors)))

    # not named _check_company: that would replace Odoo's own check of the fields with check_company=True
    @api.constrains("company_id", "is_template")
    def _check_company_set(self):
        for workflow in self:
            if not workflow.is_template and not workflow.company_id:
                raise ValidationError(_("The workflow “%(name)s” must belong to a company.", name=workflow.name))

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def _responso_check_company_of_user(self, vals):
        """The record rules check a workflow before it is written, not what it becomes: a manager gives it only a
        company of theirs (it would answer another company's buyers)."""
        company = vals.get("company_id")
        if company and not (self.env.su or self.env.is_system()) and company not in self.env.user.company_ids.ids:
            raise AccessError(_("You cannot give a workflow to a company you do not work in."))

    @api.model
    def _responso_check_line_target(self, vals):
        """A condition or action moved to another workflow: the user must be allowed to edit that workflow (the
        rules checked only the line's current one)."""
        if vals.get("workflow_id") and not self.env.su:
            self.browse(vals["workflow_id"]).check_access("write")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._responso_check_company_of_user(vals)
            if not vals.get("tz") and vals.get("company_id") and not vals.get("is_template"):
                # the workflow's own company decides its timezone, not the company the user is working in
                vals["tz"] = self.env["res.company"].browse(vals["company_id"])._responso_default_tz()
        return super().create(vals_list)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if not (default or {}).get("name"):
            for workflow, vals in zip(self, vals_list, strict=True):
                if not workflow.is_template:
                    vals["name"] = _("%(name)s (copy)", name=workflow.name)
        return vals_list

    def write(self, vals):
        self._responso_check_company_of_user(vals)
        if vals.get("is_template") and not self.env.is_system():
            # the record rules check a record before it is written: without this, a manager could turn a
            # workflow of theirs into a template shared with every company
            raise AccessError(_("Only administrators can turn a workflow into a shared template."))
        res = super().write(vals)
        if vals.get("active") is False:
            self._responso_cancel_scheduled(_("the workflow was disabled"))
        return res

    def unlink(self):
        # the history (decisions, sent replies) stays; what was still waiting is cancelled
        self._responso_cancel_scheduled(_("the workflow was deleted"))
        # the cancellations reach the database before the cascade removes the actions: flushed later, their
        # UPDATE would carry action ids that no longer exist (whatever the order the models were loaded in)
        self.env["responso.reply"].flush_model()
        return super().unlink()

    def _responso_cancel_scheduled(self, reason):
        replies = self.env["responso.reply"].sudo().search(
            [("workflow_id", "in", self.ids), ("state", "=", "scheduled")])
        replies._responso_cancel(reason)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_responso_add(self):
        """The seed's "Add" under a new workflow: the form saved it already; back to the list, where it shows."""
        action = self.env["ir.actions.act_window"]._for_xml_id("responso_autoresponder.responso_workflow_action")
        action["target"] = "main"
        return action

    def action_add_amazon_delay(self):
        """One click from the Amazon warning: the 10-minute delay of the Amazon template."""
        for workflow in self:
            empty = workflow.condition_ids.filtered(lambda c: c.kind == "delay")[:1]
            if empty:
                empty.write({"delay_amount": 10, "delay_unit": "minutes"})
            else:
                workflow.condition_ids = [Command.create({
                    "kind": "delay", "delay_amount": 10, "delay_unit": "minutes",
                    "sequence": max(workflow.condition_ids.mapped("sequence") or [0]) + 1})]
        return True

    def action_add_from_template(self):
        """The template gallery's "Add": an active, editable copy for the current company."""
        self.ensure_one()
        company = self.env.company
        workflow = self.copy({
            "is_template": False,
            "active": True,
            "company_id": company.id,
            "tz": company._responso_default_tz(),
            "name": self.name,
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": "responso.workflow",
            "res_id": workflow.id,
            "view_mode": "form",
            "target": "current",
        }
