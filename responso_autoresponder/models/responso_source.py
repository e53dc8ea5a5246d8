from odoo import fields, models


class ResponsoSource(models.Model):
    """Where a buyer message comes from (Allegro Discussions, Allegro Message Center, Amazon, eBay, E-mail)."""

    _name = "responso.source"
    _description = "Autoresponder Message Source"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical key, used by connectors.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    integration_id = fields.Many2one("responso.integration", required=True, ondelete="restrict")

    _sql_constraints = [("code_unique", "UNIQUE(code)", "A source code must be unique.")]
