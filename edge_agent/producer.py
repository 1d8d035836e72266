"""The producing stage: capture → quality gate → preprocess → inference → outbox commit.

A reading counts as produced only once the outbox has committed it. Nothing here waits on the
network. A long pause in frames (camera lost) becomes a ``camera_unavailable`` gap record.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy.typing as npt

from edge_agent.capture import Frame
from edge_agent.commands import SampleFrame
from edge_agent.config_sections import CalibrationConfig
from edge_agent.gate import QualityGate
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.inference.model import Estimator
from edge_agent.outbox import NewReading, Outbox
from edge_agent.predict import estimate_frame
from pm25.preprocess import Roi
from pm25.wire import QualityFlag
from pm25.wire import Roi as WireRoi

log = logging.getLogger(__name__)


def model_info(estimator: Estimator) -> ModelInfo:
    backend = re.sub(r"[^a-z0-9_]", "_", f"{estimator.backend.name}_{estimator.role}".lower())
    return ModelInfo(
        estimator.manifest.version, estimator.manifest.name, backend, estimator.backend_reason
    )


class ProducerStage:
    name = "producer"

    def __init__(
        self,
        frames: Iterator[Frame],
        *,
        interval_s: float,
        roi: Roi,
        gate: QualityGate | None,
        estimator: Estimator,
        outbox: Outbox,
        health: Health,
        shadow: Callable[[npt.NDArray[Any], float], None] | None = None,
        calibration: CalibrationConfig | None = None,
    ) -> None:
        self._calibration = calibration if calibration and calibration.version > 0 else None
        self._frames = frames
        self._shadow = shadow  # the update's shadow run: both models on the same frames
        self._interval = interval_s
        self._roi = roi
        self._gate = gate
        self._estimator = estimator
        self._outbox = outbox
        self._health = health
        self._latest: SampleFrame | None = None
        self._last_t: int | None = None
        self._last_mono: float | None = None
        self.produced = 0

    def latest_frame(self) -> SampleFrame | None:
        return self._latest

    def run(self, stop: threading.Event) -> None:
        for frame in self._frames:
            started = time.monotonic()
            self.process(frame)
            if stop.wait(max(0.0, self._interval - (time.monotonic() - started))):
                return

    def process(self, frame: Frame) -> None:
        t = int(frame.captured_at.timestamp())
        h, w = frame.image.shape[:2]
        x, y, rw, rh = self._roi.to_pixels(w, h)
        self._latest = SampleFrame(frame.image, t, WireRoi(x=x, y=y, w=rw, h=rh))
        now = time.monotonic()
        stalled = self._last_mono is not None and now - self._last_mono > 3 * self._interval + 5
        if stalled and self._last_t is not None and t - 1 >= self._last_t + 1:
            self._outbox.add_gap("camera_unavailable", t_range=(self._last_t + 1, t - 1))
        self._last_t, self._last_mono = t, now
        try:
            est = estimate_frame(frame.image, self._roi, self._gate, self._estimator)
        except Exception as e:  # one bad frame must not stop production; counted and logged
            log.warning("frame at %s failed: %s: %s", t, type(e).__name__, e)
            self._health.frame(accepted=False, reason="processing_error")
            return
        if est.pm25 is None or est.sd is None or est.aqi is None:
            reason = est.reject_reason.value if est.reject_reason is not None else "rejected"
            self._health.frame(accepted=False, reason=str(reason))
            return
        self._health.frame(accepted=True, latency_ms=est.timings.inference_ms, haze=est.haze)
        cat = int(est.category) if est.category is not None else 0
        raw, sd, flags = est.pm25, est.sd, int(est.flags)
        if self._calibration is not None:  # the site calibration the hub pushed
            (raw, sd), flags = self._calibration.apply(raw, sd), flags | QualityFlag.CALIBRATED
        pm, sd = min(max(raw, 0.0), 2000.0), min(max(sd, 0.0), 2000.0)
        mv = self._estimator.manifest.version
        cv = self._calibration.version if self._calibration is not None else 0
        self._outbox.append(NewReading(t, round(pm, 1), round(sd, 1), cat, flags, mv, cv))
        self.produced += 1
        if self._shadow is not None:
            self._shadow(frame.image, est.pm25)  # both models compared uncalibrated
