# Copyright 2026 Responso
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Autoresponder Demo",
    "summary": "Try the autoresponder without marketplace credentials: demo accounts on fake Allegro and eBay",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "website": "https://github.com/responso/responso_autoresponder",
    "author": "Responso",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["responso_autoresponder"],
    "pre_init_hook": "pre_init_hook",
    "demo": [
        "demo/responso_demo.xml",
    ],
}
