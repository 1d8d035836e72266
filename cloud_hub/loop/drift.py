"""Drift statistics (pure): population stability index of a signal's histogram.

PSI = Σ (pᵢ - qᵢ)·ln(pᵢ / qᵢ) over bins, with empty bins floored at 1e-4. Rule of thumb:
< 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 drifted (the default alert threshold). Signals and bins:
- ``pm25``: predictions, log-spaced bins matching the AQI breakpoints and beyond;
- ``sd``: the model's uncertainty per reading (a stand-in for haze features the devices do not
  report);
- ``flags``: quality-gate outcome per reading: none, or the lowest quality flag set (bits 1..7;
  CALIBRATED is ignored).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Final

PM25_EDGES: Final = (5.0, 9.0, 15.0, 25.0, 35.4, 55.4, 80.0, 125.4, 225.4)
SD_EDGES: Final = (2.0, 4.0, 6.0, 9.0, 13.0, 20.0, 30.0, 50.0)
FLAG_BINS: Final = 8  # none + bits 1..7 (bit 0, CALIBRATED, is not a quality outcome)
SIGNALS: Final = ("pm25", "sd", "flags")
_FLOOR: Final = 1e-4


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_right(edges, v)] += 1
    return counts


def flag_histogram(flags: Sequence[int]) -> list[int]:
    counts = [0] * FLAG_BINS
    for f in flags:
        low = f & 0xFE
        counts[0 if low == 0 else (low & -low).bit_length() - 1] += 1
    return counts


def signal_histograms(
    pm25: Sequence[float], sd: Sequence[float], flags: Sequence[int]
) -> dict[str, list[int]]:
    return {
        "pm25": histogram(pm25, PM25_EDGES),
        "sd": histogram(sd, SD_EDGES),
        "flags": flag_histogram(flags),
    }


def psi(expected: Sequence[int], actual: Sequence[int]) -> float:
    """Population stability index of ``actual`` against ``expected`` (same bins)."""
    if len(expected) != len(actual):
        raise ValueError(f"histograms differ in bins: {len(expected)} vs {len(actual)}")
    ne, na = sum(expected), sum(actual)
    if ne == 0 or na == 0:
        raise ValueError("an empty histogram has no distribution")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        p, q = max(a / na, _FLOOR), max(e / ne, _FLOOR)
        total += (p - q) * math.log(p / q)
    return total
