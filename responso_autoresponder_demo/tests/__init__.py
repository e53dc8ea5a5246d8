from . import test_connectors
from . import test_demo_mode
