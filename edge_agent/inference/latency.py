"""Rolling inference latency (p50/p95 over the last frames) for the heartbeat."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Median and 95th percentile over the window, milliseconds; n = frames in the window."""

    p50_ms: float
    p95_ms: float
    n: int


class LatencyWindow:
    """The last ``size`` latencies; summary on demand (the heartbeat asks once a minute)."""

    def __init__(self, size: int = 512) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, ms: float) -> None:
        """Record one latency in milliseconds."""
        self._values.append(ms)

    def summary(self) -> LatencySummary | None:
        """p50/p95 of the window, or None before the first frame."""
        if not self._values:
            return None
        p50, p95 = np.percentile(np.fromiter(self._values, np.float64), [50, 95])
        return LatencySummary(float(p50), float(p95), len(self._values))
