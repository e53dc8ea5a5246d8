from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, create_index

from .mail_thread import RESPONSO_MESSAGE_FIELDS, RESPONSO_TRUSTED, TRUSTED_CONTEXT_KEY


class MailMessage(models.Model):
    _inherit = "mail.message"

    responso_kind = fields.Selection(
        [("buyer", "Buyer message"), ("auto_reply", "Automatic reply"), ("seller", "Seller's marketplace message")],
        string="Autoresponder Role", readonly=True, index="btree_not_null",
        help="Buyer messages are evaluated by the autoresponder; automatic replies never are. A message the seller "
             "wrote on the marketplace (fetched by the poll) answers the buyer: it cancels waiting automatic replies.")
    responso_account_id = fields.Many2one(
        "responso.account", string="Marketplace Account", readonly=True, index="btree_not_null",
        ondelete="set null")
    responso_source_id = fields.Many2one("responso.source", string="Message Source", readonly=True,
                                         ondelete="set null")
    responso_external_id = fields.Char(
        "External Message ID", readonly=True, copy=False,
        help="The message's id on the marketplace: a message is stored once per source and account.")
    responso_auto_signal = fields.Char(
        "Automatic-Message Signal", readonly=True,
        help="What marked this incoming message as sent by a machine (a header, a sender, a phrase).")
    responso_auto_strength = fields.Selection(
        [("hard", "Automatic"), ("soft", "Probably automatic")], string="Signal Strength", readonly=True)

    def init(self):
        res = super().init()
        # exactly once: re-polls, overlapping polls and gateway retries cannot store a marketplace message twice
        self.env.cr.execute(SQL(
            """CREATE UNIQUE INDEX IF NOT EXISTS mail_message_responso_external_unique
                   ON mail_message (responso_source_id, COALESCE(responso_account_id, 0), responso_external_id)
                WHERE responso_external_id IS NOT NULL"""))
        # "first message of the buyer to this account": an index lookup among that author's buyer messages
        create_index(self.env.cr, "mail_message_responso_buyer_author_idx", self._table,
                     ["author_id", "responso_account_id"], where="responso_kind = 'buyer'")
        return res

    # ------------------------------------------------------------------
    # The autoresponder's values: set by its own code only
    # ------------------------------------------------------------------
    def _responso_values_trusted(self):
        """Our own code paths (the threads' ``_message_create``, the gateway, the connectors: the context sentinel an
        RPC caller cannot send) or superuser code."""
        return self.env.su or self.env.context.get(TRUSTED_CONTEXT_KEY) is RESPONSO_TRUSTED

    @api.model_create_multi
    def create(self, vals_list):
        # a message created directly (over RPC: any user may create one linked to no record) must not claim a
        # marketplace message id (the poll would take the real message for stored) nor a role
        if not self._responso_values_trusted():
            for vals in vals_list:
                for name in RESPONSO_MESSAGE_FIELDS.intersection(vals):
                    del vals[name]
        return super().create(vals_list)

    def write(self, vals):
        forbidden = sorted(RESPONSO_MESSAGE_FIELDS.intersection(vals))
        if forbidden and not self._responso_values_trusted():
            raise AccessError(_("Only the autoresponder sets these values of a message: %(fields)s.",
                                fields=", ".join(forbidden)))
        return super().write(vals)

    def _responso_stored(self, source_id, account_id, external_id):
        """The message already stored for (source, account, marketplace id), or none: a lookup of exactly the
        unique index above (its COALESCE on the account), so that it costs the same with a million messages of the
        source; a domain on the account column would scan every message of the source."""
        self.env.cr.execute(SQL(
            """SELECT id FROM mail_message
                WHERE responso_source_id = %s AND COALESCE(responso_account_id, 0) = %s
                  AND responso_external_id = %s
                LIMIT 1""", source_id, account_id or 0, external_id))
        return self.browse(self.env.cr.fetchone() or ()).sudo()
