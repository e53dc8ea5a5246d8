# Copyright 2026 Responso
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Autoresponder",
    "summary": "Answer Allegro, Amazon, eBay and e-mail buyers automatically: workflows, templates, loop-safe",
    "version": "18.0.1.1.0",
    "category": "Services/Helpdesk",
    "website": "https://github.com/responso/responso_autoresponder",
    "author": "Responso",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["mail", "resource"],
    "external_dependencies": {"python": ["requests", "python-dateutil", "lingua-language-detector"]},
    "data": [
        "security/responso_security.xml",
        "security/ir.model.access.csv",
        "data/responso_weekday_data.xml",
        "data/responso_source_data.xml",
        "data/mail_message_subtype_data.xml",
        "data/res_partner_data.xml",
        "data/ir_cron_data.xml",
        "data/responso_workflow_template_data.xml",
        "views/responso_source_views.xml",
        "wizards/responso_account_connect_wizard_views.xml",
        "views/responso_account_views.xml",
        "views/responso_reply_views.xml",
        "views/responso_decision_views.xml",
        "wizards/responso_workflow_test_wizard_views.xml",
        "wizards/responso_workflow_replay_views.xml",
        "views/responso_workflow_views.xml",
        "wizards/responso_buyer_message_wizard_views.xml",
        "views/responso_conversation_views.xml",
        "views/res_config_settings_views.xml",
        "views/responso_menus.xml",
    ],
    "demo": [
        "demo/responso_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "responso_autoresponder/static/src/**/*",
        ],
        "web.assets_tests": [
            "responso_autoresponder/static/tests/tours/**/*",
        ],
    },
}
