from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """1.1: one decision row per buyer message instead of one per workflow."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["responso.decision"]._responso_migrate_legacy_rows()
