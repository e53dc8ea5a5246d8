from odoo.tools import SQL

# Demo records that responso_autoresponder held before this addon existed (same names, now ours).
ADOPTED = ("demo_account_allegro", "demo_account_ebay", "demo_buyer_jan", "demo_buyer_ebay",
           "demo_conversation_allegro", "demo_conversation_allegro_discussion", "demo_conversation_ebay",
           "demo_message_allegro", "demo_message_ebay")


def pre_init_hook(env):
    """A database made before the demo addon existed holds these demo records under responso_autoresponder:
    adopt them, so that installing this addon updates them instead of creating them twice."""
    env.cr.execute(SQL(
        "UPDATE ir_model_data SET module = 'responso_autoresponder_demo' "
        "WHERE module = 'responso_autoresponder' AND name IN %s", ADOPTED))
