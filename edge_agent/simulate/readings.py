"""Readings of a simulated unit: the city's pollution series seen through a model's error.

Pure and deterministic (``seed``, device index and time in, reading out): no frames, no model.
The error model follows what an image model does: a multiplicative log-normal error (about 25 %
one sigma, wider in haze), a per-device bias (miscalibration) and a reported uncertainty that
grows with the estimate. About 1 reading in 50 carries a quality flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from edge_agent.outbox import NewReading
from pm25 import aqi
from pm25.pollution import CityPollution

LOW_LIGHT, BLUR = 2, 4
PM_MAX = 2000.0


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """Log-space error of the simulated model; ``bias_sigma`` spreads per-device calibration."""

    sigma: float = 0.25
    bias_sigma: float = 0.10
    flag_rate: float = 0.02


class ReadingSource:
    """The readings of device ``index`` of a fleet seeded with ``seed``."""

    def __init__(
        self, seed: int, index: int, model_version: int = 1, error: ErrorModel | None = None
    ) -> None:
        self.model_version = model_version
        self.error = error or ErrorModel()
        self._city = CityPollution(seed * 100_003 + index)
        self._rng = np.random.default_rng([seed, index])
        self._bias = float(self._rng.normal(0.0, self.error.bias_sigma))

    def reading(self, t: int) -> NewReading:
        """The reading captured at unix time ``t``."""
        truth = self._city.at(datetime.fromtimestamp(t, tz=UTC)).pm25_ugm3
        sigma = self.error.sigma * (1.3 if truth > 100 else 1.0)
        estimate = truth * math.exp(self._bias + float(self._rng.normal(0.0, sigma)))
        pm = round(min(max(estimate, 0.0), PM_MAX), 1)
        sd = round(max(0.5, pm * sigma), 1)
        flags = 0
        if self._rng.random() < self.error.flag_rate:
            flags = LOW_LIGHT if self._rng.random() < 0.5 else BLUR
        return NewReading(t, pm, sd, int(aqi.category(pm)), flags, self.model_version)
