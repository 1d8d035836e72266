"""Faults the outbox survives: SIGKILL of a writer, a corrupt file, a full disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.outbox import Outbox
from tests.edge_agent.outbox_helpers import reading

WRITER = """
import sys
from pathlib import Path
from edge_agent.outbox import Outbox
from tests.edge_agent.outbox_helpers import reading
box = Outbox(Path(sys.argv[1]))
i = 0
while True:
    seq = box.append(reading(i))
    print(seq, flush=True)
    i += 1
"""


def test_sigkill_loses_no_committed_reading(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    printed = [int(proc.stdout.readline()) for _ in range(300)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    box = Outbox(path)
    stored = {r.seq for r in box.unsent(limit=1_000_000)}
    assert set(printed) <= stored, "a reading reported as committed was lost"
    assert box.append(reading(0)) > max(stored)


def test_corrupt_file_is_moved_aside_and_seqs_continue(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    box.append_many([reading(i) for i in range(20)])
    box.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database at all" * 200)
    again = Outbox(path)
    assert "corrupt" in caplog.text
    assert list(tmp_path.glob("outbox.db.corrupt-*")), "the corrupt file should be kept aside"
    assert again.append(reading(20)) >= 20, "a seq was reused after the reset"
    gaps = again.extras().gaps
    assert [g.reason for g in gaps] == ["outbox_corrupt"]
    assert gaps[0].seq_from == 0 and gaps[0].seq_to is not None and gaps[0].seq_to >= 19


def test_disk_full_keeps_readings_in_memory_and_retries(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append(reading(0))
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count = {pages}")  # the real SQLITE_FULL, no mock
    seqs = box.append_many([reading(i) for i in range(1, 400)])
    assert "disk_full" in box.error_codes
    assert box.stats().depth == 400
    box._db.execute("PRAGMA max_page_count = 1000000")
    box.append(reading(400))
    assert "disk_full" not in box.error_codes
    assert [r.seq for r in box.unsent(limit=10_000)] == [0, *seqs, 400]


def test_disk_full_overflow_becomes_a_gap(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", memory_buffer=10)
    box.append(reading(0))
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count = {pages}")
    box.append_many([reading(i) for i in range(1, 400)])
    box._db.execute("PRAGMA max_page_count = 1000000")
    box.append(reading(400))
    kept = [r.seq for r in box.unsent(limit=10_000)]
    gaps = box.extras().gaps
    assert [(g.reason, g.seq_from, g.seq_to) for g in gaps] == [("disk_full", 1, 389)]
    assert kept == [0, *range(390, 401)]


def test_unexpected_database_error_is_not_swallowed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box._db.execute("DROP TABLE readings")
    with pytest.raises(sqlite3.OperationalError):
        box.append(reading(0))
