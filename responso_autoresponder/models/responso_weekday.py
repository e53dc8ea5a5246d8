from odoo import fields, models


class ResponsoWeekday(models.Model):
    _name = "responso.weekday"
    _description = "Day of the Week"
    _order = "number"

    name = fields.Char(required=True, translate=True)
    number = fields.Integer(required=True, help="0 = Monday … 6 = Sunday, as Python's weekday().")

    _sql_constraints = [
        ("number_unique", "UNIQUE(number)", "Each day of the week exists once."),
        ("number_range", "CHECK(number BETWEEN 0 AND 6)", "A day of the week is numbered 0 (Monday) to 6 (Sunday)."),
    ]
