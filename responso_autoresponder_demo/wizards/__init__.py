from . import responso_buyer_message_wizard
