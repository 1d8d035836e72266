"""The retrain configuration: the pipeline's sections plus the mix, the field split, the
champion/challenger gate and the canary rollout. Validated once; each stage gets its section."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from training.config import PipelineConfig, SplitConfig, read_config
from training.mix import MixConfig


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GateConfig(_Section):
    """When a challenger replaces the champion (decided on held-out field cameras)."""

    min_improvement: float = Field(
        0.05, ge=0.0, lt=1.0, description="Required relative RMSE gain on field data (0.05: −5 %)."
    )
    band_tolerance: float = Field(
        0.10, ge=0.0, description="Largest relative RMSE loss allowed in any PM band."
    )
    min_band_frames: int = Field(
        10, ge=1, description="Bands with fewer held-out field frames are reported, not gated."
    )
    sim_tolerance: float = Field(
        0.25, ge=0.0, description="Largest relative RMSE loss allowed on held-out sim cameras."
    )
    min_field_frames: int = Field(
        30, ge=1, description="Fewer held-out field frames than this: no decision, no promotion."
    )


class RolloutConfig(_Section):
    """The canary rollout requested for a promoted challenger (body of POST /api/v1/rollouts)."""

    stages: tuple[float, ...] = Field(
        (0.05, 0.25, 1.0), description="Cumulative fractions; the first is the canary."
    )
    mode: str = Field("auto", pattern="^(auto|manual)$", description="'auto' or 'manual'.")
    start: bool = Field(True, description="Start the rollout at once (else a draft).")
    min_shadow_agreement: float = Field(
        0.8, ge=0.0, le=1.0, description="Gate: shadow agreement of updated devices."
    )

    @field_validator("stages")
    @classmethod
    def _increasing(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        ok = bool(v) and v[0] > 0 and all(a < b for a, b in pairwise(v)) and v[-1] == 1.0
        if not ok:
            raise ValueError(f"stages must increase strictly and end at 1.0, got {v}")
        return v


class RetrainConfig(PipelineConfig):
    """`pm25-train retrain`: pipeline sections (synth = the simulated share) plus the loop's."""

    real_split: SplitConfig = Field(
        default_factory=lambda: SplitConfig(test_fraction=0.25, time_holdout_fraction=0.2),
        description="Field split: held-out cameras and the later-time slice.",
    )
    mix: MixConfig = Field(default_factory=MixConfig, description="Sim/real proportions.")
    gate: GateConfig = Field(default_factory=GateConfig, description="Promotion rule.")
    rollout: RolloutConfig = Field(default_factory=RolloutConfig, description="Canary rollout.")


def load_retrain_config(path: str | Path | None) -> RetrainConfig:
    """Read and validate a retrain YAML (defaults when None); TrainingError names the problem."""
    return read_config(path, RetrainConfig)
