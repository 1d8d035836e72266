"""Drift statistics (pure): population stability index of a signal's histogram, and the share of
a device's frames outside the training data's support.

PSI = Σ (pᵢ - qᵢ)·ln(pᵢ / qᵢ) over bins, with empty bins floored at 1e-4. Rule of thumb:
< 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 drifted (the default alert threshold). The signals and
their bins are ``pm25.drift_bins`` (shared with the device and training, which bin the same way).
Haze PSI is taken over the deciles (tail bins folded in), so agents with and without the tail
bins sum into one histogram; the tail bins serve the out-of-range share.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pm25.drift_bins import (
    DECILE_BINS,
    FLAG_BINS,
    HAZE_SIGNALS,
    PM25_EDGES,
    SD_EDGES,
    SIGNALS,
    bins,
    check_counts,
    deciles,
    flag_histogram,
    histogram,
)

__all__ = [
    "FLAG_BINS", "PM25_EDGES", "SD_EDGES", "SIGNALS", "Haze", "flag_histogram", "histogram",
    "outside_share", "psi", "signal_histograms", "sum_haze",
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


@dataclass
class Haze:
    """One haze signal summed over heartbeats: every frame in the deciles layout (for PSI), and
    the frames of agents that bin with the tail edges in the full layout (for the out-of-range
    share; all zeros when no heartbeat had the tail bins)."""

    deciles: list[int]
    full: list[int]


def sum_haze(heartbeats: Iterable[Mapping[str, Any]]) -> dict[str, Haze]:
    """Bin-wise sums of the heartbeats' ``haze`` sections (stored JSON). A section that fits
    neither layout (stored before the bins changed) is skipped, not summed wrongly."""
    total: dict[str, Haze] = {}
    for hb in heartbeats:
        haze = hb.get("haze")
        if not isinstance(haze, dict):
            continue
        for signal, counts in haze.items():
            if signal not in HAZE_SIGNALS or check_counts(signal, counts) is not None:
                continue
            acc = total.setdefault(signal, Haze([0] * DECILE_BINS, [0] * bins(signal)))
            _add(acc.deciles, deciles(counts))
            if len(counts) == len(acc.full):
                _add(acc.full, counts)
    return total


def _add(acc: list[int], counts: Sequence[int]) -> None:
    for i, c in enumerate(counts):
        acc[i] += c


def outside_share(reference: Sequence[int], actual: Sequence[int], min_share: float) -> float:
    """Share of ``actual`` in the bins where ``reference`` holds less than ``min_share`` of its
    counts: values the model (almost) never saw in training. For the baseline's reference these
    are the two tail bins (below its 0.5 % and above its 99.5 % quantile)."""
    if len(reference) != len(actual):
        raise ValueError(f"histograms differ in bins: {len(reference)} vs {len(actual)}")
    nr, na = sum(reference), sum(actual)
    if nr == 0 or na == 0:
        raise ValueError("an empty histogram has no distribution")
    return sum(a for r, a in zip(reference, actual, strict=True) if r / nr < min_share) / na


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
