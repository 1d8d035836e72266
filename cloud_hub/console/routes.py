"""API routes the console needs beyond the core ones: a fleet overview and the latest sample.

Both are reads for viewers; they answer 200 with an empty value rather than 404 when there is
nothing yet, so a page polling them does not log browser errors for an ordinary state.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from cloud_hub.api.deps import HubDep, Viewer
from cloud_hub.registry import devices, logs
from cloud_hub.series import Selection, StoredReading
from pm25 import aqi

router = APIRouter(tags=["console"])

MAX_OVERVIEW_READINGS = 100_000


class SamplePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: str
    command_id: str
    captured_at: float
    received_at: float
    width: int
    height: int
    jpeg_b64: str


class DeviceOverview(BaseModel):
    """One device on the fleet map: where, how healthy, and its newest reading in the window.

    ``aqi`` is the EPA AQI of that reading's PM2.5; ``category`` the category index it carried.
    """

    id: str
    lat: float | None
    lon: float | None
    zone_id: str | None
    tags: list[str]
    model_version: int | None
    health: str
    captured_at: int | None = None
    pm25: float | None = None
    pm25_sd: float | None = None
    aqi: int | None = None
    category: int | None = None


@router.get("/fleet/overview", response_model=list[DeviceOverview])
def fleet_overview(
    _: Viewer, hub: HubDep, window_s: Annotated[int, Query(ge=60, le=86400)] = 900
) -> list[DeviceOverview]:
    """Every device with its health and its newest reading of the last ``window_s`` seconds."""
    now = time.time()
    with hub.registry.session() as s:
        out = {
            d.id: DeviceOverview(
                id=d.id,
                lat=d.lat,
                lon=d.lon,
                zone_id=d.zone_id,
                tags=list(d.tags),
                model_version=d.model_version,
                health=devices.health_of(d, now, 300.0),
            )
            for d in devices.list_devices(s)
        }
    if out:
        for r in _newest_readings(hub, tuple(out), int(now) + 1, window_s):
            entry = out.get(r.device_id)
            if entry is not None and (entry.captured_at or 0) <= r.captured_at:
                entry.captured_at, entry.pm25, entry.pm25_sd = r.captured_at, r.pm25, r.pm25_sd
                entry.aqi, entry.category = aqi.aqi(r.pm25), r.aqi
    return list(out.values())


def _newest_readings(
    hub: HubDep, device_ids: tuple[str, ...], end: int, window_s: int
) -> list[StoredReading]:
    """Readings of the window, oldest first; a window too busy to read whole is halved (down
    to a minute) so the newest readings are never the ones a limit cut off."""
    while True:
        raw = hub.series.query_raw(
            Selection(end - window_s, end, device_ids), MAX_OVERVIEW_READINGS
        )
        if not raw.truncated or window_s <= 60:
            return raw.readings
        window_s = max(60, window_s // 2)


@router.get("/devices/{device_id}/samples/latest", response_model=SamplePublic | None)
def latest_sample(device_id: str, _: Viewer, hub: HubDep) -> SamplePublic | None:
    """The newest sample crop the device sent after a capture_sample command; null if none."""
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
        sample = logs.latest_sample(s, device_id)
        return None if sample is None else SamplePublic.model_validate(sample)


class HeartbeatPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    received_at: float
    heartbeat: dict[str, Any]


@router.get("/devices/{device_id}/heartbeats", response_model=list[HeartbeatPublic])
def heartbeat_history(
    device_id: str,
    _: Viewer,
    hub: HubDep,
    start: Annotated[float, Query(ge=0, le=2**40, description="Unix seconds UTC.")],
    end: Annotated[float, Query(ge=0, le=2**40, description="Unix seconds UTC.")],
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> list[HeartbeatPublic]:
    """Heartbeats received in ``[start, end)``, oldest first (the newest ``limit``; 30 d kept)."""
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
        rows = logs.heartbeats(s, device_id, start, end, limit)
        return [HeartbeatPublic.model_validate(r) for r in rows]
