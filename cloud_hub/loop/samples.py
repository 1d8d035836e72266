"""When to ask a device for a sample, and whether an arrived sample may be kept (pure).

A device is asked on a schedule (``every_s``) and on events, never beyond its data budget:
- ``disagreement``: its recent estimate is far from a nearby reference monitor's reading;
- ``borderline``: the quality gate rejects many frames, or many recent readings are flagged;
- ``new_season``: its last sample is from another meteorological season (DJF, MAM, JJA, SON).
Budget: bytes received in the last 30 days plus one expected sample must fit the month's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from cloud_hub.loop.settings import RoiLimit, SampleSettings
from pm25.wire import Roi

MONTH_S: Final = 30 * 86400


class Reason(StrEnum):
    SCHEDULE = "schedule"
    DISAGREEMENT = "disagreement"
    BORDERLINE = "borderline"
    NEW_SEASON = "new_season"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class DeviceView:
    """What the policy knows about one device at ``now``."""

    device_id: str
    bytes_last_30d: int
    last_request_at: float | None
    last_event_request_at: float | None
    last_sample_at: float | None
    recent_pm25: float | None = None  # mean of the device's last readings
    reference_pm25: float | None = None  # a nearby monitor's reading at the same time
    rejected_ratio: float | None = None  # quality gate, since the agent started
    flagged_ratio: float | None = None  # share of recent readings with any flag


def season(t: float) -> int:
    """Meteorological season index 0..3 (DJF, MAM, JJA, SON) of unix time ``t``, UTC."""
    return (datetime.fromtimestamp(t, UTC).month % 12) // 3


def within_budget(view: DeviceView, s: SampleSettings) -> bool:
    return view.bytes_last_30d + s.expected_bytes <= s.budget_bytes_month


def decide(view: DeviceView, now: float, s: SampleSettings) -> Reason | None:
    """Why to ask this device for a sample now, or None."""
    if not within_budget(view, s):
        return None
    if view.last_request_at is not None and now - view.last_request_at < s.event_min_gap_s:
        return None  # one outstanding question at a time, whatever the reason
    event = _event(view, now, s)
    if event is not None:
        last = view.last_event_request_at
        if last is None or now - last >= s.event_min_gap_s:
            return event
    if view.last_request_at is None or now - view.last_request_at >= s.every_s:
        return Reason.SCHEDULE
    return None


def _event(view: DeviceView, now: float, s: SampleSettings) -> Reason | None:
    if view.recent_pm25 is not None and view.reference_pm25 is not None:
        diff = abs(view.recent_pm25 - view.reference_pm25)
        ref = max(view.reference_pm25, 1.0)
        if diff > s.disagreement_min_ugm3 and diff / ref > s.disagreement_ratio:
            return Reason.DISAGREEMENT
    if (view.rejected_ratio or 0.0) >= s.borderline_reject_ratio or (
        view.flagged_ratio or 0.0
    ) >= s.borderline_flagged_ratio:
        return Reason.BORDERLINE
    if view.last_sample_at is not None and season(view.last_sample_at) != season(now):
        return Reason.NEW_SEASON
    return None


def roi_problem(
    roi: Roi, width: int, height: int, limit: RoiLimit | None, max_pixels: int
) -> str | None:
    """Why a sample shows more than the device's configured ROI (refused), or None."""
    if width > roi.w or height > roi.h:
        return f"image {width}x{height} is larger than its declared roi {roi.w}x{roi.h}"
    if limit is None:
        if roi.w * roi.h > max_pixels:
            return f"roi {roi.w}x{roi.h} exceeds max_pixels {max_pixels}"
        return None
    inside = (
        roi.x >= limit.x
        and roi.y >= limit.y
        and roi.x + roi.w <= limit.x + limit.w
        and roi.y + roi.h <= limit.y + limit.h
    )
    if not inside:
        return (
            f"roi {roi.x},{roi.y} {roi.w}x{roi.h} is outside the configured roi "
            f"{limit.x},{limit.y} {limit.w}x{limit.h}"
        )
    return None
