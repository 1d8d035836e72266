"""The gate's decision: a pure function of frame statistics, config and a little state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edge_agent.gate.config import GateConfig
from edge_agent.gate.stats import FrameStats
from pm25.wire import QualityFlag


class RejectReason(StrEnum):
    """Why a frame produced no reading; counted by reason in the heartbeat."""

    FROZEN = "frozen"
    NIGHT = "night"
    UNDEREXPOSED = "underexposed"
    OVEREXPOSED = "overexposed"
    OBSTRUCTED = "obstructed"
    BLURRED = "blurred"
    CAMERA_MOVED = "camera_moved"


@dataclass(frozen=True, slots=True)
class GateResult:
    """The verdict on one frame. sd_scale >= 1 widens the uncertainty of a doubtful frame."""

    accepted: bool
    reason: RejectReason | None = None
    flags: QualityFlag = QualityFlag.NONE
    sd_scale: float = 1.0


ACCEPT = GateResult(accepted=True)


def decide(stats: FrameStats, config: GateConfig, repeats: int, shift: float | None) -> GateResult:
    """Verdict from the statistics, the count of identical previous frames and the view shift.

    Checks run from the most to the least fundamental: a frozen or black frame says nothing
    about sharpness. ``shift`` is None while no reference view exists yet.
    """
    c = config
    if repeats + 1 >= c.frozen_frames:
        return GateResult(False, RejectReason.FROZEN)
    if stats.mean < c.dark_mean:
        night = stats.p1 < c.night_black
        return GateResult(False, RejectReason.NIGHT if night else RejectReason.UNDEREXPOSED)
    if stats.mean > c.bright_mean or stats.clipped > c.clipped_fraction:
        return GateResult(False, RejectReason.OVEREXPOSED)
    if stats.dark_flat_blocks > c.obstructed_fraction:
        return GateResult(False, RejectReason.OBSTRUCTED)
    if stats.sharpness < c.sharpness:
        return GateResult(False, RejectReason.BLURRED)
    if shift is not None and shift > c.moved_fraction:
        return GateResult(False, RejectReason.CAMERA_MOVED)
    doubts = [
        (stats.mean < c.dark_mean_doubtful, QualityFlag.LOW_LIGHT),
        (stats.clipped > c.clipped_fraction_doubtful, QualityFlag.LOW_CONTRAST_ROI),
        (stats.dark_flat_blocks > c.obstructed_fraction_doubtful, QualityFlag.PARTIAL_OBSTRUCTION),
        (stats.sharpness < c.sharpness_doubtful, QualityFlag.BLUR),
        (shift is not None and shift > c.moved_fraction_doubtful, QualityFlag.CAMERA_SHIFT_SUSPECT),
    ]
    flags = QualityFlag.NONE
    n = 0
    for doubtful, flag in doubts:
        if doubtful:
            flags |= flag
            n += 1
    return GateResult(True, None, flags, c.doubt_sd_scale**n) if n else ACCEPT
