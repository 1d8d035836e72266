"""Reference monitors: create, list, ingest readings as JSON or CSV, read them back."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from pydantic import BaseModel, Field

from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.api.schemas import Body, Public
from cloud_hub.errors import ValidationFailed
from cloud_hub.registry import monitors

router = APIRouter(prefix="/monitors", tags=["reference monitors"])
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000


class MonitorCreate(Body):
    id: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str = Field(default="", max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class MonitorPublic(Public):
    id: str
    name: str
    lat: float
    lon: float
    created_at: float


class MonitorReading(Body):
    t: float = Field(
        ge=0, le=2**40, description="Unix seconds UTC (start of the averaging period)."
    )
    pm25: float = Field(ge=0, le=5000, description="PM2.5, µg/m³.")
    rh: float | None = Field(
        default=None,
        ge=monitors.RH_MIN,
        le=monitors.RH_MAX,
        description="Relative humidity in percent (0..100), as monitors report it; "
        "null or absent when the monitor has no humidity sensor.",
    )


class Stored(BaseModel):
    stored: int


@router.post("", response_model=MonitorPublic, status_code=201)
def create_monitor(body: MonitorCreate, me: Operator, hub: HubDep) -> MonitorPublic:
    with hub.registry.session() as s:
        m = monitors.create_monitor(
            s, me.username, body.id, name=body.name, lat=body.lat, lon=body.lon
        )
        return MonitorPublic.model_validate(m)


@router.get("", response_model=list[MonitorPublic])
def list_monitors(_: Viewer, hub: HubDep) -> list[MonitorPublic]:
    with hub.registry.session() as s:
        return [MonitorPublic.model_validate(m) for m in monitors.list_monitors(s)]


@router.post("/{monitor_id}/readings", response_model=Stored)
def add_readings(
    monitor_id: str,
    body: Annotated[list[MonitorReading], Field(max_length=MAX_ROWS)],
    me: Operator,
    hub: HubDep,
) -> Stored:
    with hub.registry.session() as s:
        n = monitors.add_readings(s, me.username, monitor_id, [(r.t, r.pm25, r.rh) for r in body])
    return Stored(stored=n)


@router.post("/{monitor_id}/readings.csv", response_model=Stored)
def upload_csv(monitor_id: str, file: UploadFile, me: Operator, hub: HubDep) -> Stored:
    """CSV with a header ``t,pm25`` and optionally ``rh`` (percent, empty cell: not known); ``t``
    in unix seconds or ISO 8601 with a time zone. All rows or none: the first bad row is named
    and nothing is stored."""
    raw = file.file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise ValidationFailed(f"CSV larger than {MAX_CSV_BYTES} bytes")
    rows = parse_csv(raw)
    with hub.registry.session() as s:
        n = monitors.add_readings(s, me.username, monitor_id, rows)
    return Stored(stored=n)


@router.get("/{monitor_id}/readings", response_model=list[MonitorReading])
def get_readings(
    monitor_id: str,
    _: Viewer,
    hub: HubDep,
    start: Annotated[float, Query(ge=0, le=2**40)],
    end: Annotated[float, Query(ge=0, le=2**40)],
) -> list[MonitorReading]:
    with hub.registry.session() as s:
        rows = monitors.readings(s, monitor_id, start, end)
        return [MonitorReading(t=r.t, pm25=r.pm25, rh=r.rh) for r in rows]


def parse_csv(raw: bytes) -> list[monitors.ReadingRow]:
    """``(t, pm25, rh)`` rows of a ``t,pm25[,rh]`` CSV; :class:`ValidationFailed` naming the bad
    line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailed("CSV is not UTF-8") from e
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise ValidationFailed(f"CSV is malformed: {e}") from e


def _rows(reader: csv.DictReader[str]) -> list[monitors.ReadingRow]:
    if reader.fieldnames is None or not {"t", "pm25"} <= {f.strip() for f in reader.fieldnames}:
        raise ValidationFailed("CSV needs a header with columns t and pm25")
    out: list[monitors.ReadingRow] = []
    for line, row in enumerate(reader, start=2):
        if len(out) >= MAX_ROWS:
            raise ValidationFailed(f"CSV has more than {MAX_ROWS} rows")
        try:
            t, pm25 = _time((row.get("t") or "").strip()), float(row.get("pm25") or "")
            rh = _rh((row.get("rh") or "").strip())
        except ValueError as e:
            raise ValidationFailed(f"CSV line {line}: {e}") from e
        if not (math.isfinite(pm25) and 0 <= pm25 <= 5000) or not 0 <= t <= 2**40:
            raise ValidationFailed(f"CSV line {line}: value out of range")
        problem = monitors.rh_problem(rh)
        if problem:
            raise ValidationFailed(f"CSV line {line}: {problem}")
        out.append((t, pm25, rh))
    return out


def _rh(value: str) -> float | None:
    """An empty cell (or no ``rh`` column) is a monitor without a humidity sensor."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"rh {value!r} is not a number") from None


def _time(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"time {value!r} has no time zone") from None
        return parsed.timestamp()
