"""Readings carry the calibration version: the outbox keeps it per reading (migration for old
outboxes), a batch never spans a change, and the wire batch says it in ``cv``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge_agent.batching import readings_batch, same_model_prefix
from edge_agent.outbox import NewReading, Outbox
from edge_agent.outbox.migrations import m001_initial
from pm25.errors import WireError
from pm25.wire import ReadingBatch, decode, encode


def test_old_outbox_gets_the_column_and_batches_split_on_calibration(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    db = sqlite3.connect(path)  # an outbox written by an agent before calibration existed
    with db:
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at INTEGER)")
        m001_initial(db)
        db.execute("INSERT INTO _migrations VALUES ('m001_initial', 0)")
        db.execute("INSERT INTO readings VALUES (1, 1000, 30.0, 3.0, 1, 0, 4)")
        db.execute("INSERT INTO meta VALUES ('next_seq', 2)")
    db.close()
    outbox = Outbox(path)
    try:
        outbox.append_many(
            [NewReading(1001, 20.0, 2.0, 1, 1, 4, 7), NewReading(1002, 21.0, 2.0, 1, 1, 4, 7)]
        )
        rows = outbox.unsent()
    finally:
        outbox.close()
    assert [(r.seq, r.cv) for r in rows] == [(1, 0), (2, 7), (3, 7)]
    first = same_model_prefix(rows)
    assert [r.seq for r in first] == [1]
    assert readings_batch("cam-1", first).cv is None
    calibrated = readings_batch("cam-1", same_model_prefix(rows[1:]))
    assert (calibrated.cv, calibrated.fl) == (7, (1, 1))
    assert b'"cv":7' in encode(calibrated)


def test_wire_cv() -> None:
    b = decode(
        ReadingBatch,
        b'{"v":1,"d":"cam-1","mv":1,"cv":3,"s0":1,"t0":1000,"dt":[0],"pm":[1],"sd":[1],"aqi":[0],"fl":[1]}',
    )
    assert b.cv == 3 and decode(ReadingBatch, encode(b)) == b
    with pytest.raises(WireError, match="cv"):
        decode(
            ReadingBatch,
            b'{"v":1,"d":"cam-1","mv":1,"cv":0,"s0":1,"t0":1000,"dt":[0],"pm":[1],"sd":[1],"aqi":[0]}',
        )
