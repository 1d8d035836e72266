"""Alert rules and their pure evaluation: given a device's state and recent readings, is it firing?

Kinds and parameters:

- ``pm25_above`` {level, minutes}: every reading of the last ``minutes`` is above ``level`` µg/m³,
  and the readings cover the window (the first is within 10 % of its start).
- ``aqi_above`` {level, minutes}: the same on the EPA AQI of each reading.
- ``offline`` {after_s}: the device was seen, but not for longer than ``after_s``.
- ``outbox_growing`` {max_age_s}: the oldest unsent reading in the device's outbox (last
  heartbeat) is older than ``max_age_s``: the outbox is filling, not draining.
- ``drift`` {}: a drift signal of the device is over its threshold (evaluated by the closed loop).
- ``quality_failures`` {max_ratio, min_frames}: the quality gate rejected more than ``max_ratio``
  of the frames since the agent started (needs ``min_frames`` frames).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pm25.aqi import aqi


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pm25Above(_Params):
    kind: Literal["pm25_above"] = "pm25_above"
    level: float = Field(ge=0, le=5000, description="µg/m³.")
    minutes: int = Field(ge=1, le=7 * 24 * 60, description="How long it must stay above.")


class AqiAbove(_Params):
    kind: Literal["aqi_above"] = "aqi_above"
    level: int = Field(ge=0, le=500, description="EPA AQI.")
    minutes: int = Field(ge=1, le=7 * 24 * 60, description="How long it must stay above.")


class Offline(_Params):
    kind: Literal["offline"] = "offline"
    after_s: int = Field(ge=60, le=30 * 86400, description="Silence that counts as offline.")


class OutboxGrowing(_Params):
    kind: Literal["outbox_growing"] = "outbox_growing"
    max_age_s: int = Field(ge=60, le=30 * 86400, description="Oldest unsent reading allowed.")


class QualityFailures(_Params):
    kind: Literal["quality_failures"] = "quality_failures"
    max_ratio: float = Field(gt=0, lt=1, description="Largest acceptable rejected share.")
    min_frames: int = Field(default=100, ge=1, description="Frames needed before judging.")


class Drift(_Params):
    """Evaluated by the closed-loop job (cloud_hub.loop.watch), not here: fires while any drift
    signal of the device is at or above its threshold."""

    kind: Literal["drift"] = "drift"


RuleParams = Annotated[
    Pm25Above | AqiAbove | Offline | OutboxGrowing | QualityFailures | Drift,
    Field(discriminator="kind"),
]


@dataclass(frozen=True, slots=True)
class DeviceState:
    device_id: str
    last_seen_at: float | None
    last_heartbeat: dict[str, Any] | None


def evaluate(
    params: Pm25Above | AqiAbove | Offline | OutboxGrowing | QualityFailures,
    device: DeviceState,
    readings: Sequence[tuple[int, float]],
    now: float,
) -> str | None:
    """Why the rule fires for this device (a message), or None if it does not."""
    if isinstance(params, Pm25Above | AqiAbove):
        return _sustained(params, readings, now)
    if isinstance(params, Offline):
        if device.last_seen_at is not None and now - device.last_seen_at > params.after_s:
            return f"offline for {now - device.last_seen_at:.0f} s"
        return None
    hb = device.last_heartbeat or {}
    if isinstance(params, OutboxGrowing):
        age = hb.get("outbox_age_s")
        if isinstance(age, int | float) and age > params.max_age_s:
            waiting = hb.get("outbox")
            return f"outbox not draining: oldest unsent reading {age:.0f} s old, {waiting} waiting"
        return None
    accepted = hb.get("accepted") or 0
    rejected = sum((hb.get("rejected") or {}).values())
    total = accepted + rejected
    if total >= params.min_frames and rejected / total > params.max_ratio:
        return f"quality gate rejected {rejected} of {total} frames"
    return None


def _sustained(
    params: Pm25Above | AqiAbove, readings: Sequence[tuple[int, float]], now: float
) -> str | None:
    window = params.minutes * 60
    start = now - window
    recent = [(t, v) for t, v in readings if start <= t <= now]
    if not recent or min(t for t, _ in recent) > start + 0.1 * window:
        return None
    if isinstance(params, AqiAbove):
        values: list[float] = [float(aqi(v)) for _, v in recent]
        unit = "AQI"
    else:
        values = [v for _, v in recent]
        unit = "µg/m³"
    if min(values) > params.level:
        return f"{unit} above {params.level} for {params.minutes} min (lowest {min(values):g})"
    return None
