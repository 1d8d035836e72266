"""Per-device linear calibration y = slope·x + intercept against a co-located monitor (pure).

Theil–Sen: the slope is the median of the pairwise slopes and the intercept the median of
``y - slope·x``; robust to up to ~29 % outliers (a dusty monitor hour, a foggy camera morning),
unlike least squares. A fit needs ``min_pairs`` pairs, some spread in x, and must land inside the
sanity bounds; otherwise the reason is returned and nothing is pushed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from cloud_hub.loop.settings import CalibrationSettings

MAX_PAIRS_FOR_ALL_SLOPES = 400  # 80k pairwise slopes; beyond, thin evenly (deterministic)


@dataclass(frozen=True, slots=True)
class Fit:
    slope: float
    intercept: float
    pairs: int
    mae_before: float
    mae_after: float


def theil_sen(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    pts = list(zip(x, y, strict=True))
    if len(pts) > MAX_PAIRS_FOR_ALL_SLOPES:
        step = len(pts) / MAX_PAIRS_FOR_ALL_SLOPES
        pts = [pts[int(i * step)] for i in range(MAX_PAIRS_FOR_ALL_SLOPES)]
    slopes = [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in combinations(pts, 2) if x2 != x1]
    if not slopes:
        raise ValueError("all device readings are equal: no slope")
    slope = statistics.median(slopes)
    intercept = statistics.median(yi - slope * xi for xi, yi in zip(x, y, strict=True))
    return slope, intercept


def fit(pairs: Sequence[tuple[float, float]], s: CalibrationSettings) -> Fit | str:
    """The fit of ``(device, reference)`` pairs, or why there is none."""
    if len(pairs) < s.min_pairs:
        return f"{len(pairs)} paired readings, need {s.min_pairs}"
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    try:
        slope, intercept = theil_sen(x, y)
    except ValueError as e:
        return str(e)
    if not s.slope_min <= slope <= s.slope_max:
        return f"slope {slope:.3f} outside [{s.slope_min}, {s.slope_max}]"
    if abs(intercept) > s.intercept_max:
        return f"intercept {intercept:.1f} beyond ±{s.intercept_max}"
    before = statistics.fmean(abs(a - b) for a, b in pairs)
    after = statistics.fmean(abs(slope * a + intercept - b) for a, b in pairs)
    return Fit(round(slope, 4), round(intercept, 2), len(pairs), before, after)


def pair(
    device: Sequence[tuple[float, float]],
    reference: Sequence[tuple[float, float]],
    tolerance_s: float,
) -> list[tuple[float, float]]:
    """Each reference reading paired with the mean of the device's readings within the tolerance.

    Both sequences are ``(t, pm25)`` sorted by time. Averaging the device's frames over the
    monitor's interval matches what the monitor reports (an hourly or 10-minute mean).
    """
    out: list[tuple[float, float]] = []
    lo = 0
    for t, ref in reference:
        while lo < len(device) and device[lo][0] < t - tolerance_s:
            lo += 1
        hi = lo
        vals = []
        while hi < len(device) and device[hi][0] <= t + tolerance_s:
            vals.append(device[hi][1])
            hi += 1
        if vals:
            out.append((statistics.fmean(vals), ref))
    return out
