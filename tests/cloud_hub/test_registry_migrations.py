"""Alembic is the only way the schema is made: upgrade head on an empty database, then the
models' metadata and the database agree (``compare_metadata`` finds no difference)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cloud_hub.registry.db import make_engine, upgrade
from cloud_hub.registry.models import Base


def test_upgrade_head_matches_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    # 0002: rollouts, 0003: heartbeat history, 0004: closed loop, 0005: reference RH,
    # 0006: login counters and alert deliveries, 0007: drift results per kind and the fleet's
    assert version == "0007"
    upgrade(engine)  # idempotent: a restart on a migrated database changes nothing
    engine.dispose()


def test_0005_keeps_reference_readings_stored_before_it(empty_url: str) -> None:
    """Readings stored at 0004 survive the upgrade with ``rh`` NULL, and new ones can carry RH."""
    engine = make_engine(empty_url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reference_monitors (id, name, lat, lon, created_at)"
                " VALUES ('m1', '', 0, 0, 0)"
            )
        )
        conn.execute(
            text("INSERT INTO reference_readings (monitor_id, t, pm25) VALUES ('m1', 100, 12.5)")
        )
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reference_readings (monitor_id, t, pm25, rh)"
                " VALUES ('m1', 200, 30.0, 81.5)"
            )
        )
        rows = conn.execute(text("SELECT t, pm25, rh FROM reference_readings ORDER BY t")).all()
    assert [tuple(r) for r in rows] == [(100.0, 12.5, None), (200.0, 30.0, 81.5)]
    engine.dispose()
