"""The outbox against a real SQLite file: seqs, acks, restarts, migrations, read-only status."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.outbox import Outbox, read_status
from edge_agent.outbox.migrations import MIGRATIONS
from tests.edge_agent.outbox_helpers import reading


def test_seqs_are_assigned_in_order_from_zero(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    assert [box.append(reading(i)) for i in range(3)] == [0, 1, 2]
    assert [r.seq for r in box.unsent()] == [0, 1, 2]
    assert box.unsent()[1].pm25 == reading(1).pm25


def test_seqs_continue_after_restart(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append_many([reading(i) for i in range(5)])
    box.ack([0, 1, 2, 3, 4])
    box.close()
    again = Outbox(tmp_path / "outbox.db")
    assert again.append(reading(5)) == 5


def test_ack_removes_only_acknowledged_readings(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=lambda: 1_750_000_500.0)
    box.append_many([reading(i) for i in range(4)])
    box.ack([1, 2])
    assert [r.seq for r in box.unsent()] == [0, 3]
    stats = box.stats()
    assert (stats.depth, stats.last_sync_t, stats.oldest_unsent_t) == (
        2,
        1_750_000_500,
        reading(0).t,
    )


def test_unsent_window_and_limit(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append_many([reading(i) for i in range(10)])
    assert [r.seq for r in box.unsent(after_seq=2, upto_seq=6, limit=3)] == [3, 4, 5]
    assert box.newest_seq() == 9


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    Outbox(tmp_path / "outbox.db").close()
    Outbox(tmp_path / "outbox.db").close()
    db = sqlite3.connect(tmp_path / "outbox.db")
    names = [row[0] for row in db.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_status_reads_while_the_outbox_is_open(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append_many([reading(i) for i in range(7)])
    box.ack([0, 1])
    stats = read_status(tmp_path / "outbox.db")
    assert (stats.depth, stats.next_seq) == (5, 7)
    box.append(reading(7))
    assert read_status(tmp_path / "outbox.db").depth == 6


def test_gap_records_are_kept_until_acked(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.add_gap("camera_unavailable", t_range=(100, 200))
    gaps = box.extras().gaps
    assert [(g.reason, g.t_from, g.t_to, g.seq_from) for g in gaps] == [
        ("camera_unavailable", 100, 200, None)
    ]
    box.ack(gap_ids=[gaps[0].id])
    assert not box.extras()
