"""Migration 0007: drift results gain their kind of check (part of the key); the fleet table."""

from __future__ import annotations

from sqlalchemy import insert, text

from cloud_hub.registry.db import make_engine, upgrade
from cloud_hub.registry.models import Device


def test_0007_keeps_stored_results_as_change_and_error_rows(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(insert(Device).values(id="c", created_at=0.0, updated_at=0.0))
        for signal in ("pm25", "error"):
            conn.execute(
                text(
                    "INSERT INTO drift_results (device_id, signal, statistic, threshold, n,"
                    " baseline, drifted, at) VALUES ('c', :s, 0.3, 0.25, 200, 'device', true, 1)"
                ),
                {"s": signal},
            )
    upgrade(engine)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT signal, kind FROM drift_results ORDER BY signal")).all()
        assert [tuple(r) for r in rows] == [("error", "error"), ("pm25", "change")]
        # one signal, several kinds: the key now allows it
        conn.execute(
            text(
                "INSERT INTO drift_results (device_id, signal, kind, statistic, threshold, n,"
                " baseline, drifted, at) VALUES ('c', 'pm25', 'training', 4, 0.25, 200,"
                " 'model:1', false, 2)"
            )
        )
        assert conn.execute(text("SELECT count(*) FROM drift_fleet")).scalar() == 0
    engine.dispose()
