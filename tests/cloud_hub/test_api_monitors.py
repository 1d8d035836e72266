"""Reference monitors: JSON and CSV ingestion, all-or-nothing on bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cloud_hub.hub_support import HubClient, running_hub

T0 = 1_767_225_600


def _setup(h: HubClient) -> dict[str, str]:
    op = h.headers("operator")
    body = {"id": "ref-1", "name": "Station", "lat": 48.1, "lon": 11.5}
    assert h.client.post("/api/v1/monitors", json=body, headers=op).status_code == 201
    return op


def _read(h: HubClient) -> list[dict[str, float]]:
    r = h.client.get(
        "/api/v1/monitors/ref-1/readings",
        params={"start": 0, "end": 2 * T0},
        headers=h.headers("viewer"),
    )
    out: list[dict[str, float]] = r.json()
    return out


def test_json_and_csv_ingestion(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = _setup(h)
        r = h.client.post(
            "/api/v1/monitors/ref-1/readings", json=[{"t": T0, "pm25": 12.5}], headers=op
        )
        assert r.json() == {"stored": 1}
        csv = f"t,pm25\n{T0 + 3600},13\n2026-01-01T02:00:00+00:00,14.5\n{T0},99\n"
        files = {"file": ("ref.csv", csv.encode(), "text/csv")}
        r = h.client.post("/api/v1/monitors/ref-1/readings.csv", files=files, headers=op)
        assert r.json() == {"stored": 3}, r.text
        # The re-sent T0 row replaced the first value: uploads are idempotent per time.
        assert _read(h) == [
            {"t": T0, "pm25": 99.0},
            {"t": T0 + 3600, "pm25": 13.0},
            {"t": T0 + 7200, "pm25": 14.5},
        ]
        assert (
            h.client.post("/api/v1/monitors/nope/readings", json=[], headers=op).status_code == 404
        )


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (b"time,value\n1,2\n", "header"),
        (b"t,pm25\n1,2\n2,abc\n", "line 3"),
        (b"t,pm25\n2026-01-01T00:00:00,2\n", "time zone"),
        (b"t,pm25\n1,-5\n", "out of range"),
        (b"t,pm25\n1,nan\n", "out of range"),
        (b"\xff\xfe", "UTF-8"),
        (b"\r0\r\n", "CSV"),  # found by the API fuzz: once a csv.Error and a 500
    ],
)
def test_bad_csv_is_refused_and_stores_nothing(tmp_path: Path, csv: bytes, message: str) -> None:
    with running_hub(tmp_path) as h:
        op = _setup(h)
        files = {"file": ("ref.csv", csv, "text/csv")}
        r = h.client.post("/api/v1/monitors/ref-1/readings.csv", files=files, headers=op)
        assert r.status_code == 422 and message in r.json()["detail"]
        assert _read(h) == []
