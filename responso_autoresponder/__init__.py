# Inside Odoo this package is imported as odoo.addons.responso_autoresponder, and loads its Odoo layer.
# Plain Python (pytest, benchmarks, scripts) imports it as responso_autoresponder to reach engine/ and
# connectors/, which never import Odoo: there the Odoo layer must not load, since importing it would import
# odoo (absent, or not configured, outside an Odoo server).
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards

    def post_init_hook(env):
        """Every company starts with the default autoresponder working hours (10:00–18:00 on weekdays)."""
        env["res.company"].search([])._responso_ensure_calendar()

    def uninstall_hook(env):
        """The SQL functions (models/history_sql.py, models/workflow_days_sql.py) are ours: tables go with the
        models, they do not."""
        models.history_sql.drop_function(env.cr)
        models.workflow_days_sql.drop(env.cr)
