"""What the engine knows of one incoming buyer message: a snapshot made by the Odoo layer."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MessageFacts:
    """A buyer message, as the conditions see it.

    `received_at` is timezone-aware (UTC). Sources, integrations and accounts are ids of records; `labels`
    gives their names for the decision log. `working_time` holds, for each (calendar id, timezone) that a
    condition asks about, whether `received_at` falls in that calendar's working time (attendances minus
    leaves), as computed by Odoo's resource.calendar.
    """

    message_id: int
    received_at: datetime
    source: int | None = None
    integration: int | None = None
    account: int | None = None
    is_first_message: bool = False
    automatic_signal: str | None = None
    working_time: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")

    def label(self, kind, value):
        return self.labels.get((kind, value), value if value is not None else "—")
