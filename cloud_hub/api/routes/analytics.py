"""Analytics per device, zone or radius around a point: hourly stats and daily AQI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cloud_hub import analytics
from cloud_hub.api.deps import HubDep, Viewer
from cloud_hub.errors import ValidationFailed
from cloud_hub.registry import devices
from cloud_hub.series import Selection

router = APIRouter(prefix="/analytics", tags=["analytics"])
MAX_RANGE_S = 31 * 86400
MAX_READINGS = 500_000


class HourlyOut(BaseModel):
    device_ids: list[str]
    hours: list[analytics.HourStats]
    truncated: bool


class DailyOut(BaseModel):
    device_ids: list[str]
    days: list[analytics.DayAqi]
    truncated: bool


class Where(BaseModel):
    """Which devices: one device, one zone, or all within ``radius_km`` of ``lat``/``lon``."""

    device_id: str | None = Field(default=None, max_length=64)
    zone: str | None = Field(default=None, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0, le=1000)


def _points(
    hub: HubDep, where: Where, start: int, end: int
) -> tuple[list[str], list[tuple[int, float]], bool]:
    if end - start > MAX_RANGE_S:
        raise ValidationFailed("time range longer than 31 days")
    point = (where.lat, where.lon, where.radius_km)
    given = [where.device_id is not None, where.zone is not None, any(v is not None for v in point)]
    if sum(given) != 1 or (given[2] and None in point):
        raise ValidationFailed("give exactly one of device_id, zone, or lat+lon+radius_km")
    with hub.registry.session() as s:
        if where.device_id is not None:
            ids = [devices.get_device(s, where.device_id).id]
        elif where.zone is not None:
            ids = [d.id for d in devices.list_devices(s, zone_id=where.zone)]
        else:
            located = [(d.id, d.lat, d.lon) for d in devices.list_devices(s)]
            assert where.lat is not None and where.lon is not None and where.radius_km is not None
            ids = analytics.within(located, where.lat, where.lon, where.radius_km)
    if not ids:
        return [], [], False
    raw = hub.series.query_raw(Selection(start, end, device_ids=tuple(ids)), MAX_READINGS)
    return ids, [(r.captured_at, r.pm25) for r in raw.readings], raw.truncated


Start = Annotated[int, Query(ge=0, le=2**40)]


@router.get("/hourly", response_model=HourlyOut)
def hourly(
    _: Viewer, hub: HubDep, where: Annotated[Where, Query()], start: Start, end: Start
) -> HourlyOut:
    """Hourly mean, median and p95 of PM2.5 over the selected devices."""
    ids, points, truncated = _points(hub, where, start, end)
    return HourlyOut(device_ids=ids, hours=analytics.hourly(points), truncated=truncated)


@router.get("/daily-aqi", response_model=DailyOut)
def daily_aqi(
    _: Viewer, hub: HubDep, where: Annotated[Where, Query()], start: Start, end: Start
) -> DailyOut:
    """Daily mean PM2.5 and its EPA AQI over the selected devices."""
    ids, points, truncated = _points(hub, where, start, end)
    return DailyOut(device_ids=ids, days=analytics.daily_aqi(points), truncated=truncated)
