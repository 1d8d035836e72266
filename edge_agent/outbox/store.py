"""The durable outbox: every reading is committed here before it counts as produced.

Only this package speaks SQL on the device. Readings get their per-device sequence number here;
they are deleted only when the uplink reports the broker acknowledged them (``ack``). The file is
bounded by ``max_bytes``: the oldest raw readings are compacted into aggregates, each with a gap
record saying which seqs it replaced. A corrupt file is moved aside and a fresh one started with a
gap record; a full disk keeps readings in a small memory buffer and retries (``errors`` says so).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from edge_agent.outbox import db as dbmod
from edge_agent.outbox.cap import compact_step, insert_gap
from edge_agent.outbox.records import (
    Extras,
    NewReading,
    OutboxStats,
    StoredAggregate,
    StoredGap,
    StoredReading,
)
from edge_agent.outbox.seqfile import SeqMark, read_mark, write_mark
from edge_agent.outbox.stats import read_stats

log = logging.getLogger(__name__)

SEQ_BLOCK = 10_000  # seqs reserved per write of the high-water file
_READING_COLS = "seq, t, pm25, sd, aqi, flags, mv, cv"


class Outbox:
    """Thread-safe durable queue of readings for one device (capture writes, uplink reads/acks)."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 64 * 1024 * 1024,
        compaction_interval_s: int = 3600,
        memory_buffer: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.compaction_interval_s = compaction_interval_s
        self._clock = clock
        self._lock = threading.RLock()
        self._buffer: deque[StoredReading] = deque()
        self._buffer_cap = memory_buffer
        self._mark_path = path.with_name(path.name + ".seq")
        self._errors: dict[str, str] = {}
        self._pending_gaps: list[tuple[int, int, int, int]] = []
        self._db = self._open()

    # -- opening and resets ------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        opened = dbmod.open_database(self.path)
        mark = read_mark(self._mark_path)
        db = opened.db
        stored = dbmod.get_meta(db, "next_seq")
        self._next_seq = (
            max(mark.ceiling, getattr(self, "_next_seq", 0)) if stored is None else stored
        )
        self._mark = mark
        if opened.moved_aside is not None:
            self._record_reset_gap(db, mark)
        return db

    def _record_reset_gap(self, db: sqlite3.Connection, mark: SeqMark) -> None:
        now = int(self._clock())
        last = self._next_seq - 1
        with db:
            if mark.acked_below <= last:
                insert_gap(db, "outbox_corrupt", (mark.acked_below, last), (None, None))
            else:
                insert_gap(db, "outbox_corrupt", (None, None), (now, now))
            dbmod.set_meta(db, "next_seq", self._next_seq)

    def _reset_corrupt(self, error: sqlite3.Error) -> None:
        log.error("outbox database failed with %s: resetting", error)
        self._db.close()
        dbmod.move_aside(self.path, str(error))
        self._db = self._open()

    # -- writing -----------------------------------------------------------------------------

    def append(self, reading: NewReading) -> int:
        """Commit one reading and return its seq."""
        return self.append_many([reading])[0]

    def append_many(self, readings: Sequence[NewReading]) -> list[int]:
        """Commit readings in one transaction; return their seqs (in memory while disk is full)."""
        with self._lock:
            rows = [self._assign(r) for r in readings]
            self._buffer.extend(rows)
            self._flush_buffer()
            return [r.seq for r in rows]

    def _assign(self, r: NewReading) -> StoredReading:
        seq = self._next_seq
        if seq >= self._mark.ceiling:
            self._mark = SeqMark(seq + SEQ_BLOCK, self._acked_below())
            try:
                write_mark(self._mark_path, self._mark)
            except OSError as e:
                self._errors["outbox_seq_file"] = f"cannot write seq high-water file: {e}"
        self._next_seq = seq + 1
        return StoredReading(seq, r.t, r.pm25, r.sd, r.aqi, r.flags, r.model_version, r.cv)

    def _new_seq(self) -> int:
        return self._assign(NewReading(0, 0, 0, 0, 0, 0)).seq

    def _acked_below(self) -> int:
        row = self._db.execute("SELECT min(seq) FROM readings").fetchone()
        return int(row[0]) if row and row[0] is not None else self._next_seq

    def _flush_buffer(self) -> None:
        if not self._buffer:
            return
        rows = list(self._buffer)
        try:
            with self._db:
                self._db.executemany(
                    f"INSERT OR IGNORE INTO readings ({_READING_COLS}) VALUES (?,?,?,?,?,?,?,?)",
                    [
                        (r.seq, r.t, r.pm25, r.sd, r.aqi, r.flags, r.model_version, r.cv)
                        for r in rows
                    ],
                )
                dbmod.set_meta(self._db, "next_seq", self._next_seq)
            self._buffer.clear()
            self._errors.pop("disk_full", None)
            self._enforce_cap()
        except sqlite3.Error as e:
            if dbmod.is_full(e):
                self._keep_in_memory(e)
            elif dbmod.is_corruption(e):
                self._reset_corrupt(e)
                self._flush_buffer()
            else:
                raise

    def _keep_in_memory(self, error: sqlite3.Error) -> None:
        self._errors["disk_full"] = f"outbox cannot write ({error}); {len(self._buffer)} in memory"
        dropped: list[StoredReading] = []
        while len(self._buffer) > self._buffer_cap:
            dropped.append(self._buffer.popleft())
        if dropped:
            log.error("disk full: dropped %d buffered readings", len(dropped))
            self._pending_gaps.append(
                (dropped[0].seq, dropped[-1].seq, dropped[0].t, dropped[-1].t)
            )

    def add_gap(
        self,
        reason: str,
        *,
        seq_range: tuple[int, int] | None = None,
        t_range: tuple[int, int] | None = None,
    ) -> None:
        """Record readings lost for good (e.g. camera unavailable) so the cloud learns of it."""
        with self._lock, self._db:
            s0, s1 = seq_range or (None, None)
            t0, t1 = t_range or (None, None)
            insert_gap(self._db, reason, (s0, s1), (t0, t1))

    # -- compaction --------------------------------------------------------------------------

    def _enforce_cap(self) -> None:
        if self._pending_gaps:
            with self._db:
                for s0, s1, t0, t1 in self._pending_gaps:
                    insert_gap(self._db, "disk_full", (s0, s1), (t0, t1))
            self._pending_gaps = []
        while dbmod.used_bytes(self._db) > self.max_bytes:
            if not compact_step(self._db, self._new_seq, self.compaction_interval_s):
                self._errors["outbox_full"] = "outbox over its byte cap and nothing left to compact"
                return
        self._errors.pop("outbox_full", None)

    # -- reading and acknowledging -----------------------------------------------------------

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[StoredReading]:
        return [StoredReading(*row) for row in self._db.execute(sql, tuple(params))]

    def unsent(
        self, after_seq: int = -1, limit: int = 1000, upto_seq: int | None = None
    ) -> list[StoredReading]:
        """Unacknowledged readings with ``after_seq < seq <= upto_seq``, oldest first."""
        with self._lock:
            hi = upto_seq if upto_seq is not None else 2**62
            return self._read(
                f"SELECT {_READING_COLS} FROM readings WHERE seq > ? AND seq <= ?"
                " ORDER BY seq LIMIT ?",
                (after_seq, hi, limit),
            )

    def newest_seq(self) -> int:
        """The highest seq assigned so far (-1 if none)."""
        with self._lock:
            return self._next_seq - 1

    def extras(self, limit: int = 500) -> Extras:
        """Aggregates and gaps not yet acknowledged, oldest first."""
        with self._lock:
            aggs = self._db.execute("SELECT * FROM aggregates ORDER BY seq LIMIT ?", (limit,))
            gaps = self._db.execute(
                "SELECT id, reason, seq_from, seq_to, t_from, t_to FROM gaps ORDER BY id LIMIT ?",
                (limit,),
            )
            return Extras(
                tuple(StoredAggregate(*row) for row in aggs.fetchall()),
                tuple(StoredGap(*row) for row in gaps.fetchall()),
            )

    def ack(
        self,
        seqs: Iterable[int] = (),
        aggregate_seqs: Iterable[int] = (),
        gap_ids: Iterable[int] = (),
    ) -> None:
        """The broker acknowledged these: delete them and note the sync time."""
        with self._lock:
            try:
                with self._db:
                    self._db.executemany("DELETE FROM readings WHERE seq = ?", [(s,) for s in seqs])
                    self._db.executemany(
                        "DELETE FROM aggregates WHERE seq = ?", [(s,) for s in aggregate_seqs]
                    )
                    self._db.executemany("DELETE FROM gaps WHERE id = ?", [(g,) for g in gap_ids])
                    dbmod.set_meta(self._db, "last_sync", int(self._clock()))
            except sqlite3.Error as e:
                if dbmod.is_corruption(e):
                    self._reset_corrupt(e)
                elif dbmod.is_full(e):
                    self._errors["disk_full"] = f"outbox cannot record acks ({e})"
                else:
                    raise
            self._flush_buffer()

    def stats(self) -> OutboxStats:
        with self._lock:
            return read_stats(
                self._db, len(self._buffer), self._next_seq, tuple(self._errors.values())
            )

    @property
    def error_codes(self) -> dict[str, str]:
        """Current problems, code -> message (empty when all is well)."""
        with self._lock:
            return dict(self._errors)

    def close(self) -> None:
        with self._lock:
            self._db.close()
