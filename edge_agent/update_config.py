"""The ``update`` config section: signed model updates on notice and on a schedule (off unless
enabled)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge_agent.backoff import BackoffConfig
from edge_agent.update.policy import UpdatePolicy


class CheckRetryConfig(BackoffConfig):
    """Backoff between update checks after a failed run: a minute, doubling up to an hour, so a
    fleet whose repository was down does not hammer it when it comes back (jittered)."""

    initial_s: float = Field(60.0, gt=0.0, description="First delay after a failed run, seconds.")
    max_s: float = Field(3600.0, gt=0.0, description="Upper bound of any delay, seconds.")


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
    check_interval_s: float = Field(
        21600.0,
        ge=0,
        le=7 * 86400,
        description="Re-check the release the rollout assigns this often (0 = only on messages).",
    )
    check_jitter: float = Field(
        0.2, ge=0, le=1, description="Spread each interval by up to ± this fraction (no stampede)."
    )
    check_startup_delay_s: float = Field(
        60.0, ge=0, le=86400, description="First check this long after start (jittered likewise)."
    )
    check_retry: CheckRetryConfig = Field(
        default_factory=CheckRetryConfig,
        description="Delays between checks after a failed or deferred run.",
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.enabled and (self.repository_url is None or self.trusted_root is None):
            raise ValueError("update.enabled needs update.repository_url and update.trusted_root")
        return self
