"""Reference monitors: JSON and CSV ingestion, all-or-nothing on bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cloud_hub.hub_support import HubClient, running_hub

T0 = 1_767_225_600


def _setup(h: HubClient) -> dict[str, str]:
    op = h.headers("operator")
    body = {"id": "ref-1", "name": "Station", "lat": 48.1, "lon": 11.5}
    assert h.client.post("/api/v1/monitors", json=body, headers=op).status_code == 201
    return op


def _read(h: HubClient) -> list[dict[str, float | None]]:
    r = h.client.get(
        "/api/v1/monitors/ref-1/readings",
        params={"start": 0, "end": 2 * T0},
        headers=h.headers("viewer"),
    )
    out: list[dict[str, float | None]] = r.json()
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
            {"t": T0, "pm25": 99.0, "rh": None},
            {"t": T0 + 3600, "pm25": 13.0, "rh": None},
            {"t": T0 + 7200, "pm25": 14.5, "rh": None},
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
        (b"t,pm25,rh\n1,2,50\n2,3,abc\n", "line 3: rh 'abc' is not a number"),
        (b"t,pm25,rh\n1,2,50\n2,3,-0.5\n", "line 3: rh -0.5 is outside 0..100 %"),
        (b"t,pm25,rh\n1,2,100.5\n", "line 2: rh 100.5 is outside 0..100 %"),
        (b"t,pm25,rh\n1,2,nan\n", "line 2: rh nan is outside"),
        (b"t,pm25,rh\n1,2,inf\n", "line 2: rh inf is outside"),
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


def test_rh_is_stored_in_percent_and_optional(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = _setup(h)
        body = [{"t": T0, "pm25": 12.5, "rh": 81.5}, {"t": T0 + 60, "pm25": 13}]
        body.append({"t": T0 + 120, "pm25": 14, "rh": None})
        r = h.client.post("/api/v1/monitors/ref-1/readings", json=body, headers=op)
        assert r.json() == {"stored": 3}, r.text
        # The rh column is optional per row: an empty cell is a reading without humidity, and
        # the bounds 0 and 100 are valid readings.
        csv = f"t,pm25,rh\n{T0 + 180},15,0\n{T0 + 240},16,\n{T0 + 300},17,100\n"
        files = {"file": ("ref.csv", csv.encode(), "text/csv")}
        r = h.client.post("/api/v1/monitors/ref-1/readings.csv", files=files, headers=op)
        assert r.json() == {"stored": 3}, r.text
        assert [(x["pm25"], x["rh"]) for x in _read(h)] == [
            (12.5, 81.5), (13.0, None), (14.0, None), (15.0, 0.0), (16.0, None), (17.0, 100.0),
        ]  # fmt: skip
        # A re-sent reading replaces the stored one, RH included.
        r = h.client.post(
            "/api/v1/monitors/ref-1/readings", json=[{"t": T0, "pm25": 12.0}], headers=op
        )
        assert r.status_code == 200 and _read(h)[0] == {"t": T0, "pm25": 12.0, "rh": None}


@pytest.mark.parametrize("rh", [-1, 100.01, "abc", "NaN", "Infinity"])
def test_bad_json_rh_is_refused_naming_the_row_and_stores_nothing(
    tmp_path: Path, rh: object
) -> None:
    with running_hub(tmp_path) as h:
        op = _setup(h)
        # NaN and Infinity are not JSON, but Python clients send them as bare tokens.
        bad = str(rh) if rh in ("NaN", "Infinity") else json.dumps(rh)
        raw = f'[{{"t": {T0}, "pm25": 1, "rh": 50}}, {{"t": {T0 + 60}, "pm25": 2, "rh": {bad}}}]'
        headers = {**op, "Content-Type": "application/json"}
        r = h.client.post("/api/v1/monitors/ref-1/readings", content=raw, headers=headers)
        assert r.status_code == 422, r.text
        assert [e["loc"] for e in r.json()["detail"]] == [["body", 1, "rh"]]
        assert _read(h) == []


def test_nan_pm25_is_a_422_not_a_crash(tmp_path: Path) -> None:
    """FastAPI echoes the bad input in its 422; a NaN there once made the answer a 500."""
    with running_hub(tmp_path) as h:
        headers = {**_setup(h), "Content-Type": "application/json"}
        raw = f'[{{"t": {T0}, "pm25": NaN}}]'
        r = h.client.post("/api/v1/monitors/ref-1/readings", content=raw, headers=headers)
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        assert (error["loc"], error["input"]) == (["body", 0, "pm25"], "nan")
