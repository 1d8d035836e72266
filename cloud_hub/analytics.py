"""Analytics over readings: hourly mean, median and p95, and daily AQI; devices near a point.

Pure functions over ``(t, pm25)`` pairs; the API fetches readings from the series store and
passes them in. The daily AQI is the EPA AQI of the day's mean PM2.5 (the 24-hour average the
EPA breakpoints are defined on), with the number of readings so a thin day can be spotted.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pm25.aqi import aqi

HOUR = 3600
DAY = 86400
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class HourStats:
    start: int
    count: int
    mean: float
    median: float
    p95: float


@dataclass(frozen=True, slots=True)
class DayAqi:
    start: int
    count: int
    mean_pm25: float
    aqi: int


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values; q in [0, 1]."""
    if not sorted_values:
        raise ValueError("percentile of nothing")
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _buckets(points: Iterable[tuple[int, float]], width: int) -> dict[int, list[float]]:
    groups: dict[int, list[float]] = defaultdict(list)
    for t, value in points:
        groups[t - t % width].append(value)
    return groups


def hourly(points: Iterable[tuple[int, float]]) -> list[HourStats]:
    """Per UTC hour with readings: count, mean, median and 95th percentile."""
    out = []
    for start, values in sorted(_buckets(points, HOUR).items()):
        values.sort()
        out.append(
            HourStats(
                start=start,
                count=len(values),
                mean=sum(values) / len(values),
                median=percentile(values, 0.5),
                p95=percentile(values, 0.95),
            )
        )
    return out


def daily_aqi(points: Iterable[tuple[int, float]]) -> list[DayAqi]:
    """Per UTC day with readings: mean PM2.5 and its EPA AQI."""
    out = []
    for start, values in sorted(_buckets(points, DAY).items()):
        mean = sum(values) / len(values)
        out.append(DayAqi(start=start, count=len(values), mean_pm25=mean, aqi=aqi(mean)))
    return out


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def within(
    located: Iterable[tuple[str, float | None, float | None]],
    lat: float,
    lon: float,
    radius_km: float,
) -> list[str]:
    """Ids of the located things within ``radius_km`` of the point; unlocated ones are left out."""
    return [
        ident
        for ident, la, lo in located
        if la is not None and lo is not None and distance_km(lat, lon, la, lo) <= radius_km
    ]
