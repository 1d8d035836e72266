"""Schema migrations as registered functions, each applied once and recorded in ``_migrations``.

Add a migration by appending a function decorated with :func:`migration`; never edit an applied
one. Each runs inside the transaction that records it, so a crash leaves it applied or not at all.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Final

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Final[list[tuple[str, Migration]]] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration, named after the function."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE readings (seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, pm25 REAL NOT NULL,"
        " sd REAL NOT NULL, aqi INTEGER NOT NULL, flags INTEGER NOT NULL, mv INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE aggregates (seq INTEGER PRIMARY KEY, t_from INTEGER NOT NULL,"
        " t_to INTEGER NOT NULL, n INTEGER NOT NULL, mean REAL NOT NULL, min REAL NOT NULL,"
        " max REAL NOT NULL)"
    )
    db.execute(
        "CREATE TABLE gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, reason TEXT NOT NULL,"
        " seq_from INTEGER, seq_to INTEGER, t_from INTEGER, t_to INTEGER)"
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")


@migration
def m002_calibration_version(db: sqlite3.Connection) -> None:
    """The calibration version each reading was made with (0: none); batches split on it."""
    db.execute("ALTER TABLE readings ADD COLUMN cv INTEGER NOT NULL DEFAULT 0")


def apply_migrations(db: sqlite3.Connection) -> list[str]:
    """Apply every registered migration not yet recorded; return the names applied now."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at INTEGER)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db:
            fn(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, int(time.time())))
        applied.append(name)
    return applied
