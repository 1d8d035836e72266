"""Fixtures shared by the whole suite: real servers on free ports, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import MosquittoBroker

HUB_USER = ("hub", "hub-test-password")
WATCHER_USER = ("watcher", "watcher-test-password")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A real Mosquitto with auth and the device ACL. Add device users before ``start()``.

    ``hub`` and ``watcher`` are superusers (the hub and an independent test subscriber).
    """
    broker = MosquittoBroker(
        workdir=tmp_path / "mosquitto",
        users={HUB_USER[0]: HUB_USER[1], WATCHER_USER[0]: WATCHER_USER[1]},
        superusers=(HUB_USER[0], WATCHER_USER[0]),
    )
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def _migrated_postgres() -> Iterator[str]:
    """One migrated registry database on the real PostgreSQL for the whole session."""
    from cloud_hub.registry import Registry
    from tests.support import postgres

    url = postgres.create_database()
    Registry.open(url).close()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty registry: a fresh SQLite file, or the session's PostgreSQL database
    with every table emptied. Tests taking it run once on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    from sqlalchemy import create_engine, text

    from cloud_hub.registry.models import Base

    url: str = request.getfixturevalue("_migrated_postgres")
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url
