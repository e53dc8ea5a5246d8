"""Re-checks of a due reply before it goes out: the situation may have changed since the decision (the
conversation closed or held, the workflow disabled, a person or another reply answered, a cap reached)."""

from datetime import timedelta

from odoo import _, fields, models
from odoo.tools import SQL


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoReply(models.Model):
    _inherit = "responso.reply"

    def _responso_cancel_reason(self, record):
        """Checked again when the reply is due: the situation may have changed since the decision."""
        if not record:
            return _("the conversation was deleted")
        if not self.workflow_id.active:
            return _("the workflow was disabled or deleted")
        if not self.action_id:
            return _("the action was deleted")
        if not record._responso_is_open():
            return _("the conversation was closed")
        if record.responso_hold_reason:
            return _("held for a human: %(reason)s", reason=record.responso_hold_reason)
        if self.account_id.responso_paused:
            return _("automatic replies of this account are paused")
        blocked = self.buyer_id.responso_autoreply_blocked_until
        if blocked and blocked > fields.Datetime.now():
            return _("our automatic replies to this address bounced")
        answered = self._responso_answered_since(record)
        if answered:
            return answered
        limits = record._responso_limits()
        sent_today = self.search_count([
            ("res_model", "=", self.res_model), ("res_id", "=", self.res_id), ("state", "=", "sent"),
            ("sent_at", ">=", fields.Datetime.now() - timedelta(days=1))])
        if sent_today >= limits.conversation_per_day:
            return _("cap reached: %(count)s in 24 h in this conversation", count=sent_today)
        return False

    def _responso_answered_since(self, record):
        """Only answer while the buyer's message is the newest: a person's answer posted after it (an agent in
        Odoo, or the seller on the marketplace, fetched by the poll as a note) or another automatic reply makes
        this reply needless. Bounces, other autoresponders and third parties do not answer the buyer."""
        # the replies to the same message (one query with the messages: a sub-select)
        siblings = self.sudo()._search([("trigger_message_id", "=", self.trigger_message_id.id),
                                        ("reply_message_id", "!=", False)]).subselect(
            SQL.identifier("responso_reply", "reply_message_id"))
        later = self.env["mail.message"].sudo().search([
            ("model", "=", record._name), ("res_id", "=", record.id),
            ("id", ">", self.trigger_message_id.id), ("id", "not in", siblings),
            ("message_type", "in", ("comment", "email")),
            "|", ("responso_kind", "in", ("auto_reply", "seller")), ("author_id", "!=", record._responso_buyer().id),
        ], order="id")
        if any(message.responso_kind == "auto_reply" for message in later):
            return _("an automatic reply was already sent after this message")
        if any(message.responso_kind == "seller" for message in later):
            return _("the seller answered on the marketplace meanwhile")
        # public messages only (the subtypes are read by id: the message query stays on its indexes)
        if any(not message.subtype_id.internal and record._responso_is_agent_answer({
                "message_type": message.message_type, "subtype_id": message.subtype_id.id,
                "author_id": message.author_id.id, "responso_auto_signal": message.responso_auto_signal,
        }) for message in later):
            return _("an agent answered meanwhile")
        return False
