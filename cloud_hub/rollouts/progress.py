"""A device's update progress, read from what it sent: heartbeat and the ack of its notice.

The heartbeat's ``update`` section (``pm25.wire.UpdateProgress``) says where the updater stands;
the heartbeat's ``mv`` says which model is active. A device counts as updated once it runs the
release's version (or a newer one); as failed once it reports a failure for that version or
refuses the notice.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.orm import Session

from cloud_hub.registry.models import CommandLogEntry, Device, RolloutDevice
from cloud_hub.rollouts.gates import DeviceReport, Shadow

FAILED_STATES = frozenset({"failed", "refused", "gave_up", "rolled_back", "abandoned"})


def update_section(device: Device) -> dict[str, Any]:
    hb = device.last_heartbeat or {}
    section = hb.get("update")
    return section if isinstance(section, dict) else {}


def refresh(row: RolloutDevice, device: Device, version: int, session: Session, now: float) -> None:
    """Move ``row`` on from what ``device`` last reported about ``version``."""
    if row.state not in ("updating", "updated"):
        return
    up = update_section(device)
    about_us = up.get("version") == version
    if about_us and isinstance(up.get("shadow"), dict):
        row.shadow = up["shadow"]
    if about_us and up.get("state") in FAILED_STATES:
        row.state, row.reason = "failed", f"{up['state']}: {up.get('reason') or 'no reason given'}"
        return
    if row.command_id is not None:
        cmd = session.get(CommandLogEntry, row.command_id)
        if cmd is not None and cmd.ok is False:
            row.state, row.reason = "failed", f"notice refused: {cmd.reason}"
            return
    if row.state == "updating" and (device.model_version or 0) >= version:  # newer counts too
        row.state, row.updated_at = "updated", now


def report(row: RolloutDevice, device: Device) -> DeviceReport:
    """The gate's view of one cohort device."""
    hb = device.last_heartbeat or {}
    codes = tuple(e.get("code", "") for e in hb.get("errors") or () if isinstance(e, dict))
    shadow = None
    if row.shadow:
        shadow = Shadow(n=int(row.shadow.get("n", 0)), mad=float(row.shadow.get("mad", 0.0)),
                        within=float(row.shadow.get("within", 0.0)))  # fmt: skip
    heard = device.last_seen_at
    if row.notified_at is not None and heard is not None and heard < row.notified_at:
        heard = None  # nothing heard since the notice
    state = cast(Any, row.state)
    return DeviceReport(
        device_id=row.device_id, state=state, notified_at=row.notified_at,
        last_heard_at=heard, reason=row.reason, error_codes=codes,
        outbox_age_s=hb.get("outbox_age_s") if row.state == "updated" else None,
        shadow=shadow, reference_mae=row.reference_mae, updated_at=row.updated_at,
    )  # fmt: skip
