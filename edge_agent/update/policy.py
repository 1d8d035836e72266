"""Pure decisions of the updater: whether to try now, whether a clock can be trusted."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field


class UpdatePolicy(BaseModel):
    """When and how often the device may try an update."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(3, ge=1, le=100, description="Download attempts per release.")
    window_start: time | None = Field(None, description="Local start of the update window.")
    window_end: time | None = Field(None, description="End of the window (may wrap midnight).")
    clock_slack: timedelta = Field(
        timedelta(minutes=5), description="How far the clock may lag the last trusted time."
    )


def in_window(now: time, start: time | None, end: time | None) -> bool:
    """Whether `now` lies in [start, end), wrapping midnight; no window = always."""
    if start is None or end is None:
        return True
    return start <= now < end if start <= end else now >= start or now < end


def spent(policy: UpdatePolicy, attempts: int) -> bool:
    """Whether the download attempts for a release are used up."""
    return attempts >= policy.max_attempts


def refusal(policy: UpdatePolicy, now: datetime, floor: datetime | None) -> str | None:
    """Why not to try now (None = go): clock behind the trusted floor, or outside the window.

    A device without a real-time clock boots at the epoch: its clock would make expired metadata
    look fresh (a freeze attack). It refuses to update until its clock is at least the latest time
    it trusted before (minus slack), e.g. after NTP sync.
    """
    if floor is not None and now < floor - policy.clock_slack:
        return f"clock {now.isoformat()} is behind the last trusted time {floor.isoformat()}"
    if not in_window(now.timetz().replace(tzinfo=None), policy.window_start, policy.window_end):
        return "outside the update window"
    return None
