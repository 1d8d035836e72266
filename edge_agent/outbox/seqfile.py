"""The sequence high-water mark outside the database, so seqs stay monotonic after a reset.

The outbox reserves sequence numbers in blocks: the file holds a ceiling no seq has reached yet.
Writing it once per block (temp file, fsync, ``os.replace``) keeps the cost off the hot path; a
fresh database after corruption starts at the ceiling, so no seq is ever reused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SeqMark:
    """``ceiling``: no seq has reached it yet. ``acked_below``: every seq below it was acked
    when the mark was written (it may be stale, which only makes a reset's gap larger)."""

    ceiling: int = 0
    acked_below: int = 0


def read_mark(path: Path) -> SeqMark:
    """The stored mark, or zeros if the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text())
        ceiling, acked = data["seq_ceiling"], data["acked_below"]
    except (OSError, ValueError, KeyError, TypeError):
        return SeqMark()
    if not (isinstance(ceiling, int) and isinstance(acked, int)) or min(ceiling, acked) < 0:
        return SeqMark()
    return SeqMark(ceiling, acked)


def write_mark(path: Path, mark: SeqMark) -> None:
    """Atomically replace the file with ``mark``; durable once this returns."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        json.dump({"seq_ceiling": mark.ceiling, "acked_below": mark.acked_below}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
