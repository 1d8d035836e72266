"""Quality gate on simulated frames: each reject reason, doubtful flags, haze is no defect."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from edge_agent.gate import GateConfig, QualityGate, RejectReason
from pm25.scene import CameraEffects
from pm25.wire import QualityFlag
from tests.edge_agent.sim_frames import NIGHT, NOON, WINTER_DAWN, frame


def learned_gate(camera_seed: int, path: Path | None = None) -> QualityGate:
    """A gate that has learned its reference from a few normal frames of the scene."""
    gate = QualityGate(GateConfig(reference_frames=2), path)
    for noise in (1, 2):
        assert gate.check(frame(camera_seed, 30.0, NOON, noise_seed=noise)).accepted
    assert gate.reference is not None
    return gate


@pytest.mark.parametrize("camera_seed", [1, 2, 3, 4])
@pytest.mark.parametrize("pm25", [0.0, 35.0, 120.0, 300.0])
def test_normal_frames_accepted_across_pm_range(camera_seed: int, pm25: float) -> None:
    gate = learned_gate(camera_seed)
    for when in (NOON, WINTER_DAWN):
        result = gate.check(frame(camera_seed, pm25, when, noise_seed=7))
        assert result.accepted, (pm25, when, result)
        # haze must not look like a dirty lens or an obstruction
        assert not result.flags & (QualityFlag.BLUR | QualityFlag.PARTIAL_OBSTRUCTION)


@pytest.mark.parametrize("pm25", [10.0, 300.0])
@pytest.mark.parametrize(
    ("effects", "when", "reason"),
    [
        (CameraEffects(), NIGHT, RejectReason.NIGHT),
        (CameraEffects(exposure_ev=-3.0), NOON, RejectReason.UNDEREXPOSED),
        (CameraEffects(exposure_ev=2.0), NOON, RejectReason.OVEREXPOSED),
        (CameraEffects(blur_sigma_px=4.0), NOON, RejectReason.BLURRED),
        (CameraEffects(obstruction=0.15, defect_seed=1), NOON, RejectReason.OBSTRUCTED),
        (CameraEffects(obstruction=0.3, defect_seed=4), NOON, RejectReason.OBSTRUCTED),
        (CameraEffects(shift_px=(40.0, 10.0)), NOON, RejectReason.CAMERA_MOVED),
        (CameraEffects(shift_px=(-20.0, 0.0)), NOON, RejectReason.CAMERA_MOVED),
    ],
)
def test_each_defect_rejected_with_its_reason(
    effects: CameraEffects, when: datetime, reason: RejectReason, pm25: float
) -> None:
    for camera_seed in (1, 3):
        gate = learned_gate(camera_seed)
        result = gate.check(frame(camera_seed, pm25, when, effects))
        assert not result.accepted and result.reason is reason, (camera_seed, result)
        assert result.flags == QualityFlag.NONE


def test_dirty_lens_rejected_in_haze_and_at_least_flagged_in_clean_air() -> None:
    dirt = CameraEffects(dirt=0.7)
    for camera_seed in (1, 2, 3):
        gate = learned_gate(camera_seed)
        assert gate.check(frame(camera_seed, 300.0, NOON, dirt)).reason is RejectReason.BLURRED
        clean = gate.check(frame(camera_seed, 10.0, NOON, dirt))
        assert not clean.accepted or clean.flags & QualityFlag.BLUR


def test_frozen_after_n_identical_frames_and_recovers() -> None:
    gate = QualityGate(GateConfig(frozen_frames=3))
    image = frame(2, 40.0)
    assert gate.check(image).accepted
    assert gate.check(image).accepted
    assert gate.check(image).reason is RejectReason.FROZEN
    assert gate.check(image).reason is RejectReason.FROZEN
    assert gate.check(frame(2, 40.0, noise_seed=5)).accepted


def test_doubtful_frame_accepted_with_flag_and_wider_sd() -> None:
    gate = learned_gate(1)
    result = gate.check(frame(1, 50.0, NOON, CameraEffects(shift_px=(9.0, 0.0))))
    assert result.accepted and result.flags == QualityFlag.CAMERA_SHIFT_SUSPECT
    assert result.sd_scale == pytest.approx(1.5)


def test_reference_persists_across_restarts_and_resets(tmp_path: Path) -> None:
    path = tmp_path / "gate_reference.npy"
    learned_gate(1, path)
    assert path.exists()
    restarted = QualityGate(GateConfig(), path)
    assert restarted.reference is not None
    moved = frame(1, 30.0, NOON, CameraEffects(shift_px=(40.0, 10.0)))
    assert restarted.check(moved).reason is RejectReason.CAMERA_MOVED
    restarted.reset_reference()
    assert not path.exists() and restarted.check(moved).accepted


def test_corrupt_reference_file_is_relearned(tmp_path: Path) -> None:
    path = tmp_path / "gate_reference.npy"
    path.write_bytes(b"not numpy")
    gate = QualityGate(GateConfig(reference_frames=1), path)
    assert gate.reference is None
    assert gate.check(frame(1, 30.0)).accepted
    assert gate.reference is not None and np.load(path).shape == gate.reference.shape


def test_disabled_gate_accepts_everything() -> None:
    gate = QualityGate(GateConfig(enabled=False))
    assert gate.check(frame(1, 10.0, NIGHT, CameraEffects())).accepted
