from . import test_connectors
from . import test_demo_mode
from . import test_at_most_once
from . import test_secrets
from . import test_attachments
from . import test_oauth_state
from . import test_oauth_route
