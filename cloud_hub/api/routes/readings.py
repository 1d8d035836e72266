"""Readings from the series store: raw, and downsampled (count, mean, min, max per interval)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloud_hub.api.deps import HubDep, Viewer
from cloud_hub.errors import ValidationFailed
from cloud_hub.registry import devices
from cloud_hub.series import Downsampled, RawSeries, Selection

router = APIRouter(tags=["readings"])

Time = Annotated[int, Query(ge=0, le=2**40, description="Unix seconds UTC.")]


@router.get("/devices/{device_id}/readings", response_model=RawSeries)
def raw_readings(
    device_id: str,
    _: Viewer,
    hub: HubDep,
    start: Time,
    end: Time,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> RawSeries:
    """Readings of one device in ``[start, end)``, in capture order, with gaps and aggregates."""
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
    return hub.series.query_raw(Selection(start, end, device_ids=(device_id,)), limit)


@router.get("/readings/downsampled", response_model=Downsampled)
def downsampled(  # noqa: PLR0917 - FastAPI parameters
    _: Viewer,
    hub: HubDep,
    start: Time,
    end: Time,
    interval_s: Annotated[int, Query(ge=1, le=31 * 86400)] = 3600,
    device_id: Annotated[list[str] | None, Query(max_length=1000)] = None,
    zone: Annotated[str | None, Query(max_length=64)] = None,
) -> Downsampled:
    """Per-interval count, mean, min and max for some devices or one zone."""
    if (end - start) // interval_s > 100_000:
        raise ValidationFailed("too many intervals: widen interval_s or narrow the range")
    selection = Selection(start, end, device_ids=tuple(device_id or ()), zone=zone)
    return hub.series.query_downsampled(selection, interval_s)
