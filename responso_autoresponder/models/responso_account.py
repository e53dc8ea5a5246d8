from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _lang_get

from ..engine.language import SITE_LANGUAGES


def _site_get(self):
    return [(site, site) for site in SITE_LANGUAGES]


class ResponsoAccount(models.Model):
    """A seller account on an integration (an Allegro login, an eBay user, an Amazon seller, a mailbox)."""

    _name = "responso.account"
    _description = "Marketplace Account"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    integration_id = fields.Many2one("responso.integration", required=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    user_ids = fields.Many2many(
        "res.users", string="Agents", domain=[("share", "=", False)],
        help="Agents follow this account's conversations and get its buyer messages in their Discuss inbox.")
    active = fields.Boolean(default=True)
    marketplace_site = fields.Selection(
        _site_get, compute="_compute_marketplace_site", store=True, readonly=False,
        help="The site this account sells on (amazon.fr, allegro.pl…): its buyers' language when their message "
             "is too short to tell and their contact has none.")
    lang = fields.Selection(
        _lang_get, string="Language",
        help="Language of automatic replies when neither the buyer's message, the buyer nor the site tells it.")
    responso_paused = fields.Boolean(
        "Automatic Replies Paused", tracking=True, copy=False,
        help="Set when a cap on automatic replies tripped: nothing is sent until a manager resumes.")
    responso_pause_reason = fields.Char("Pause Reason", readonly=True, copy=False)
    conversation_count = fields.Integer(compute="_compute_conversation_count")

    @api.depends("integration_id")
    def _compute_marketplace_site(self):
        # Allegro accounts sell on allegro.pl unless told otherwise; other marketplaces have a site per country
        for account in self:
            default = "allegro.pl" if account.integration_id.code == "allegro" else False
            account.marketplace_site = account.marketplace_site or default

    def _compute_conversation_count(self):
        counts = dict(self.env["responso.conversation"]._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        for account in self:
            account.conversation_count = counts.get(account, 0)

    def write(self, vals):
        res = super().write(vals)
        if "user_ids" in vals:
            # new agents follow the open conversations they will now answer
            conversations = self.env["responso.conversation"].search([("account_id", "in", self.ids)])
            for account in self:
                conversations.filtered(lambda c, account=account: c.account_id == account).message_subscribe(
                    partner_ids=account.user_ids.partner_id.ids)
        return res

    def action_view_conversations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("responso_autoresponder.responso_conversation_action")
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"default_account_id": self.id}
        return action


    def _responso_pause(self, reason):
        """A cap tripped: stop this account's automatic replies and tell its managers."""
        for account in self.filtered(lambda a: not a.responso_paused):
            account.write({"responso_paused": True, "responso_pause_reason": reason})
            managers = self.env.ref("responso_autoresponder.group_responso_manager").users.filtered(
                lambda user, account=account: account.company_id in user.company_ids)
            # written by the Autoresponder (in the company's language, whoever's action tripped the cap), so every
            # manager is told, the one whose action tripped it too
            author = account.with_context(lang=account.company_id.partner_id.lang or self.env.lang,
                                          mail_notify_author=True)
            author.message_post(
                body=author.env._("Automatic replies of %(account)s are paused: %(reason)s. Check the conversations, "
                                  "then resume them from the account.", account=account.name, reason=reason),
                author_id=self.env.ref("responso_autoresponder.partner_autoresponder").id,
                email_from=account.company_id.email_formatted or None, partner_ids=managers.partner_id.ids,
                message_type="comment", subtype_xmlid="mail.mt_comment")

    def action_resume_replies(self):
        self.write({"responso_paused": False, "responso_pause_reason": False})
