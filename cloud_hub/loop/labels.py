"""Join a sample to a reference monitor's reading by distance and time (pure).

A sample is ``joined`` to the nearest monitor within ``max_km`` that has a reading within
``tolerance_s`` of the capture time (the reading nearest in time); otherwise it is kept with the
status ``no_monitor`` (no monitor close enough) or ``no_reading`` (monitors, but no reading near
that time). Nothing is dropped: the export and the API count every status.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cloud_hub.analytics import distance_km


class JoinStatus(StrEnum):
    PENDING = "pending"
    JOINED = "joined"
    NO_MONITOR = "no_monitor"
    NO_READING = "no_reading"
    NO_LOCATION = "no_location"


@dataclass(frozen=True, slots=True)
class Monitor:
    id: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class RefReading:
    t: float
    pm25: float
    rh: float | None = None


@dataclass(frozen=True, slots=True)
class Label:
    status: JoinStatus
    monitor_id: str | None = None
    distance_km: float | None = None
    reading: RefReading | None = None


def nearby(
    lat: float | None, lon: float | None, monitors: Sequence[Monitor], max_km: float
) -> list[tuple[float, Monitor]]:
    """Monitors within ``max_km``, nearest first."""
    if lat is None or lon is None:
        return []
    found = [(distance_km(lat, lon, m.lat, m.lon), m) for m in monitors]
    return sorted((x for x in found if x[0] <= max_km), key=lambda x: (x[0], x[1].id))


def nearest_in_time(
    readings: Sequence[RefReading], t: float, tolerance_s: float
) -> RefReading | None:
    """The reading nearest to ``t`` within the tolerance; ``readings`` sorted by time."""
    i = bisect.bisect_left([r.t for r in readings], t)
    near = [r for r in readings[max(0, i - 1) : i + 1] if abs(r.t - t) <= tolerance_s]
    return min(near, key=lambda r: abs(r.t - t)) if near else None


def join(
    t: float,
    lat: float | None,
    lon: float | None,
    monitors: Sequence[Monitor],
    readings: Mapping[str, Sequence[RefReading]],
    *,
    max_km: float,
    tolerance_s: float,
) -> Label:
    if lat is None or lon is None:
        return Label(JoinStatus.NO_LOCATION)
    close = nearby(lat, lon, monitors, max_km)
    if not close:
        return Label(JoinStatus.NO_MONITOR)
    for km, m in close:
        r = nearest_in_time(readings.get(m.id, ()), t, tolerance_s)
        if r is not None:
            return Label(JoinStatus.JOINED, m.id, km, r)
    return Label(JoinStatus.NO_READING, close[0][1].id, close[0][0])
