# Inside Odoo this package is imported as odoo.addons.responso_autoresponder_demo, and loads its Odoo layer.
# The plain tests import it as responso_autoresponder_demo only to reach fakes/ (standard library only):
# there the Odoo layer must not load, since it would import odoo.
if __name__.startswith("odoo.addons."):
    from . import models
    from . import wizards
    from .hooks import pre_init_hook
