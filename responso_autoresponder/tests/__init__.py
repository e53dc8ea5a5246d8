from . import test_workflow_form
from . import test_conditions
from . import test_message_hook
from . import test_reply_queue
from . import test_templates
from . import test_security
from . import test_performance
