"""Opening the outbox database: pragmas, migrations, and moving a corrupt file aside.

Durability choice: WAL with ``synchronous=FULL``. With NORMAL a committed transaction survives a
process crash (SIGKILL) but the last ones may be lost on power loss; roadside units lose power
without warning, and at one reading every few seconds the extra fsync per commit costs nothing
that matters (``python -m bench.edge_uplink`` drains well above the goal with it).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from edge_agent.outbox.migrations import apply_migrations

log = logging.getLogger(__name__)

SQLITE_FULL = 13
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
CORRUPTION_CODES = frozenset({SQLITE_CORRUPT, SQLITE_NOTADB})


@dataclass(frozen=True, slots=True)
class Opened:
    db: sqlite3.Connection
    fresh: bool  # created now (first start, or after a corrupt file was moved aside)
    moved_aside: Path | None  # where a corrupt database went, if one did


def is_corruption(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in CORRUPTION_CODES
    text = str(error).lower()
    return "malformed" in text or "not a database" in text


def is_full(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF == SQLITE_FULL) or "is full" in str(error).lower()


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA journal_size_limit=4194304")
    db.isolation_level = "DEFERRED"  # explicit transactions via `with db:`
    return db


def open_database(path: Path) -> Opened:
    """Open (creating if needed) and migrate; a corrupt file is moved aside and a fresh one made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists() and path.stat().st_size > 0
    try:
        db = connect(path)
        check = db.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            db.close()
            raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
        apply_migrations(db)
        fresh = not existed
        return Opened(db, fresh=fresh, moved_aside=None)
    except sqlite3.DatabaseError as e:
        if not is_corruption(e):
            raise
        moved = move_aside(path, str(e))
    db = connect(path)
    apply_migrations(db)
    return Opened(db, fresh=True, moved_aside=moved)


def move_aside(path: Path, why: str) -> Path:
    """Rename a corrupt database (and its WAL/SHM files) so a fresh one can start."""
    target = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.replace(Path(str(target) + suffix))
    log.error(
        "outbox database %s is corrupt (%s): moved to %s, starting a fresh one", path, why, target
    )
    return target


def used_bytes(db: sqlite3.Connection) -> int:
    """Bytes in pages that hold data (freed pages are reused, so this is what the cap bounds)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def get_meta(db: sqlite3.Connection, key: str) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else int(row[0])


def set_meta(db: sqlite3.Connection, key: str, value: int) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
