"""The console's settings section (``console`` in the hub config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsoleSettings(BaseModel):
    """What the browser console needs from the hub's config; nothing secret (served as JSON)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Serve the web console under /console/.")
    tile_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://.*\{z\}.*\{x\}.*\{y\}.*$",
        description="Map tile URL template with {z}/{x}/{y} (e.g. a local tile server); "
        "none: devices are drawn on a plain coordinate plot.",
    )
    poll_s: float = Field(
        default=5.0, ge=1.0, le=300.0, description="Seconds between live page refreshes."
    )
