from odoo import _, api, fields, models
from odoo.tools import SQL, create_index, email_normalize

# plain field paths, safe for every manager (mail.render.mixin renders them without evaluating code)
RESPONSO_PLACEHOLDERS = (
    "object.buyer_id.name",
    "object.order_ref",
    "object.account_id.name",
    "object.source_id.name",
    "object.company_id.name",
    "object.external_thread_id",
)


class ResponsoConversation(models.Model):
    """One buyer thread on one account: its messages live in the chatter."""

    _name = "responso.conversation"
    _description = "Buyer Conversation"
    _inherit = ["responso.autoresponder.mixin", "mail.activity.mixin"]
    _order = "last_message_date desc, id desc"
    _check_company_auto = True
    _mail_post_access = "read"

    _responso_buyer_field = "buyer_id"
    _responso_account_field = "account_id"
    _responso_source_field = "source_id"

    name = fields.Char("Subject", required=True, tracking=True)
    account_id = fields.Many2one("responso.account", index=True, tracking=True, check_company=True)
    source_id = fields.Many2one(
        "responso.source", required=True, index=True, ondelete="restrict",
        default=lambda self: self.env.ref("responso_autoresponder.source_email", raise_if_not_found=False))
    integration_id = fields.Many2one(related="source_id.integration_id", store=True, index=True)
    buyer_id = fields.Many2one("res.partner", required=True, index=True, tracking=True)
    external_thread_id = fields.Char("External Thread ID", index="btree_not_null", copy=False,
                                     help="The thread's identifier on the marketplace.")
    order_ref = fields.Char("Order Reference", index="trigram", tracking=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], default="open", required=True,
                             tracking=True)
    last_message_date = fields.Datetime(readonly=True, default=fields.Datetime.now, copy=False,
                                        help="Date of the newest message in the chatter.")
    reply_ids = fields.One2many("responso.reply", "conversation_id", string="Automatic Replies")
    decision_ids = fields.One2many("responso.decision", "conversation_id", string="Autoresponder Decisions")
    reply_count = fields.Integer(compute="_compute_reply_count")

    _sql_constraints = [
        ("external_thread_unique", "UNIQUE(account_id, source_id, external_thread_id)",
         "This marketplace thread already has a conversation."),
    ]

    def _compute_reply_count(self):
        counts = dict(self.env["responso.reply"]._read_group(
            [("conversation_id", "in", self.ids)], ["conversation_id"], ["__count"]))
        for conversation in self:
            conversation.reply_count = counts.get(conversation, 0)

    @api.onchange("account_id")
    def _onchange_account_id(self):
        if self.account_id:
            self.company_id = self.account_id.company_id

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("account_id") and not vals.get("company_id"):
                vals["company_id"] = self.env["responso.account"].browse(vals["account_id"]).company_id.id
        conversations = super().create(vals_list)
        for conversation in conversations:
            agents = conversation.account_id.user_ids.partner_id
            if agents:
                conversation.message_subscribe(partner_ids=agents.ids)
        return conversations

    def init(self):
        res = super().init()
        # the Conversations list, newest first (the agents' main screen): its page read from the index instead of a
        # sort of every conversation; the per-message UPDATE that moves last_message_date mostly changes indexed
        # clock columns already, so the index costs it little
        create_index(self.env.cr, "responso_conversation_recent_idx", self._table,
                     ["last_message_date DESC", "id DESC"])
        return res

    def _message_post_after_hook(self, message, msg_values):
        # one UPDATE per message, instead of a stored compute that reads every message of the thread; extensions
        # add their columns to it (the response clock)
        columns = self._responso_post_columns(message, msg_values)
        self.flush_recordset(list(columns))  # a pending write of these fields must not come after ours
        self.env.cr.execute(SQL("UPDATE responso_conversation SET %s WHERE id = %s", SQL(", ").join([
            SQL("last_message_date = GREATEST(last_message_date, %s)", message.date),
            *(SQL("%s = %s", SQL.identifier(name), value) for name, value in columns.items())]), self.id))
        self.invalidate_recordset(["last_message_date", *columns])
        self.modified(["last_message_date", *columns])  # what was computed from them (the clock's state) is stale
        return super()._message_post_after_hook(message, msg_values)

    def _responso_post_columns(self, message, msg_values):
        """Columns (name: SQL value, None for empty) that the UPDATE of a message posted here sets, besides the
        last message date."""
        return {}

    def _message_compute_parent_id(self, parent_id):
        # a flat thread hangs each new message under its first one (a query per message, and one more to walk up
        # from a given parent) for the References of the e-mails Odoo sends; a marketplace conversation (API
        # transport) is threaded by the marketplace and its messages never reach the buyer by e-mail: a message
        # stands alone, or under the parent it is given (our replies: the buyer message they answer)
        if len(self) == 1 and self.env["responso.integration"]._responso_transports().get(
                self.integration_id.id) == "api":
            return parent_id or False
        return super()._message_compute_parent_id(parent_id)

    def _responso_integration(self):
        return self.integration_id  # stored: no need to read the source

    @api.model
    def mail_allowed_qweb_expressions(self):
        # The placeholders workflow messages document: with Odoo's rendering restriction on, a manager who is not
        # a Mail Template Editor may save exactly these (rendered without eval); anything else stays refused.
        return super().mail_allowed_qweb_expressions() + RESPONSO_PLACEHOLDERS

    def _responso_is_open(self):
        return self.state == "open"

    # ------------------------------------------------------------------
    # Notifications: the account's agents work conversations in Discuss
    # ------------------------------------------------------------------
    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        msg_vals = msg_vals or {}
        author_id = msg_vals.get("author_id") or message.author_id.id
        own = kwargs.get("notify_author") or self.env.context.get("mail_notify_author")
        if not own and author_id:
            # posted on someone else's behalf (the buyer by a connector or "Simulate", the Autoresponder): Odoo
            # would skip the user who posted it as if they were the author; only the real author is skipped (the
            # same as Odoo's when the user is the author, without reading the user)
            recipients = super()._notify_get_recipients(message, msg_vals, **dict(kwargs, notify_author=True))
            recipients = [data for data in recipients if data["id"] != author_id]
        else:
            recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        # agents (the account's team follows its conversations) get them in the Discuss inbox whatever their e-mail
        # preference: a buyer message e-mailed to agents is noise, and a failing mail server flags every one of them.
        # Read from the recipient data Odoo already fetched: no query on the hot path.
        agent_group = self.env["ir.model.data"]._xmlid_to_res_id("responso_autoresponder.group_responso_user")
        for data in recipients:
            if data["notif"] == "email" and not data["share"] and agent_group in data["groups"]:
                data["notif"] = "inbox"
        return recipients

    def action_close(self):
        self.write({"state": "closed"})

    def action_reopen(self):
        self.write({"state": "open"})

    def action_view_replies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("responso_autoresponder.responso_reply_action")
        action["domain"] = [("conversation_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Mail gateway: an e-mail to the autoresponder alias opens a conversation
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        email = email_normalize(msg_dict.get("email_from") or "")
        buyer = self.env["res.partner"].browse(msg_dict.get("author_id"))
        if not buyer and email:
            buyer = self.env["res.partner"].sudo()._find_or_create_from_emails([msg_dict["email_from"]])[0]
        if buyer:
            # the gateway posts the first message right after this: make the new buyer its author
            msg_dict["author_id"] = buyer.id
        values.setdefault("buyer_id", buyer.id)
        values.setdefault("name", msg_dict.get("subject") or _("(no subject)"))
        return super().message_new(msg_dict, custom_values=values)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if self.buyer_id and self._responso_transport() == "email":
            self._message_add_suggested_recipient(recipients, partner=self.buyer_id, reason=_("Buyer"))
        return recipients
