"""What the engine knows of one incoming buyer message: a snapshot made by the Odoo layer."""

from dataclasses import dataclass, field
from datetime import datetime

TEXT_LIMIT = 4000  # characters of the message's text the conditions read (and the decision log keeps)


@dataclass(frozen=True)
class MessageFacts:
    """A buyer message, as the conditions see it.

    `received_at` is timezone-aware (UTC). Sources, integrations and accounts are ids of records; `labels`
    gives their names for the decision log. `working_time` holds, for each (calendar id, timezone) that a
    condition asks about, whether `received_at` falls in that calendar's working time (attendances minus
    leaves), as computed by Odoo's resource.calendar.

    The text facts come from the message and its thread, already in memory: `sender_email` (normalized address,
    lowercase), `subject`, `customer_name`, `text` (the body as plain text, bounded: see TEXT_LIMIT).
    `is_new_conversation`: no earlier buyer message in the thread (from the history query); `is_return`: the
    thread is the marketplace's return / post-purchase issue thread (when the connector knows it). `tags` and `status`
    are ids of the conversation's tags and status; `last_customer_message` is when the buyer last wrote in the
    thread before this message (None: never). `account_calendar`: the id of the working-hours calendar of the
    message's account (its response working hours, else the company's), read by working-hours conditions on "the
    account's working hours" (None: no such condition, or no calendar).
    """

    message_id: int
    received_at: datetime
    source: int | None = None
    integration: int | None = None
    account: int | None = None
    is_first_message: bool = False
    automatic_signal: str | None = None
    working_time: dict = field(default_factory=dict)
    sender_email: str = ""
    subject: str = ""
    customer_name: str = ""
    text: str = ""
    is_new_conversation: bool = False
    is_return: bool = False
    tags: frozenset = frozenset()  # ids of the conversation's tags
    status: int | None = None  # id of the conversation's status
    last_customer_message: datetime | None = None  # the buyer's previous message in the thread (history query)
    account_calendar: int | None = None
    labels: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")

    def label(self, kind, value):
        return self.labels.get((kind, value), value if value is not None else "—")
