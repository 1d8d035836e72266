"""The embedded series store: one SQLite file in WAL mode, the default for a single box.

``readings`` is keyed by ``(device, seq)`` (``WITHOUT ROWID``: the key is the table), so
``INSERT OR IGNORE`` makes a redelivered reading a no-op and ``changes()`` counts the new ones.
Secondary indexes on ``(device, t)`` and ``(zone, t)`` serve the time-range queries. Each
:meth:`write` is one transaction: it returns only after the commit, so the caller may ack.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from cloud_hub.errors import StoreUnavailable
from cloud_hub.series.base import (
    Bucket,
    Downsampled,
    RawSeries,
    Selection,
    StoredAggregate,
    StoredGap,
    StoredReading,
    check_interval,
)

__all__ = ["SqliteSeriesStore"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS readings (
    device TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL, zone TEXT,
    pm25 REAL NOT NULL, sd REAL NOT NULL, aqi INTEGER NOT NULL, flags INTEGER NOT NULL,
    mv INTEGER NOT NULL, received INTEGER,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_device_t ON readings (device, t);
CREATE INDEX IF NOT EXISTS readings_zone_t ON readings (zone, t);
CREATE TABLE IF NOT EXISTS aggregates (
    device TEXT NOT NULL, seq INTEGER NOT NULL, zone TEXT, t_from INTEGER NOT NULL,
    t_to INTEGER NOT NULL, n INTEGER NOT NULL, mean REAL NOT NULL, min REAL NOT NULL,
    max REAL NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aggregates_zone_t ON aggregates (zone, t_from);
CREATE TABLE IF NOT EXISTS gaps (
    device TEXT NOT NULL, zone TEXT, reason TEXT NOT NULL,
    seq_from INTEGER, seq_to INTEGER, t_from INTEGER, t_to INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS gaps_identity ON gaps (
    device, reason, coalesce(seq_from, -1), coalesce(seq_to, -1),
    coalesce(t_from, -1), coalesce(t_to, -1)
);
"""
_READING_COLS: Final = "device, seq, t, pm25, sd, aqi, flags, mv, zone, received"
_GAP_COLS: Final = "device, reason, seq_from, seq_to, t_from, t_to, zone"
_AGG_COLS: Final = "device, seq, t_from, t_to, n, mean, min, max, zone"


class SqliteSeriesStore:
    """A ``SeriesStore`` in one SQLite file, with one connection per thread."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 10_000) -> None:
        self._path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._errors("create schema"):
            self._conn().executescript(_SCHEMA)

    def write(
        self,
        readings: Sequence[StoredReading],
        gaps: Sequence[StoredGap] = (),
        aggregates: Sequence[StoredAggregate] = (),
    ) -> int:
        conn = self._conn()
        with self._errors("write"), conn:
            before = conn.total_changes
            conn.executemany(
                f"INSERT OR IGNORE INTO readings ({_READING_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (r.device_id, r.seq, r.captured_at, r.pm25, r.pm25_sd, r.aqi, r.flags,
                     r.model_version, r.zone, r.received_at)
                    for r in readings
                ],
            )  # fmt: skip
            new = conn.total_changes - before
            conn.executemany(
                f"INSERT OR IGNORE INTO gaps ({_GAP_COLS}) VALUES (?,?,?,?,?,?,?)",
                [(g.device_id, g.reason, g.seq_from, g.seq_to, g.t_from, g.t_to, g.zone)
                 for g in gaps],
            )  # fmt: skip
            conn.executemany(
                f"INSERT OR IGNORE INTO aggregates ({_AGG_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
                [(a.device_id, a.seq, a.t_from, a.t_to, a.n, a.mean, a.min, a.max, a.zone)
                 for a in aggregates],
            )  # fmt: skip
        return new

    def query_raw(self, selection: Selection, limit: int = 10_000) -> RawSeries:
        where, args = _where(selection, "t")
        with self._errors("query"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_READING_COLS} FROM readings WHERE {where} ORDER BY t, device, seq "
                    "LIMIT ?",
                    [*args, limit + 1],
                )
                .fetchall()
            )
            agg_where, agg_args = _where(selection, "t_from")
            aggs = (
                self._conn()
                .execute(
                    f"SELECT {_AGG_COLS} FROM aggregates WHERE {agg_where} ORDER BY t_from, device",
                    agg_args,
                )
                .fetchall()
            )
        return RawSeries(
            readings=[StoredReading(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
                      for r in rows[:limit]],
            aggregates=[StoredAggregate(*a) for a in aggs],
            gaps=self._selection_gaps(selection),
            truncated=len(rows) > limit,
        )  # fmt: skip

    def query_downsampled(self, selection: Selection, interval_s: int) -> Downsampled:
        step = check_interval(interval_s)
        where, args = _where(selection, "t")
        agg_where, agg_args = _where(selection, "t_from")
        sql = f"""
            SELECT (t / ?) * ? AS b, sum(n), sum(total) / sum(n), min(lo), max(hi) FROM (
                SELECT t, 1 AS n, pm25 AS total, pm25 AS lo, pm25 AS hi
                FROM readings WHERE {where}
                UNION ALL
                SELECT t_from AS t, n, mean * n, min, max FROM aggregates WHERE {agg_where}
            ) GROUP BY b ORDER BY b"""
        with self._errors("query"):
            rows = self._conn().execute(sql, [step, step, *args, *agg_args]).fetchall()
        return Downsampled(
            interval_s=step,
            buckets=[Bucket(b, n, mean, lo, hi) for b, n, mean, lo, hi in rows],
            gaps=self._selection_gaps(selection),
        )

    def gaps(self, device_id: str, start: int, end: int) -> list[StoredGap]:
        return self._gap_query("device = ?", [device_id], start, end)

    def ping(self) -> None:
        with self._errors("ping"):
            self._conn().execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def _selection_gaps(self, selection: Selection) -> list[StoredGap]:
        if selection.zone is not None:
            return self._gap_query("zone = ?", [selection.zone], selection.start, selection.end)
        marks = ",".join("?" * len(selection.device_ids))
        return self._gap_query(
            f"device IN ({marks})", list(selection.device_ids), selection.start, selection.end
        )

    def _gap_query(self, who: str, args: list[Any], start: int, end: int) -> list[StoredGap]:
        # A gap known only by sequence numbers has no place in time: it is shown with every range.
        sql = (
            f"SELECT {_GAP_COLS} FROM gaps WHERE {who} AND "
            "(t_from IS NULL OR (t_from < ? AND t_to >= ?)) ORDER BY device, t_from, seq_from"
        )
        with self._errors("query"):
            rows = self._conn().execute(sql, [*args, end, start]).fetchall()
        return [StoredGap(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._errors("open"):
                conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL in WAL mode: a commit survives a process crash (our failure model:
                # the hub is killed); only an OS crash may lose the last commits.
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.isolation_level = "DEFERRED"
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise StoreUnavailable(f"SQLite series store {self._path}: {what} failed: {e}") from e


def _where(selection: Selection, time_col: str) -> tuple[str, list[Any]]:
    span = f"{time_col} >= ? AND {time_col} < ?"
    if selection.zone is not None:
        return f"zone = ? AND {span}", [selection.zone, selection.start, selection.end]
    marks = ",".join("?" * len(selection.device_ids))
    return (
        f"device IN ({marks}) AND {span}",
        [*selection.device_ids, selection.start, selection.end],
    )
