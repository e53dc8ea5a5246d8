from dataclasses import replace
from types import SimpleNamespace

import pytz
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime, plaintext2html

from odoo.addons.base.models.res_partner import _lang_get

from ..engine import WorkflowIndex
from ..engine.explain import explain
from ..engine.index import history_horizon
from ..engine.throttle import History
from ..models.reason_labels import timezone_name
from ..models.responso_reply import LANG_REASONS


class ResponsoWorkflowTestWizard(models.TransientModel):
    """Test a workflow (as the form shows it, unsaved edits included) on a buyer message: in a conversation, or a
    sample typed in. Whether it would answer, when, in which language and with which text, and each condition held
    or not with the message's values. Nothing is stored or sent: the results are computed as the fields change,
    the wizard itself is never saved.

    The message is judged as the hot path would judge it arriving at the chosen date and time: facts, history
    (read-only SQL, as of now) and working time come from the autoresponder mixin."""

    _name = "responso.workflow.test.wizard"
    _inherit = ["responso.workflow.dry.run"]
    _description = "Test an Autoresponder Workflow"

    mode = fields.Selection([("conversation", "A conversation"), ("sample", "A sample message")],
                            string="Test On", default="sample", required=True)
    conversation_id = fields.Many2one("responso.conversation")
    message_id = fields.Many2one(
        "mail.message", string="Buyer Message", compute="_compute_message_id", store=True, readonly=False,
        domain="[('model', '=', 'responso.conversation'), ('res_id', '=', conversation_id), "
               "('responso_kind', '=', 'buyer')]",
        help="Its text, and its automatic-message signals, are tested; the conversation's latest by default.")
    body = fields.Text("Message", compute="_compute_body", store=True, readonly=False)
    source_id = fields.Many2one("responso.source",
                                default=lambda self: self.env.ref("responso_autoresponder.source_email",
                                                                  raise_if_not_found=False))
    account_id = fields.Many2one("responso.account")
    received_at = fields.Datetime("Received On", default=fields.Datetime.now, required=True,
                                  help="The message is judged as if it arrived then.")
    buyer_lang = fields.Selection(_lang_get, string="Buyer's Language",
                                  help="The language of the sample buyer's profile (the buyer's message may be "
                                       "written in another one).")
    is_first_message = fields.Boolean("First Message of the Buyer", default=True)
    # results
    answers = fields.Boolean("Would Answer", compute="_compute_result")
    verdict = fields.Char(compute="_compute_result")
    when_text = fields.Char("When", compute="_compute_result")
    reply_lang = fields.Selection(_lang_get, string="Reply Language", compute="_compute_result")
    reply_lang_reason = fields.Selection(LANG_REASONS, string="Language Chosen By", compute="_compute_result")
    preview_html = fields.Html("Reply", compute="_compute_result", sanitize=False)
    conditions_html = fields.Html("Conditions", compute="_compute_result", sanitize=False)

    @api.depends("conversation_id")
    def _compute_message_id(self):
        for wizard in self:
            wizard.message_id = self.env["mail.message"].search([
                ("model", "=", "responso.conversation"), ("res_id", "=", wizard.conversation_id.id or 0),
                ("responso_kind", "=", "buyer")], order="id desc", limit=1) if wizard.conversation_id else False

    @api.depends("message_id", "conversation_id")
    def _compute_body(self):
        for wizard in self:
            message = wizard._responso_checked_message()
            if message:
                wizard.body = (message.body and message.preview) or ""
            elif not wizard.body:
                wizard.body = ""

    def _responso_checked_message(self):
        """The chosen buyer message, when it is one of the chosen conversation's and the user may read that: ids
        sent over RPC may point at any message, whose text the wizard would show (mail.message fields are read
        as superuser)."""
        message = self.message_id._origin
        if not message:
            return message
        conversation = self.conversation_id._origin
        if conversation:
            conversation.check_access("read")
        found = message.sudo()
        if not conversation or (found.model, found.res_id, found.responso_kind) != (
                "responso.conversation", conversation.id, "buyer"):
            raise AccessError(_("Choose one of the conversation's buyer messages."))
        return message

    # ------------------------------------------------------------------
    # The record, message and facts the hot path would see
    # ------------------------------------------------------------------
    def _responso_record(self):
        if self.mode == "conversation":
            if not self.conversation_id:
                return None
            self.conversation_id._origin.check_access("read")  # its history is read in SQL
            return self.conversation_id._origin
        buyer = self.env["res.partner"].new({"name": _("Sample buyer"), "lang": self.buyer_lang or False})
        return self.env["responso.conversation"].new({
            "name": _("Sample"), "account_id": self.account_id._origin.id or False,
            "source_id": self.source_id._origin.id or False, "buyer_id": buyer,
            "company_id": self.account_id.company_id.id or self.company_id.id})

    def _responso_message(self, moment):
        """The message as the mixin reads it (a stand-in: nothing is posted)."""
        message = self._responso_checked_message()
        return SimpleNamespace(
            id=message.id if self.mode == "conversation" and message else 0,
            body=plaintext2html(self.body or ""), subject=message.subject or "" if message else "",
            message_type="comment", date=moment.replace(tzinfo=None),
            email_from=message.email_from or "" if message else "", author_id=message.author_id if message else None,
            responso_auto_signal=message.responso_auto_signal if message else False,
            responso_auto_strength=message.responso_auto_strength if message else False)

    def _responso_explanation(self, spec, record):
        moment = pytz.utc.localize(self.received_at)
        message = self._responso_message(moment)
        account = record._responso_account()
        facts = record._responso_facts(message, {}, account)
        facts = replace(facts, received_at=moment, labels=self._responso_labels(record))
        limits = record._responso_limits()
        if self.mode == "conversation":
            horizon = history_horizon(WorkflowIndex([spec]), limits, moment)
            history, thread_facts = record._responso_history(message, account, moment, horizon)
        else:
            history = History(account_paused=account.responso_paused)
            thread_facts = {"is_first_message": self.is_first_message, "is_new_conversation": True}
        calendar = record._responso_account_calendar()
        if spec.uses_account_calendar and calendar:
            name = self.env["resource.calendar"].browse(calendar).display_name
            facts = replace(facts, labels={**facts.labels, ("working_hours", calendar): name})
        facts = replace(facts, **thread_facts, account_calendar=calendar,
                        working_time=record._responso_working_time(spec.working_time_keys(calendar), moment))
        return explain(spec, facts, moment, history, limits), message

    def _responso_labels(self, record):
        return {(kind, value.id): value.display_name for kind, value in (
            ("source", record._responso_source()), ("account", record._responso_account()),
            ("integration", record._responso_integration())) if value}

    # ------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------
    @api.depends("workflow_id", "workflow_values", "mode", "conversation_id", "message_id", "body", "source_id",
                 "account_id", "received_at", "buyer_lang", "is_first_message")
    @api.depends_context("lang", "tz")
    def _compute_result(self):
        for wizard in self:
            wizard.update({"answers": False, "verdict": False, "when_text": False, "reply_lang": False,
                           "reply_lang_reason": False, "preview_html": False, "conditions_html": False})
            record = wizard._responso_record()
            if record is None or not wizard.received_at:
                continue
            workflow = wizard._responso_workflow()
            try:
                spec = wizard._responso_spec(workflow)
                result, message = wizard._responso_explanation(spec, record)
            except (UserError, ValueError, KeyError) as exc:
                wizard.verdict = _("The workflow cannot be tested yet: %(error)s", error=exc)
                continue
            texts = {}
            Decision = self.env["responso.decision"]
            reason = Decision._responso_reason_text(result.reason.code, result.reason.params, texts)
            wizard.answers = result.answers
            wizard.verdict = (_("It would answer.") if result.answers
                              else _("It would apply its actions: it sends no message, so it leaves the answer to "
                                     "other workflows.") if result.decision.applied
                              else _("It would not answer: %(reason)s.", reason=reason))
            wizard.conditions_html = wizard._responso_conditions_html(workflow, result, texts)
            if result.answers:
                wizard.when_text = wizard._responso_when_text(spec.tz, result)
                wizard._responso_preview(workflow, record, message)

    def _responso_when_text(self, tz, result):
        send_at = result.decision.send_at
        local = format_datetime(self.env, send_at.replace(tzinfo=None), tz=tz, dt_format="medium")
        received = format_datetime(self.env, self.received_at, tz=tz, dt_format="medium")
        utc = format_datetime(self.env, send_at.replace(tzinfo=None), tz="UTC", dt_format="short")
        tz = timezone_name(self.env, tz)
        if result.delay_minutes:
            return _("%(local)s (%(tz)s; %(utc)s UTC): %(delay)s after the message received %(received)s",
                     local=local, tz=tz, utc=utc, received=received,
                     delay=self.env["responso.workflow"]._duration_text(result.delay_minutes))
        return _("%(local)s (%(tz)s; %(utc)s UTC): at once, no delay", local=local, tz=tz, utc=utc)

    def _responso_preview(self, workflow, record, message):
        """The reply as the sender would write it: the language `_responso_reply_lang_reason` chooses, each
        action's message rendered in it (an unsaved body is checked as saving it would be)."""
        actions = workflow.action_ids.filtered(lambda a: a.action_type == "send_message")
        if not actions:
            return
        saved = actions[0]._origin
        lang, why = record._responso_reply_lang_reason(message, saved or None)
        self.reply_lang, self.reply_lang_reason = lang, why
        parts = []
        for action in actions:
            edited = action.with_context(lang=lang)
            origin = action._origin.with_context(lang=lang) if action._origin else None
            try:
                if origin is None or edited.body_html != origin.body_html:
                    # an unsaved body is checked as saving it would be: the rendering itself trusts it
                    edited._check_access_right_dynamic_template()
                if not isinstance(record.id, int):  # a sample (a new record): the buyer and account typed in
                    body = edited._render_template(edited.body_html, record._name, [record.id], engine="qweb",
                                                   options={"post_process": True})[record.id]
                else:
                    body = action._responso_render(record, lang)
            except (AccessError, UserError) as exc:
                body = Markup("<p class='text-danger'>%s</p>") % str(exc)
            parts.append(Markup(body))
        self.preview_html = Markup("<hr/>").join(parts)

    def _responso_conditions_html(self, workflow, result, texts):
        Decision = self.env["responso.decision"]
        lines = workflow.condition_ids
        rows = []
        for line, checked in zip(lines, result.conditions, strict=False):
            rows.append((
                line.summary or "",
                _("holds") if checked.holds else _("does not hold"),
                self._responso_actual_text(checked),
                Decision._responso_reason_text(checked.reason.code, checked.reason.params, texts)
                if checked.reason else "",
            ))
        return self._responso_cells(rows, head=(_("Condition"), _("Result"), _("Message's value"), _("Why not")))

    def _responso_actual_text(self, checked):
        actual, kind = checked.actual, checked.condition.kind
        if kind == "trigger":
            return _("first message of the buyer") if actual else _("not the first message of the buyer")
        if kind == "delay":
            return self.env["responso.workflow"]._duration_text(actual or 0)
        if kind == "weekday" and actual:
            days = {day.with_context(lang="en_US").name: day.name for day in self.env["responso.weekday"].search([])}
            return days.get(actual, actual)
        if isinstance(actual, (list, tuple)):
            return ", ".join(map(str, actual))
        return actual if actual is not None else ""
