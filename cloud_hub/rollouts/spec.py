"""What a rollout is made of (validated once, stored as JSON) and the hub's rollout settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud_hub.rollouts.cohorts import Selector, Stages, ZoneBudget
from cloud_hub.rollouts.gates import Gates


class RolloutSpec(BaseModel):
    """Selector, stages, zone budget, gates, and what to do on a failed gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    selector: Selector = Field(default_factory=Selector, description="Which devices.")
    stages: Stages = Field(default_factory=Stages, description="Cumulative cohort fractions.")
    budget: ZoneBudget = Field(default_factory=ZoneBudget, description="Per-zone disruption cap.")
    gates: Gates = Field(default_factory=Gates, description="Thresholds of every stage.")
    mode: Literal["auto", "manual"] = Field(
        default="auto", description="auto: advance when the gates pass; manual: wait for a person."
    )
    on_failure: Literal["pause", "roll_back"] = Field(
        default="pause", description="What a failed gate does to the rollout."
    )
    window_s: int | None = Field(
        default=None, ge=60, le=30 * 86400, description="Devices may install within this long."
    )


class RolloutSettings(BaseModel):
    """The hub's rollout section: evaluator cadence and where devices fetch releases."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, description="Run the periodic rollout evaluator.")
    interval_s: float = Field(default=30.0, gt=0, description="Seconds between evaluations.")
    repository_url: str = Field(
        default="http://127.0.0.1:8000/tuf",
        description="Update repository base URL put in update notices.",
    )
    repository_dir: Path | None = Field(
        default=None, description="TUF repository directory the release list is read from."
    )
