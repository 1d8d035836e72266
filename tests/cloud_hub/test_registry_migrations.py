"""Alembic is the only way the schema is made: upgrade head on an empty database, then the
models' metadata and the database agree (``compare_metadata`` finds no difference)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cloud_hub.registry.db import make_engine, upgrade
from cloud_hub.registry.models import Base
from tests.support import postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


def test_upgrade_head_matches_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == "0004"  # 0002: rollouts, 0003: heartbeat history, 0004: closed loop
    upgrade(engine)  # idempotent: a restart on a migrated database changes nothing
    engine.dispose()
