from . import responso_buyer_message_wizard
from . import responso_account_connect_wizard
from . import resource_calendar_holidays_wizard
from . import responso_workflow_test_wizard_common
from . import responso_workflow_test_wizard
from . import responso_workflow_replay
