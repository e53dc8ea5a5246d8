# Odoo imports addons as odoo.addons.<name>; plain Python (pytest, benchmarks) imports only engine/ and
# connectors/, which never import Odoo, so the Odoo layer is loaded only inside Odoo.
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards
