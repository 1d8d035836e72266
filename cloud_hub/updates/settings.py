"""The hub's ``updates`` section: the TUF repository it serves and its online keys."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class UpdatesSettings(BaseModel):
    """Serve the update repository at ``/tuf`` and keep its timestamp/snapshot fresh."""

    model_config = ConfigDict(extra="forbid")

    repo_dir: Path | None = Field(
        default=None,
        description="TUF repository directory served at /tuf (default: rollouts.repository_dir).",
    )
    online_keys_dir: Path | None = Field(
        default=None,
        description="Directory with exactly one snapshot-*.pem and one timestamp-*.pem; "
        "when set, the hub re-signs timestamp (and snapshot when targets changed) periodically.",
    )
    refresh_interval_s: float = Field(
        default=3600.0,
        gt=0,
        le=6 * 3600,
        description="Seconds between refreshes (at most 6 h, inside the 1-day timestamp expiry).",
    )

    @model_validator(mode="after")
    def _keys_need_a_repository(self) -> Self:
        if self.online_keys_dir is not None and self.repo_dir is None:
            raise ValueError("updates.online_keys_dir needs updates.repo_dir")
        return self
