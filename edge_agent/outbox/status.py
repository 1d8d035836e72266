"""Read-only look at an outbox file, safe while the agent writes it (``edge-agent status``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.outbox.records import OutboxStats
from edge_agent.outbox.stats import read_stats


def read_status(path: Path) -> OutboxStats:
    """Figures of the outbox at ``path`` through a read-only connection.

    Raises ``FileNotFoundError`` when there is no outbox there, ``sqlite3.DatabaseError`` if the
    file is not a readable outbox.
    """
    if not path.exists():
        raise FileNotFoundError(f"no outbox at {path}")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stats = read_stats(db, 0, None)
    finally:
        db.close()
    return stats
