"""Decision logic of the autoresponder, in plain Python (no Odoo import).

The Odoo layer turns records into these plain inputs (facts, workflow specs) and turns the decisions
back into records. Everything here is deterministic and tested with plain pytest.
"""

from .conditions import Condition, condition_problems
from .decide import Decision, WorkflowSpec, decide
from .facts import MessageFacts
from .index import Outcome, WorkflowIndex
from .reasons import Reason
from .schedule import UnknownTimezone, check_timezone, local_time

__all__ = [
    "Condition",
    "Decision",
    "MessageFacts",
    "Outcome",
    "Reason",
    "UnknownTimezone",
    "WorkflowIndex",
    "WorkflowSpec",
    "check_timezone",
    "condition_problems",
    "decide",
    "local_time",
]
