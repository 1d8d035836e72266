"""The pure gate decision, on hand-made statistics: order of checks, boundaries, doubt scaling."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge_agent.gate import GateConfig, RejectReason
from edge_agent.gate.policy import decide
from edge_agent.gate.stats import FrameStats
from pm25.wire import QualityFlag

CFG = GateConfig()
TINY = np.zeros((90, 160), np.float32)


def stats(**kw: float) -> FrameStats:
    base = {"mean": 110.0, "p1": 60.0, "clipped": 0.0, "sharpness": 0.12, "dark_flat_blocks": 0.0}
    base.update(kw)
    return FrameStats(tiny=TINY, **base)


def test_good_frame_plain_accept() -> None:
    r = decide(stats(), CFG, repeats=0, shift=0.0)
    assert (r.accepted, r.reason, r.flags, r.sd_scale) == (True, None, QualityFlag.NONE, 1.0)


@pytest.mark.parametrize(
    ("kw", "repeats", "shift", "reason"),
    [
        ({}, 2, 0.0, RejectReason.FROZEN),
        ({"mean": 30.0, "p1": 2.0}, 0, None, RejectReason.NIGHT),
        ({"mean": 30.0, "p1": 20.0}, 0, None, RejectReason.UNDEREXPOSED),
        ({"mean": 171.0}, 0, None, RejectReason.OVEREXPOSED),
        ({"clipped": 0.2}, 0, None, RejectReason.OVEREXPOSED),
        ({"dark_flat_blocks": 0.05}, 0, None, RejectReason.OBSTRUCTED),
        ({"sharpness": 0.049}, 0, None, RejectReason.BLURRED),
        ({}, 0, 0.011, RejectReason.CAMERA_MOVED),
        # order: the more fundamental reason wins
        ({"mean": 30.0, "p1": 2.0, "sharpness": 0.0}, 5, 0.5, RejectReason.FROZEN),
        ({"mean": 30.0, "p1": 2.0, "sharpness": 0.0}, 0, 0.5, RejectReason.NIGHT),
        ({"sharpness": 0.0}, 0, 0.5, RejectReason.BLURRED),
    ],
)
def test_rejections(
    kw: dict[str, float], repeats: int, shift: float | None, reason: RejectReason
) -> None:
    r = decide(stats(**kw), CFG, repeats, shift)
    assert not r.accepted and r.reason is reason and r.flags == QualityFlag.NONE


def test_thresholds_are_strict_boundaries() -> None:
    at = stats(mean=CFG.dark_mean, clipped=CFG.clipped_fraction, sharpness=CFG.sharpness)
    assert decide(at, CFG, CFG.frozen_frames - 2, CFG.moved_fraction).accepted


@pytest.mark.parametrize(
    ("kw", "shift", "flag"),
    [
        ({"mean": 45.0}, None, QualityFlag.LOW_LIGHT),
        ({"clipped": 0.05}, None, QualityFlag.LOW_CONTRAST_ROI),
        ({"dark_flat_blocks": 0.02}, None, QualityFlag.PARTIAL_OBSTRUCTION),
        ({"sharpness": 0.06}, None, QualityFlag.BLUR),
        ({}, 0.007, QualityFlag.CAMERA_SHIFT_SUSPECT),
    ],
)
def test_each_doubt_flags_and_widens(
    kw: dict[str, float], shift: float | None, flag: QualityFlag
) -> None:
    r = decide(stats(**kw), CFG, 0, shift)
    assert r.accepted and r.flags == flag and r.sd_scale == CFG.doubt_sd_scale


def test_doubts_multiply() -> None:
    r = decide(stats(mean=45.0, sharpness=0.06), CFG, 0, 0.007)
    assert r.flags == QualityFlag.LOW_LIGHT | QualityFlag.BLUR | QualityFlag.CAMERA_SHIFT_SUSPECT
    assert r.sd_scale == pytest.approx(CFG.doubt_sd_scale**3)


def test_no_reference_no_moved_check() -> None:
    assert decide(stats(), CFG, 0, None).accepted


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dark_mean_doubtful", 30.0),
        ("sharpness_doubtful", 0.01),
        ("clipped_fraction_doubtful", 0.5),
        ("obstructed_fraction_doubtful", 0.5),
        ("moved_fraction_doubtful", 0.5),
    ],
)
def test_swapped_doubtful_threshold_is_a_clear_config_error(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        GateConfig(**{field: value})
