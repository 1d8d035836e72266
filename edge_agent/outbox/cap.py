"""Keeping the outbox under its byte cap: compaction into aggregates, and gap records.

The decisions (which rows, which windows) are pure, in :mod:`edge_agent.outbox.compaction`; this
module applies them to the database inside one transaction per step.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from edge_agent.outbox import db as dbmod
from edge_agent.outbox.compaction import compaction_share, plan_aggregates
from edge_agent.outbox.records import StoredReading

log = logging.getLogger(__name__)
_READING_COLS = "seq, t, pm25, sd, aqi, flags, mv, cv"


def _read(db: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[StoredReading]:
    return [StoredReading(*row) for row in db.execute(sql, params)]


def insert_gap(
    db: sqlite3.Connection,
    reason: str,
    seqs: tuple[int | None, int | None],
    times: tuple[int | None, int | None],
) -> None:
    db.execute(
        "INSERT INTO gaps (reason, seq_from, seq_to, t_from, t_to) VALUES (?,?,?,?,?)",
        (reason, *seqs, *times),
    )


def compact_step(db: sqlite3.Connection, new_seq: Callable[[], int], interval_s: int) -> bool:
    """One compaction step towards the byte cap; False when nothing is left to compact."""
    depth = db.execute("SELECT count(*) FROM readings").fetchone()[0]
    if depth >= 2:
        rows = _read(
            db,
            f"SELECT {_READING_COLS} FROM readings ORDER BY seq LIMIT ?",
            (compaction_share(depth),),
        )
        interval = interval_s
        plans = plan_aggregates(rows, interval)
        while len(plans) * 2 > len(rows) and interval < 86_400:
            interval *= 4
            plans = plan_aggregates(rows, interval)
        seq = -1
        with db:
            for p in plans:
                seq = new_seq()
                db.executemany("DELETE FROM readings WHERE seq = ?", [(s,) for s in p.seqs])
                db.execute(
                    "INSERT INTO aggregates VALUES (?,?,?,?,?,?,?)",
                    (seq, p.t_from, p.t_to, p.n, p.mean, p.min, p.max),
                )
                insert_gap(db, "compacted", (p.seqs[0], p.seqs[-1]), (p.t_from, p.t_to))
            dbmod.set_meta(db, "next_seq", seq + 1)
        log.warning("outbox full: compacted %d readings into %d aggregates", len(rows), len(plans))
        return True
    return drop_oldest_aggregates(db)


def drop_oldest_aggregates(db: sqlite3.Connection) -> bool:
    """Drop the oldest half of the aggregates, recording an ``outbox_full`` gap."""
    aggs = db.execute("SELECT seq, t_from, t_to FROM aggregates ORDER BY seq").fetchall()
    if not aggs:
        return False
    drop = aggs[: max(1, len(aggs) // 2)]
    with db:
        db.executemany("DELETE FROM aggregates WHERE seq = ?", [(a[0],) for a in drop])
        t0, t1 = min(a[1] for a in drop), max(a[2] for a in drop)
        insert_gap(db, "outbox_full", (drop[0][0], drop[-1][0]), (t0, t1))
    log.error("outbox full: dropped %d aggregates (gap recorded)", len(drop))
    return True
