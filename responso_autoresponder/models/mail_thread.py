import socket
from datetime import timedelta

from odoo import fields, models
from odoo.tools import html2plaintext

from ..engine.loop_guard import LOOP_HEADER, OwnIdentity, detect_in_email

BOUNCE_BLOCK_DAYS = 30  # an address our automatic replies bounced on gets none for this long


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

    def _get_message_create_valid_field_names(self):
        # the gateway posts the parsed values on whatever model the e-mail is routed to
        return super()._get_message_create_valid_field_names() | {
            "responso_kind", "responso_account_id", "responso_auto_signal", "responso_auto_strength",
            "responso_external_id", "responso_source_id",
        }

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
