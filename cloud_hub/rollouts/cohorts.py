"""Who gets a release when: device selection, stage cohorts by consistent hash, zone budgets.

Pure functions, no I/O. A device's place in a rollout is ``point(rollout_id, device_id)``, a
number in [0, 1) from SHA-256: stage k (fraction f_k) takes every device whose point is below
f_k, so a device in stage k's cohort stays in every later stage, and adding devices to the fleet
never moves the others. Two zone rules keep a corridor from going dark at once:

- **zone spread**: in a rollout of two or more stages, a zone with two or more cameras never has
  all of them enter in the same stage. If the hash puts them together in stage k, the camera with
  the lowest point moves to stage k-1 (or, when k is the first stage, the highest moves to stage 1).
- **in-flight budget**: inside a stage, devices are notified in waves so that at most
  ``zone_cap(size)`` cameras of a zone are updating at any moment, and never all of them unless
  the zone has a single camera.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SCALE = float(2**64)


class Selector(BaseModel):
    """Which devices a rollout targets; empty lists mean no restriction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tags: tuple[str, ...] = Field(default=(), max_length=32, description="Devices with all these.")
    zones: tuple[str, ...] = Field(default=(), max_length=256, description="Devices in any zone.")
    hardware_profiles: tuple[str, ...] = Field(
        default=(), max_length=32, description="Devices with any of these hardware profiles."
    )


class ZoneBudget(BaseModel):
    """The disruption budget: how many cameras of one zone may be updating at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_fraction: float = Field(
        default=0.34, gt=0, le=1, description="At most this fraction of a zone updating at once."
    )
    max_devices: int = Field(
        default=5, ge=1, le=100_000, description="At most this many of a zone updating at once."
    )


@dataclass(frozen=True, slots=True)
class Target:
    """A device as the policy sees it."""

    device_id: str
    zone: str | None
    tags: tuple[str, ...] = ()
    hardware_profile: str = ""


def matches(selector: Selector, device: Target) -> bool:
    if selector.zones and device.zone not in selector.zones:
        return False
    if selector.hardware_profiles and device.hardware_profile not in selector.hardware_profiles:
        return False
    return all(tag in device.tags for tag in selector.tags)


def point(rollout_id: str, device_id: str) -> float:
    """The device's place in [0, 1) for this rollout (SHA-256 of both ids)."""
    digest = hashlib.sha256(f"{rollout_id}\x00{device_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


class Stages(BaseModel):
    """Cumulative cohort fractions, strictly increasing, the last one 1.0 (everyone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fractions: tuple[float, ...] = Field(
        default=(0.05, 0.25, 1.0), min_length=1, max_length=20, description="e.g. 5 %, 25 %, all."
    )

    @field_validator("fractions")
    @classmethod
    def _increasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f <= 1 for f in value):
            raise ValueError("every fraction must be in (0, 1]")
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("fractions must be strictly increasing")
        if value[-1] != 1.0:
            raise ValueError("the last stage must be 1.0 (every selected device)")
        return value


def hashed_stage(fractions: Sequence[float], p: float) -> int:
    """The first stage whose fraction is above ``p``."""
    for k, f in enumerate(fractions):
        if p < f:
            return k
    return len(fractions) - 1


def assign_stages(
    rollout_id: str, fractions: Sequence[float], devices: Sequence[Target]
) -> dict[str, int]:
    """Stage index of every device, with the zone-spread rule applied (see the module doc)."""
    points = {d.device_id: point(rollout_id, d.device_id) for d in devices}
    stage = {i: hashed_stage(fractions, p) for i, p in points.items()}
    zones: dict[str, list[str]] = defaultdict(list)
    for d in devices:
        if d.zone is not None:
            zones[d.zone].append(d.device_id)
    if len(fractions) < 2:
        return stage
    for members in zones.values():
        if len(members) < 2 or len({stage[m] for m in members}) > 1:
            continue
        k = stage[members[0]]
        if k == 0:
            stage[max(members, key=lambda m: points[m])] = 1
        else:
            stage[min(members, key=lambda m: points[m])] = k - 1
    return stage


def zone_cap(size: int, budget: ZoneBudget) -> int:
    """Most cameras of a zone of ``size`` that may be updating at once (>= 1, < size if size>1)."""
    cap = max(1, min(budget.max_devices, math.floor(budget.max_fraction * size)))
    return cap if size <= 1 else min(cap, size - 1)


def next_wave(
    candidates: Sequence[Target],
    in_flight: Mapping[str, int],
    zone_sizes: Mapping[str, int],
    budget: ZoneBudget,
    order: Mapping[str, float],
) -> list[str]:
    """Devices to notify now: candidates in point order while their zone has room.

    ``in_flight`` counts devices per zone notified but not yet finished; devices without a zone
    are not limited.
    """
    busy = dict(in_flight)
    chosen: list[str] = []
    for d in sorted(candidates, key=lambda t: order[t.device_id]):
        if d.zone is None:
            chosen.append(d.device_id)
            continue
        if busy.get(d.zone, 0) < zone_cap(zone_sizes.get(d.zone, 1), budget):
            busy[d.zone] = busy.get(d.zone, 0) + 1
            chosen.append(d.device_id)
    return chosen
