import socket
from datetime import timedelta

from odoo import fields, models
from odoo.tools import html2plaintext

from ..engine.loop_guard import LOOP_HEADER, OwnIdentity, detect_in_email

BOUNCE_BLOCK_DAYS = 30  # an address our automatic replies bounced on gets none for this long

# the message values that only our own code may set: they decide whether a message is answered, and claim a
# marketplace message id (stored once per source and account)
RESPONSO_MESSAGE_FIELDS = frozenset({
    "responso_kind", "responso_account_id", "responso_auto_signal", "responso_auto_strength",
    "responso_external_id", "responso_source_id",
})
TRUSTED_CONTEXT_KEY = "responso_trusted_values"


class _TrustedValues:
    """The context value (``responso_trusted_values``) that marks our own code paths. A Python object, not a
    value: an RPC caller's context is JSON, so it can never hold it (as queue_job's EDIT_SENTINEL)."""

    __slots__ = ()

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return "<responso trusted values>"


RESPONSO_TRUSTED = _TrustedValues()


class MailThread(models.AbstractModel):
    """Mail gateway side of the loop guard: every incoming e-mail is checked for the marks of automatic mail
    (RFC 3834 headers, lists, bounces, out-of-office texts, our own messages), and what fired travels with the
    message to the autoresponder's decision. Odoo itself only ignores a sender after 20 mails in 120 minutes
    (``_detect_loop_sender``)."""

    _inherit = "mail.thread"

    def message_parse(self, message, save_original=False):
        msg_dict = super().message_parse(message, save_original=save_original)
        body = html2plaintext(msg_dict.get("body") or "")[:2000]
        signal = detect_in_email(message.items(), sender=msg_dict.get("email_from"),
                                 subject=msg_dict.get("subject") or "", body=body,
                                 own=self._responso_own_identity())
        if signal is not None:
            msg_dict["responso_auto_signal"] = signal.rule
            msg_dict["responso_auto_strength"] = signal.strength
        return msg_dict

    def _message_route_process(self, message, message_dict, routes):
        # the gateway's parsed values (message_parse above: the automatic-message signal) are ours: trusted
        return super(MailThread, self.with_context(**{TRUSTED_CONTEXT_KEY: RESPONSO_TRUSTED}))._message_route_process(
            message, message_dict, routes)

    def _responso_trusted_values(self):
        """Whether the ``responso_*`` values of a message being created come from our own code: the connectors,
        ``responso_post_buyer_message``, the mail gateway's parse (the context sentinel), or the sending cron's
        automatic reply (superuser, ``responso_auto_reply``). Never from an RPC caller."""
        context = self.env.context
        return context.get(TRUSTED_CONTEXT_KEY) is RESPONSO_TRUSTED or bool(
            self.env.su and context.get("responso_auto_reply"))

    def _responso_accepts_values(self):
        """Models that use the autoresponder mixin store ``responso_*`` message values (the mixin's
        ``_message_create`` keeps only trusted ones); every other model drops them silently."""
        return isinstance(self, self.env.registry["responso.autoresponder.mixin"])

    def _get_message_create_valid_field_names(self):
        names = super()._get_message_create_valid_field_names()
        if self._responso_accepts_values() and self.env.context.get(TRUSTED_CONTEXT_KEY) is RESPONSO_TRUSTED:
            names = names | RESPONSO_MESSAGE_FIELDS
        return names

    def _get_message_create_ignore_field_names(self):
        # the gateway parses every e-mail, whatever model it is routed to; an RPC caller may pass anything
        names = super()._get_message_create_ignore_field_names()
        if not (self._responso_accepts_values() and self.env.context.get(TRUSTED_CONTEXT_KEY) is RESPONSO_TRUSTED):
            names = names | RESPONSO_MESSAGE_FIELDS
        return names

    def _responso_loop_tag(self):
        """Our loop header's value: unique per database, so that two Odoo databases never mistake each other."""
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")[:16]

    def _responso_own_identity(self):
        domains = self.env["mail.alias.domain"].sudo().search([])
        addresses = set()
        for domain in domains:
            addresses.update(filter(None, (domain.catchall_email, domain.bounce_email, domain.default_from_email)))
        # Odoo's Message-IDs end with this host's name (tools.mail.generate_tracking_message_id); a bare name
        # such as "localhost" is too common in other mailers' Message-IDs to prove anything
        host = socket.gethostname()
        return OwnIdentity(message_id_domains=(host,) if "." in host else (), loop_header=LOOP_HEADER,
                           loop_tag=self._responso_loop_tag(), addresses=tuple(sorted(addresses)))

    def _routing_handle_bounce(self, email_message, message_dict):
        res = super()._routing_handle_bounce(email_message, message_dict)
        bounced = message_dict.get("bounced_message")
        partner = message_dict.get("bounced_partner")
        if bounced and partner and bounced.sudo().responso_kind == "auto_reply":
            until = fields.Datetime.now() + timedelta(days=BOUNCE_BLOCK_DAYS)
            partner.sudo().write({"responso_autoreply_blocked_until": until})
        return res
