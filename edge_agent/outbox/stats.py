"""Outbox figures from any connection: the agent's own, or ``edge-agent status`` read-only."""

from __future__ import annotations

import sqlite3

from edge_agent.outbox import db as dbmod
from edge_agent.outbox.records import OutboxStats


def read_stats(
    db: sqlite3.Connection, buffered: int, next_seq: int | None, errors: tuple[str, ...] = ()
) -> OutboxStats:
    """Outbox figures from any connection (the agent's own, or ``edge-agent status`` read-only)."""
    depth, oldest = db.execute("SELECT count(*), min(t) FROM readings").fetchone()
    extras = db.execute(
        "SELECT (SELECT count(*) FROM aggregates) + (SELECT count(*) FROM gaps)"
    ).fetchone()[0]
    seq = next_seq if next_seq is not None else dbmod.get_meta(db, "next_seq") or 0
    return OutboxStats(
        depth=int(depth) + buffered,
        extras=int(extras),
        oldest_unsent_t=None if oldest is None else int(oldest),
        last_sync_t=dbmod.get_meta(db, "last_sync"),
        next_seq=seq,
        used_bytes=dbmod.used_bytes(db),
        errors=errors,
    )
