"""The per-frame pipeline: accepted, rejected and doubtful frames with the fixture model."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.gate import GateConfig, QualityGate, RejectReason
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.predict import estimate_frame
from pm25.aqi import aqi, category
from pm25.drift_bins import HAZE_SIGNALS
from pm25.errors import PreprocessError
from pm25.preprocess import Roi, preprocess
from pm25.scene import CameraEffects
from pm25.wire import QualityFlag
from tests.edge_agent.sim_frames import NIGHT, frame


@pytest.fixture
def estimator(fixture_model_dir: Path) -> Estimator:
    config = InferenceConfig(precision="fp32", warmup_runs=1)
    return load_estimator(fixture_model_dir, config, None)


def test_accepted_frame_gives_reading_and_aqi(estimator: Estimator) -> None:
    roi = Roi(x=0.2, y=0.1, w=0.6, h=0.5)
    r = estimate_frame(frame(3, 90.0), roi, QualityGate(GateConfig()), estimator)
    assert r.accepted and r.pm25 is not None and r.sd is not None and r.sd > 0
    assert r.aqi == aqi(r.pm25) and r.category == category(r.pm25)
    t = r.timings
    assert min(t.gate_ms, t.preprocess_ms, t.inference_ms) > 0
    # the drift watch's haze features, exactly as preprocess computed them for the model
    x = preprocess(frame(3, 90.0), roi, estimator.manifest.preprocessing)
    names = estimator.manifest.preprocessing.features
    assert r.haze == {s: float(x.features[names.index(s)]) for s in HAZE_SIGNALS if s in names}
    assert r.haze
    assert t.total_ms == pytest.approx(t.gate_ms + t.preprocess_ms + t.inference_ms)


def test_rejected_frame_gives_no_reading(estimator: Estimator) -> None:
    r = estimate_frame(
        frame(3, 90.0, NIGHT, CameraEffects()), None, QualityGate(GateConfig()), estimator
    )
    assert not r.accepted and r.reject_reason is RejectReason.NIGHT
    assert (r.pm25, r.sd, r.aqi, r.category) == (None, None, None, None)
    assert r.timings.inference_ms == 0.0


def test_doubtful_frame_flagged_with_wider_sd(estimator: Estimator) -> None:
    image = frame(1, 30.0, effects=CameraEffects(exposure_ev=1.2, jpeg_quality=90))
    gated = estimate_frame(image, None, QualityGate(GateConfig()), estimator)
    plain = estimate_frame(image, None, None, estimator)
    assert gated.accepted and gated.flags & QualityFlag.LOW_CONTRAST_ROI
    assert gated.pm25 == plain.pm25
    assert gated.sd == pytest.approx(plain.sd * GateConfig().doubt_sd_scale)  # type: ignore[operator]


def test_roi_too_small_is_a_preprocess_error(estimator: Estimator) -> None:
    with pytest.raises(PreprocessError, match="ROI is"):
        estimate_frame(frame(1, 30.0), Roi(x=0.0, y=0.0, w=0.02, h=0.02), None, estimator)
