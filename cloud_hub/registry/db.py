"""The registry's database: engine, sessions, and schema migration (Alembic, at start).

The schema is created and changed only by the migrations in ``cloud_hub/migrations``;
:func:`upgrade` runs ``alembic upgrade head`` in-process so a fresh hub starts on an empty file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cloud_hub.errors import StoreUnavailable

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as e:
        raise StoreUnavailable(f"registry migration failed: {e}") from e


class Registry:
    """The registry database: hands out sessions; one transaction per ``session()`` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, echo: bool = False, migrate: bool = True) -> Registry:
        registry = cls(make_engine(url, echo=echo))
        if migrate:
            upgrade(registry.engine)
        return registry

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits at the end of the block, or rolls back on error."""
        with self._sessions() as session:
            try:
                with session.begin():
                    yield session
            except SQLAlchemyError as e:
                raise StoreUnavailable(f"registry error: {e}") from e

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as e:
            raise StoreUnavailable(f"registry unreachable: {e}") from e

    def close(self) -> None:
        self.engine.dispose()
