"""The per-frame pipeline, shared by ``edge-agent predict`` and the running agent.

gate → preprocess → inference → AQI, timed stage by stage. A frame the gate rejects costs only
the gate and gives no PM2.5; a doubtful one gets its flags and a wider standard deviation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from edge_agent.gate import QualityGate, RejectReason
from edge_agent.inference.model import Estimator
from pm25.aqi import AqiCategory, aqi, category
from pm25.drift_bins import HAZE_SIGNALS
from pm25.preprocess import Roi, preprocess
from pm25.wire import QualityFlag


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds per stage of one frame."""

    gate_ms: float
    preprocess_ms: float
    inference_ms: float

    @property
    def total_ms(self) -> float:
        return self.gate_ms + self.preprocess_ms + self.inference_ms


@dataclass(frozen=True, slots=True)
class FrameEstimate:
    """The outcome for one frame: a reading (pm25 not None) or a rejection with its reason."""

    pm25: float | None
    sd: float | None
    aqi: int | None
    category: AqiCategory | None
    flags: QualityFlag
    reject_reason: RejectReason | None
    timings: Timings
    haze: dict[str, float] | None = None  # the drift watch's haze features of this frame

    @property
    def accepted(self) -> bool:
        return self.reject_reason is None


def estimate_frame(
    image: npt.NDArray[Any],
    roi: Roi | None,
    gate: QualityGate | None,
    estimator: Estimator,
    humidity: float | None = None,
) -> FrameEstimate:
    """Estimate PM2.5 from one BGR uint8 frame.

    Raises PreprocessError for a frame or ROI that cannot be model input, InferenceError if the
    runtime fails; the caller counts those (the agent's stage loop) or reports them (predict).
    """
    t0 = time.perf_counter()
    verdict = gate.check(image, roi) if gate is not None else None
    t1 = time.perf_counter()
    if verdict is not None and not verdict.accepted:
        timings = Timings((t1 - t0) * 1000.0, 0.0, 0.0)
        return FrameEstimate(None, None, None, None, QualityFlag.NONE, verdict.reason, timings)
    x = preprocess(image, roi, estimator.manifest.preprocessing)
    t2 = time.perf_counter()
    est = estimator.estimate(x, humidity)
    t3 = time.perf_counter()
    flags = verdict.flags if verdict is not None else QualityFlag.NONE
    scale = verdict.sd_scale if verdict is not None else 1.0
    timings = Timings((t1 - t0) * 1000.0, (t2 - t1) * 1000.0, (t3 - t2) * 1000.0)
    names = estimator.manifest.preprocessing.features
    haze = {n: float(v) for n, v in zip(names, x.features, strict=True) if n in HAZE_SIGNALS}
    return FrameEstimate(
        est.pm25, est.sd * scale, aqi(est.pm25), category(est.pm25), flags, None, timings, haze
    )
