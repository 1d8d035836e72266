"""The durable SQLite outbox: readings wait here, with their seqs, until the broker has them."""

from edge_agent.outbox.records import (
    Extras,
    NewReading,
    OutboxStats,
    StoredAggregate,
    StoredGap,
    StoredReading,
)
from edge_agent.outbox.status import read_status
from edge_agent.outbox.store import Outbox

__all__ = [
    "Extras",
    "NewReading",
    "Outbox",
    "OutboxStats",
    "StoredAggregate",
    "StoredGap",
    "StoredReading",
    "read_status",
]
