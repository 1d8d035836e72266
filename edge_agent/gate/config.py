"""Thresholds of the quality gate, chosen on simulated frames (docs/edge-agent.md shows how).

Grey levels are 8-bit sRGB on a 320-pixel-wide grey copy of the frame; every threshold has a
``doubtful`` companion: past it a frame is still accepted, with a flag and a wider uncertainty.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GateConfig(BaseModel):
    """Quality gate section: which frames are good enough to estimate PM2.5 from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Run the gate; off, every frame is accepted as is.")
    dark_mean: float = Field(
        40.0, ge=0, le=255, description="Mean grey below this: too dark (night or underexposed)."
    )
    dark_mean_doubtful: float = Field(
        48.0, ge=0, le=255, description="Mean grey below this: accepted with LOW_LIGHT."
    )
    night_black: float = Field(
        8.0,
        ge=0,
        le=255,
        description="A dark frame whose 1st-percentile grey is below this is night (unlit "
        "areas are black); above it the whole range is lifted, so it is underexposed.",
    )
    bright_mean: float = Field(
        170.0, ge=0, le=255, description="Mean grey above this: overexposed."
    )
    clipped_fraction: float = Field(
        0.12, ge=0, le=1, description="Fraction of pixels at >= 250 above this: overexposed."
    )
    clipped_fraction_doubtful: float = Field(
        0.04, ge=0, le=1, description="Clipped fraction above this: accepted with a flag."
    )
    sharpness: float = Field(
        0.05,
        ge=0,
        description="mean|Laplacian| / mean grey below this: blurred or dirty lens. Haze at "
        "300 µg/m³ keeps the near field sharp (>= 0.075 on simulated scenes).",
    )
    sharpness_doubtful: float = Field(
        0.065, ge=0, description="Sharpness below this: accepted with BLUR."
    )
    obstructed_fraction: float = Field(
        0.04, ge=0, le=1, description="Fraction of frame blocks that are dark and flat: obstructed."
    )
    obstructed_fraction_doubtful: float = Field(
        0.015, ge=0, le=1, description="Dark-flat block fraction above this: accepted with a flag."
    )
    frozen_frames: int = Field(
        3, ge=2, description="This many identical consecutive frames: the camera is frozen."
    )
    frozen_tolerance: float = Field(
        0.3, ge=0, description="Mean absolute grey difference at or below which frames are equal."
    )
    moved_fraction: float = Field(
        0.01, gt=0, le=1, description="View shift vs the reference, fraction of frame width: moved."
    )
    moved_fraction_doubtful: float = Field(
        0.005, gt=0, le=1, description="Shift above this: accepted with CAMERA_SHIFT_SUSPECT."
    )
    reference_frames: int = Field(
        5, ge=1, description="Accepted frames averaged into the reference view when none is stored."
    )
    doubt_sd_scale: float = Field(
        1.5, ge=1.0, description="Uncertainty multiplier per doubtful check (multiplied together)."
    )

    @model_validator(mode="after")
    def _doubtful_bands_not_empty(self) -> Self:
        # (reject, doubtful, doubtful must be on the accepting side): a swapped pair would
        # silently empty the doubtful band, so no frame would ever get its flag.
        below = (("dark_mean", "dark_mean_doubtful"), ("sharpness", "sharpness_doubtful"))
        above = (
            ("clipped_fraction", "clipped_fraction_doubtful"),
            ("obstructed_fraction", "obstructed_fraction_doubtful"),
            ("moved_fraction", "moved_fraction_doubtful"),
        )
        for reject, doubtful in below:
            if getattr(self, doubtful) < getattr(self, reject):
                raise ValueError(f"{doubtful} must be >= {reject}: below {reject} is rejected")
        for reject, doubtful in above:
            if getattr(self, doubtful) > getattr(self, reject):
                raise ValueError(f"{doubtful} must be <= {reject}: above {reject} is rejected")
        return self
