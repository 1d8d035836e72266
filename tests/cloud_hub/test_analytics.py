"""Analytics: pure statistics checked against numpy, selections by device/zone/radius over HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud_hub import analytics
from cloud_hub.series import StoredReading
from pm25.aqi import aqi
from tests.cloud_hub.hub_support import running_hub

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a day boundary


@given(st.lists(st.floats(0, 500), min_size=1, max_size=50), st.floats(0, 1))
def test_percentile_matches_numpy(values: list[float], q: float) -> None:
    assert analytics.percentile(sorted(values), q) == pytest.approx(
        float(np.percentile(values, q * 100)), abs=1e-9
    )


def test_hourly_and_daily() -> None:
    points = [(T0 + 60 * i, float(i)) for i in range(120)] + [(T0 + 86400, 40.0)]
    hours = analytics.hourly(points)
    assert [(h.start, h.count) for h in hours] == [(T0, 60), (T0 + 3600, 60), (T0 + 86400, 1)]
    assert (hours[0].mean, hours[0].median) == (29.5, 29.5)
    assert hours[0].p95 == pytest.approx(float(np.percentile(range(60), 95)))
    days = analytics.daily_aqi(points)
    assert [(d.start, d.count) for d in days] == [(T0, 120), (T0 + 86400, 1)]
    assert days[0].aqi == aqi(59.5) and days[1].aqi == aqi(40.0)


def test_distance_and_radius() -> None:
    # Munich Marienplatz to Munich central station: about 1.2 km.
    assert analytics.distance_km(48.1374, 11.5755, 48.1402, 11.5586) == pytest.approx(1.3, abs=0.1)
    located = [("a", 48.1374, 11.5755), ("b", 48.2, 11.6), ("c", None, None)]
    assert analytics.within(located, 48.1402, 11.5586, 2.0) == ["a"]


def test_analytics_over_http(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        h.client.post("/api/v1/zones", json={"id": "z", "name": "Z"}, headers=op)
        for dev, lat, zone in (("a", 48.137, "z"), ("b", 48.5, None)):
            body = {"id": dev, "lat": lat, "lon": 11.575}
            if zone:
                body["zone_id"] = zone
            assert h.client.post("/api/v1/devices", json=body, headers=op).status_code == 201
        h.hub.series.write(
            [StoredReading("a", i, T0 + 60 * i, 10.0, 1.0, 0, 0, 1) for i in range(10)]
            + [StoredReading("b", i, T0 + 60 * i, 100.0, 1.0, 0, 0, 1) for i in range(10)]
        )
        span = {"start": T0, "end": T0 + 86400}

        def hourly(**where: object) -> dict[str, object]:
            r = h.client.get("/api/v1/analytics/hourly", params={**span, **where}, headers=viewer)
            assert r.status_code == 200, r.text
            out: dict[str, object] = r.json()
            return out

        assert hourly(device_id="a")["hours"] == [
            {"start": T0, "count": 10, "mean": 10.0, "median": 10.0, "p95": 10.0}
        ]
        assert hourly(zone="z")["device_ids"] == ["a"]
        near = hourly(lat=48.137, lon=11.575, radius_km=5)
        assert near["device_ids"] == ["a"]
        far = hourly(lat=48.137, lon=11.575, radius_km=100)
        assert far["hours"][0]["mean"] == 55.0  # type: ignore[index]
        r = h.client.get(
            "/api/v1/analytics/daily-aqi", params={**span, "zone": "z"}, headers=viewer
        )
        assert r.json()["days"] == [{"start": T0, "count": 10, "mean_pm25": 10.0, "aqi": aqi(10)}]
        for bad in ({}, {"device_id": "a", "zone": "z"}, {"lat": 1.0}):
            r = h.client.get("/api/v1/analytics/hourly", params={**span, **bad}, headers=viewer)
            assert r.status_code == 422, bad
        long = {"start": T0, "end": T0 + 40 * 86400, "device_id": "a"}
        assert (
            h.client.get("/api/v1/analytics/hourly", params=long, headers=viewer).status_code == 422
        )
