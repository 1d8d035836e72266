"""Devices that update after the rollout gave up on them: record the truth, keep the history.

A device is marked failed when it stays silent ``silent_timeout_s`` after its notice, yet it may
still install the release later from its retained ``desired`` update (``rollouts.desired``). Once
its heartbeat reports the release active and it passes the same health checks as any updated
device, its row becomes ``updated`` with the time the hub saw it, and its reason keeps the
earlier failure ("updated late; earlier: silent for …"); an audit entry
``rollout.device_late`` records the change with the failure it replaces.

Only failures from *before* the device ran the release qualify (silent, notice refused, the
updater reporting failed/gave up): the hub never saw those devices on the release
(``updated_at`` is None). A device that failed *after* running it (rolled back, model load
failure, no heartbeat, outbox growing) stays failed: that failure is evidence about the release.

Transitions already made (an advance, a pause or roll back by a failing gate, completion) are
never undone: they stay in the audit log with the gate values they were made on. A late device
counts in the live gate of a running rollout from then on, like any updated device.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.registry import audit
from cloud_hub.registry.models import Device, Rollout, RolloutDevice
from cloud_hub.rollouts import gates, progress
from cloud_hub.rollouts.spec import RolloutSpec

ACTOR = "rollout-evaluator"
PREFIX = "updated late; earlier: "


def eligible(row: RolloutDevice) -> bool:
    """Failed before the hub ever saw it on the release (and not by rolling it back)."""
    return (
        row.state == "failed"
        and row.updated_at is None
        and row.notified_at is not None
        and not (row.reason or "").startswith("rolled_back")
    )


def recovered(
    row: RolloutDevice, device: Device, version: int, limits: gates.Gates, now: float
) -> bool:
    """The device now reports ``version`` active and is healthy by the gates' own checks."""
    up = progress.update_section(device)
    if up.get("version") != version or up.get("state") != "active":
        return False
    if (device.model_version or 0) < version:
        return False
    seen = replace(progress.report(row, device), state="updated", updated_at=now)
    hb = device.last_heartbeat or {}
    seen = replace(seen, outbox_age_s=hb.get("outbox_age_s"))
    return gates.classify(seen, limits, now)[0] == "updated"


def mark(session: Session, rollout_id: str, row: RolloutDevice, now: float) -> None:
    """Count ``row`` updated as of ``now``, keeping the failure it replaces in reason and audit."""
    earlier = row.reason or "failed"
    detail = {"device": row.device_id, "failed": earlier, "notified_at": row.notified_at,
              "updated_at": now}  # fmt: skip
    audit.record(session, ACTOR, "rollout.device_late", "rollout", rollout_id, detail)
    row.state, row.updated_at, row.reason = "updated", now, (PREFIX + earlier)[:1000]


def settle(
    session: Session, rollout: Rollout, pairs: Iterable[tuple[RolloutDevice, Device]], now: float
) -> list[str]:
    """Mark every late device among ``pairs`` (row, its device); the ids marked."""
    limits = RolloutSpec.model_validate(rollout.spec).gates
    marked = []
    for row, device in pairs:
        if eligible(row) and recovered(row, device, rollout.version, limits, now):
            mark(session, rollout.id, row, now)
            marked.append(row.device_id)
    return marked


def settle_stopped(session: Session, now: float) -> list[str]:
    """Late devices of rollouts that are not running (paused, completed, aborted, rolled
    back): their devices may still install (a completed rollout keeps its ``install``)."""
    marked = []
    for rollout, row, device in _candidates(session):
        marked += settle(session, rollout, [(row, device)], now)
    return marked


def _candidates(session: Session) -> list[tuple[Rollout, RolloutDevice, Device]]:
    """Failed rows of rollouts that are not running (those are settled in their evaluation)
    whose device now runs the release or a newer one: few, and found in one query."""
    query = (
        select(Rollout, RolloutDevice, Device)
        .join(RolloutDevice, RolloutDevice.rollout_id == Rollout.id)
        .join(Device, Device.id == RolloutDevice.device_id)
        .where(
            Rollout.state.not_in(("draft", "running")),
            RolloutDevice.state == "failed",
            RolloutDevice.updated_at.is_(None),
            Device.model_version >= Rollout.version,
        )
    )
    return [(r, d, dev) for r, d, dev in session.execute(query).all()]
