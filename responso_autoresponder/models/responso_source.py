from odoo import fields, models

from ..engine.content_rules import ChannelRules


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
    max_length = fields.Integer(
        "Maximum Length", help="Longest message the marketplace accepts, in characters (0: no limit). "
                               "Checked when a workflow is saved.")
    plain_text = fields.Boolean(help="The marketplace shows plain text: formatted messages are converted, "
                                     "links kept readable.")
    forbids_contact_details = fields.Boolean(
        help="The marketplace's rules forbid links, e-mail addresses and phone numbers "
                                        "in messages to buyers: workflows warn about them.")

    def _responso_rules(self):
        self.ensure_one()
        return ChannelRules(self.display_name, max_length=self.max_length or None, plain_text=self.plain_text,
                            forbids_contact_details=self.forbids_contact_details)

    _sql_constraints = [("code_unique", "UNIQUE(code)", "A source code must be unique.")]
