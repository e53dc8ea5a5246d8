"""What the engine needs to know about a buyer message: its facts, the history around it, the limits."""

import logging
from datetime import timedelta
from functools import lru_cache

import pytz

from odoo import fields, models
from odoo.tools import email_normalize, html2plaintext

from ..engine import MessageFacts
from ..engine import conditions as cond
from ..engine.facts import TEXT_LIMIT
from ..engine.loop_guard import AutomaticSignal, detect_in_text
from ..engine.throttle import History, Limits
from . import history_sql

_logger = logging.getLogger(__name__)



@lru_cache(maxsize=64)
def plain_text(body):
    """The text of a message body, computed once for the facts, the automatic-message rules and the history (an
    HTML parse each time otherwise)."""
    return html2plaintext(body or "")


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited

class ResponsoAutoresponderMixin(models.AbstractModel):
    """The facts side of the autoresponder mixin: a constant number of queries whatever the workflows."""

    _inherit = "responso.autoresponder.mixin"

    def _responso_limits(self):
        """The caps of Settings > Autoresponder; a value that is not an integer ≥ 0 (set by hand in the system
        parameters) falls back to the default, with a warning in the log."""
        params = self.env["ir.config_parameter"].sudo()
        caps = {}
        for name, key, default in (("conversation_per_day", "responso_autoresponder.cap_conversation_day", 3),
                                   ("account_per_hour", "responso_autoresponder.cap_account_hour", 100)):
            raw = params.get_param(key, default)
            try:
                caps[name] = int(str(raw).strip())
                if caps[name] < 0:
                    raise ValueError(raw)
            except (TypeError, ValueError):
                _logger.warning("System parameter %s is %r, not an integer >= 0: using %s", key, raw, default)
                caps[name] = default
        return Limits(**caps)

    def _responso_history(self, message, account, now, horizon):
        """(History, the facts read from the past), in one query. The facts: ``is_first_message`` (the buyer's
        first message to the account), ``is_new_conversation`` (no earlier buyer message in this thread),
        ``last_customer_message`` (the date of the buyer's previous message in this thread: the newest one, by the
        (model, res_id, id) index). Every part is bounded in time (nothing older than `horizon` can change a
        decision) or by the thread, and served by an index (see responso.reply and mail.message ``init``), so its
        cost does not grow with the past."""
        buyer = self._responso_buyer()
        naive = now.replace(tzinfo=None)
        body = message.body or ""
        company = self._responso_company()
        self.env["responso.reply"].flush_model()
        self.env["responso.account"].flush_model(["responso_paused"])
        # a PL/pgSQL function (history_sql.py): the same query, planned once per database connection
        row = history_sql.call(
            self.env.cr, model=self._name, res_id=self.id, buyer=buyer.id or 0, account=account.id or None,
            company=company.id, message=message.id,
            # a machine repeating itself (short texts such as "ok?" are left out: people repeat those)
            body=body if len(plain_text(body).strip()) >= 20 else None,
            day=naive - timedelta(days=1), two_days=naive - timedelta(days=2), hour=naive - timedelta(hours=1),
            horizon=horizon.replace(tzinfo=None))
        (conversation_day, conversation_last, buyer_last, account_hour, paused, earlier,
         same_body, previous_in_thread) = row
        blocked = buyer.responso_autoreply_blocked_until
        return History(
            last_reply_to_buyer=buyer_last.replace(tzinfo=pytz.utc) if buyer_last else None,
            last_reply_in_conversation=conversation_last.replace(tzinfo=pytz.utc) if conversation_last else None,
            conversation_replies_24h=conversation_day,
            account_replies_1h=account_hour if account else 0,
            same_body_seen=same_body,
            held_for_human=self.responso_hold_reason or None,
            account_paused=paused,
            buyer_blocked_until=blocked.replace(tzinfo=pytz.utc) if blocked else None,
        ), {"is_first_message": not earlier, "is_new_conversation": previous_in_thread is None,
            "last_customer_message": previous_in_thread.replace(tzinfo=pytz.utc) if previous_in_thread else None}

    def _responso_signal(self, message, msg_values):
        """The automatic-message signal of this message: from the mail gateway's headers, from the connector,
        or from the text itself."""
        rule = msg_values.get("responso_auto_signal") or message.responso_auto_signal
        if rule:
            strength = msg_values.get("responso_auto_strength") or message.responso_auto_strength or "hard"
            return AutomaticSignal(strength, rule)
        return detect_in_text(message.subject or "", plain_text(message.body)[:2000])

    def _responso_facts(self, message, msg_values, account):
        """Snapshot of the message for the engine, without working time (added for the candidates only)."""
        source = self._responso_source()
        # an e-mail is judged when it reaches us (its Date header is the sender's clock); a polled marketplace
        # message by the time the marketplace gives it
        if message.message_type == "email":
            received_at = fields.Datetime.now().replace(tzinfo=pytz.utc)
        else:
            received_at = message.date.replace(tzinfo=pytz.utc)
        buyer = self._responso_buyer()
        # ids only: names are looked up when a decision is explained, not for every message
        return MessageFacts(
            message_id=message.id,
            received_at=received_at,
            source=source.id or None,
            integration=self._responso_integration().id or None,
            account=account.id or None,
            automatic_signal=self._responso_signal(message, msg_values),
            sender_email=email_normalize(message.email_from or "") or buyer.email_normalized or "",
            subject=(self._responso_subject(message) or "")[:TEXT_LIMIT],
            customer_name=buyer.name or "",
            text=plain_text(message.body)[:TEXT_LIMIT],
            is_return=bool(self._responso_is_return()),
            status=self._responso_status(),
            # a relation table: read only when a workflow asks about tags (one query, whatever their number)
            tags=self._responso_tags() if cond.TAG in self._responso_condition_kinds() else frozenset(),
        )

    def _responso_condition_kinds(self):
        """The condition kinds the company's workflows use (from the compiled cache: no query)."""
        return self.env["responso.workflow"]._responso_compiled(self._responso_company().id).index.kinds

    def _responso_account_calendar(self):
        """Id of the working-hours calendar of the record's account (its response working hours, else the company's
        autoresponder working hours, else its default ones), read by conditions on the account's working hours."""
        account = self._responso_account()
        # the response clock's cached settings name the same calendar: no account or company read
        settings = self.env["responso.account"]._responso_clock_settings(
            account.id or 0, 0 if account else self._responso_company().id)
        return settings.calendar_id or None

    def _responso_working_time(self, keys, moment):
        """Whether `moment` is working time, for each (calendar, tz) that a candidate workflow asks about."""
        working_calendar = self.env["resource.calendar"]._responso_working_calendar
        return {(calendar_id, tz): working_calendar(calendar_id).is_working(moment, tz) for calendar_id, tz in keys}

