"""The ``update`` config section: signed model updates on notice (off unless enabled)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge_agent.update.policy import UpdatePolicy


class UpdateConfig(BaseModel):
    """Where releases come from, what the device trusts, and how long the shadow run lasts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(False, description="Act on update notices (needs the fields below).")
    repository_url: str | None = Field(
        None, description="Base URL of the hub's TUF repository, e.g. https://hub/tuf."
    )
    trusted_root: Path | None = Field(
        None, description="The root.json the device was provisioned with (pins the signing keys)."
    )
    model_name: str = Field(
        "pm25-haze", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Model family to follow."
    )
    shadow_s: float = Field(
        300.0, ge=0, le=86400, description="Run old and new model side by side this long."
    )
    shadow_tolerance: float = Field(
        5.0, ge=0, le=500, description="Frames within this many µg/m³ count as agreeing."
    )
    timeout_s: float = Field(30.0, gt=0, le=600, description="HTTP timeout of one request.")
    policy: UpdatePolicy = Field(
        default_factory=UpdatePolicy, description="Attempts per release and update window."
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.enabled and (self.repository_url is None or self.trusted_root is None):
            raise ValueError("update.enabled needs update.repository_url and update.trusted_root")
        return self
