"""Agreement between the active and the candidate model on the same frames (pure statistics).

The device reports these during the shadow run; the rollout gate on the hub decides. New minus
old: a positive bias means the candidate reads higher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShadowStats:
    """Agreement of two series of PM2.5 estimates (µg/m³)."""

    n: int
    mean_abs_diff: float
    bias: float
    correlation: float | None  # None when either series is constant or n < 2
    within_tolerance: float  # fraction of frames with |new - old| <= tolerance


def agreement(old: Sequence[float], new: Sequence[float], tolerance: float) -> ShadowStats:
    """Statistics over paired estimates; ValueError on unpaired, empty or non-finite input."""
    a = np.asarray(old, dtype=np.float64)
    b = np.asarray(new, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two equal-length series, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("no frames to compare")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("estimates must be finite")
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    diff = b - a
    correlation = None
    if a.size >= 2 and a.std() > 0 and b.std() > 0:
        correlation = float(np.corrcoef(a, b)[0, 1])
    return ShadowStats(
        n=int(a.size),
        mean_abs_diff=float(np.abs(diff).mean()),
        bias=float(diff.mean()),
        correlation=correlation,
        within_tolerance=float((np.abs(diff) <= tolerance).mean()),
    )
