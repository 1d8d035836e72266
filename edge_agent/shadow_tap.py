"""`ShadowTap`: the candidate model on the same frames as the active one, for the updater's shadow
step. The producer offers it each accepted frame with the active model's estimate; during a
shadow run the candidate estimates the same frame and the agreement statistics come back."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy.typing as npt

from edge_agent.inference.model import Estimator
from edge_agent.predict import estimate_frame
from edge_agent.update.shadow import ShadowStats, agreement
from pm25.preprocess import Roi

log = logging.getLogger(__name__)


class ShadowTap:
    """Both models on the same frames for ``duration_s``; the producer calls :meth:`offer`."""

    def __init__(self, roi: Roi, *, duration_s: float, tolerance: float = 5.0) -> None:
        self._roi = roi
        self._duration = duration_s
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self._candidate: Estimator | None = None
        self._old: list[float] = []
        self._new: list[float] = []

    def offer(self, image: npt.NDArray[Any], active_pm25: float) -> None:
        """An accepted frame and the active model's estimate; cheap when no shadow run is on."""
        candidate = self._candidate
        if candidate is None:
            return
        try:
            est = estimate_frame(image, self._roi, None, candidate)
        except Exception as e:  # a candidate that cannot read a frame disagrees, loudly
            log.warning("shadow: candidate failed on a frame: %s", e)
            return
        if est.pm25 is not None:
            with self._lock:
                self._old.append(active_pm25)
                self._new.append(est.pm25)

    def run(self, candidate: Estimator, stop: threading.Event | None = None) -> ShadowStats:
        """The UpdateManager's shadow step: collect for the duration, then compare."""
        with self._lock:
            self._old, self._new = [], []
            self._candidate = candidate
        (stop or threading.Event()).wait(self._duration)
        with self._lock:
            self._candidate = None
            old, new = self._old, self._new
        if not old:
            return ShadowStats(n=0, mean_abs_diff=0.0, bias=0.0, correlation=None,
                               within_tolerance=0.0)  # fmt: skip
        return agreement(old, new, self._tolerance)
