from odoo import _, api, fields, models

from ..engine import Reason


class ResponsoDecision(models.Model):
    """Why a workflow answered a buyer message, or why not: one row per workflow and buyer message."""

    _name = "responso.decision"
    _description = "Autoresponder Decision"
    _order = "id desc"
    _rec_name = "workflow_name"

    message_id = fields.Many2one("mail.message", string="Buyer Message", required=True, index=True,
                                 ondelete="cascade", readonly=True)
    res_model = fields.Char("Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference("Document", model_field="res_model", required=True, readonly=True)
    conversation_id = fields.Many2one("responso.conversation", index="btree_not_null", readonly=True,
                                      ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    workflow_id = fields.Many2one("responso.workflow", index=True, ondelete="set null", readonly=True,
                                  context={"active_test": False})
    workflow_name = fields.Char("Workflow Name", required=True, readonly=True,
                                help="Kept when the workflow is renamed or deleted.")
    answers = fields.Boolean("Answered", readonly=True)
    reason_code = fields.Char(required=True, readonly=True)
    reason_params = fields.Json(readonly=True)
    reason = fields.Char(compute="_compute_reason")

    @api.model
    def _reason_texts(self):
        """The engine's reason templates, in the reader's language (same codes and placeholders)."""
        return {
            "matched": _("all conditions hold (%(count)s)"),
            "not_one_of": _("%(subject)s %(actual)s is not one of %(expected)s"),
            "one_of_excluded": _("%(subject)s %(actual)s is one of the excluded %(expected)s"),
            "not_first_message": _("not the first message of this buyer to this account"),
            "weekday_not_in": _("%(actual)s is not one of %(expected)s (%(tz)s)"),
            "weekday_excluded": _("%(actual)s is one of the excluded days %(expected)s (%(tz)s)"),
            "outside_window": _("%(actual)s is outside %(expected)s (%(tz)s)"),
            "inside_window": _("%(actual)s is inside the excluded window %(expected)s (%(tz)s)"),
            "outside_working_hours": _("%(actual)s is outside the working hours of %(expected)s (%(tz)s)"),
            "inside_working_hours": _("%(actual)s is inside the working hours of %(expected)s (%(tz)s)"),
            "already_answered": _("another workflow answers this message: %(workflow)s"),
            "no_action": _("the workflow has no action"),
            "automatic_message": _("automatic message: %(signal)s"),
            "held_for_human": _("held for a human: %(reason)s"),
            "too_old": _("received %(hours)s h ago: too old for an automatic answer"),
            "account_paused": _("automatic replies of this account are paused"),
            "buyer_bounced": _("our automatic replies to this address bounced (no automatic reply until %(until)s)"),
            "throttled": _("throttled: last automatic reply %(minutes)s min ago (interval %(interval)s min)"),
            "conversation_cap": _("cap reached: %(count)s in 24 h in this conversation"),
            "account_cap": _("cap reached: %(count)s in 1 h on this account"),
            "too_long": _("message of %(length)s characters, %(channel)s accepts %(limit)s"),
            "contact_details": _("%(channel)s forbids contact details and links in buyer messages: %(found)s"),
        }

    @api.depends("reason_code", "reason_params")
    @api.depends_context("lang")
    def _compute_reason(self):
        texts = self._reason_texts()
        kinds = dict(self.env["responso.workflow.condition"]._fields["kind"]._description_selection(self.env))
        days = None
        for decision in self:
            params = dict(decision.reason_params or {})
            if "subject" in params:
                params["subject"] = kinds.get(params["subject"], params["subject"])
            if decision.reason_code in ("weekday_not_in", "weekday_excluded"):
                # the engine names days in English; show them in the reader's language
                days = days or {day.with_context(lang="en_US").name: day.name
                                for day in self.env["responso.weekday"].search([])}
                params["actual"] = days.get(params.get("actual"), params.get("actual"))
                params["expected"] = [days.get(day, day) for day in params.get("expected", [])]
            decision.reason = Reason(decision.reason_code, params).text(texts)
