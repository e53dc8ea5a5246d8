from . import test_connectors
from . import test_demo_mode
from . import test_polling_steps
from . import test_pacing
