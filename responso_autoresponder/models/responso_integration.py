from odoo import fields, models


class ResponsoIntegration(models.Model):
    """A marketplace or channel the seller is connected to (Allegro, Amazon, eBay, E-mail).

    `transport` says how replies reach the buyer; connector modules add their own transports."""

    _name = "responso.integration"
    _description = "Autoresponder Integration"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical key, used by connectors.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    transport = fields.Selection(
        [("email", "E-mail"), ("api", "Marketplace API"), ("chatter", "Chatter only")], required=True,
        default="chatter",
        help="E-mail: the reply is e-mailed to the buyer (Amazon's buyer relay is e-mail too).\n"
             "Marketplace API: the reply is sent through the account's connector (Allegro, eBay).\n"
             "Chatter only: the reply is recorded in the conversation, for a module without connector.")
    source_ids = fields.One2many("responso.source", "integration_id", string="Sources")

    _sql_constraints = [("code_unique", "UNIQUE(code)", "An integration code must be unique.")]
