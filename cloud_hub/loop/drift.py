"""Drift statistics (pure): population stability index of a signal's histogram.

PSI = Σ (pᵢ - qᵢ)·ln(pᵢ / qᵢ) over bins, with empty bins floored at 1e-4. Rule of thumb:
< 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 drifted (the default alert threshold). The signals and
their bins are ``pm25.drift_bins`` (shared with the device and training, which bin the same way).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pm25.drift_bins import (
    FLAG_BINS,
    HAZE_SIGNALS,
    PM25_EDGES,
    SD_EDGES,
    SIGNALS,
    check_counts,
    flag_histogram,
    histogram,
)

__all__ = [
    "FLAG_BINS", "PM25_EDGES", "SD_EDGES", "SIGNALS", "flag_histogram", "histogram", "psi",
    "signal_histograms", "sum_haze",
]  # fmt: skip

_FLOOR: Final = 1e-4


def signal_histograms(
    pm25: Sequence[float], sd: Sequence[float], flags: Sequence[int]
) -> dict[str, list[int]]:
    return {
        "pm25": histogram(pm25, PM25_EDGES),
        "sd": histogram(sd, SD_EDGES),
        "flags": flag_histogram(flags),
    }


def sum_haze(heartbeats: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
    """Bin-wise sum of the heartbeats' ``haze`` sections (stored JSON). A section that does not
    fit today's bins (stored before the bins changed) is skipped, not summed wrongly."""
    total: dict[str, list[int]] = {}
    for hb in heartbeats:
        haze = hb.get("haze")
        if not isinstance(haze, dict):
            continue
        for signal, counts in haze.items():
            if signal not in HAZE_SIGNALS or check_counts(signal, counts) is not None:
                continue
            acc = total.setdefault(signal, [0] * len(counts))
            for i, c in enumerate(counts):
                acc[i] += c
    return total


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
