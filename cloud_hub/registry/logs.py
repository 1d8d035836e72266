"""What devices sent that is not a reading: quarantine, command log and acks, samples."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cloud_hub.registry import audit
from cloud_hub.registry.models import (
    CommandLogEntry,
    DeviceHeartbeat,
    DeviceSample,
    QuarantineEntry,
)


def add_quarantine(
    session: Session,
    *,
    received_at: float,
    topic: str,
    reason: str,
    detail: str,
    size: int,
    payload: str,
    device_id: str | None = None,
) -> None:
    session.add(
        QuarantineEntry(
            received_at=received_at,
            topic=topic[:1000],
            reason=reason,
            detail=detail[:2000],
            size=size,
            payload=payload,
            device_id=device_id,
        )
    )


def list_quarantine(
    session: Session,
    *,
    reason: str | None = None,
    device_id: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> Sequence[QuarantineEntry]:
    query = select(QuarantineEntry).order_by(QuarantineEntry.id.desc()).limit(limit)
    if reason is not None:
        query = query.where(QuarantineEntry.reason == reason)
    if device_id is not None:
        query = query.where(QuarantineEntry.device_id == device_id)
    if before_id is not None:
        query = query.where(QuarantineEntry.id < before_id)
    return session.scalars(query).all()


def quarantine_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(QuarantineEntry.reason, func.count()).group_by(QuarantineEntry.reason)
    )
    return {reason: count for reason, count in rows}


def log_command(
    session: Session,
    actor: str,
    device_id: str,
    *,
    command_id: str,
    kind: str,
    payload: dict[str, Any],
) -> CommandLogEntry:
    entry = CommandLogEntry(
        id=command_id,
        device_id=device_id,
        type=kind,
        payload=payload,
        issued_at=time.time(),
        issued_by=actor,
    )
    session.add(entry)
    session.flush()
    audit.record(session, actor, "device.command", "device", device_id, {"type": kind})
    return entry


def record_ack(
    session: Session,
    command_id: str,
    *,
    at: float,
    ok: bool,
    reason: str | None,
    result: dict[str, Any],
) -> bool:
    """Attach an ack to its command; False if the command is unknown (acks are never invented)."""
    entry = session.get(CommandLogEntry, command_id)
    if entry is None:
        return False
    entry.acked_at, entry.ok, entry.reason, entry.result = at, ok, reason, result
    return True


def list_commands(session: Session, device_id: str, limit: int = 50) -> Sequence[CommandLogEntry]:
    return session.scalars(
        select(CommandLogEntry)
        .where(CommandLogEntry.device_id == device_id)
        .order_by(CommandLogEntry.issued_at.desc())
        .limit(limit)
    ).all()


def add_sample(session: Session, sample: DeviceSample) -> None:
    session.add(sample)


def latest_sample(session: Session, device_id: str) -> DeviceSample | None:
    """The newest sample crop a device sent (capture_sample), or None."""
    query = (
        select(DeviceSample)
        .where(DeviceSample.device_id == device_id)
        .order_by(DeviceSample.captured_at.desc(), DeviceSample.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


HEARTBEAT_KEEP_S = 30 * 86400


def heartbeats(
    session: Session, device_id: str, start: float, end: float, limit: int = 5000
) -> Sequence[DeviceHeartbeat]:
    """Heartbeats received in ``[start, end)``, oldest first (the newest ``limit`` of them)."""
    newest = (
        select(DeviceHeartbeat)
        .where(
            DeviceHeartbeat.device_id == device_id,
            DeviceHeartbeat.received_at >= start,
            DeviceHeartbeat.received_at < end,
        )
        .order_by(DeviceHeartbeat.received_at.desc(), DeviceHeartbeat.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(newest).all()))


def prune_heartbeats(session: Session, device_id: str, now: float) -> None:
    """Drop a device's heartbeats older than ``HEARTBEAT_KEEP_S``."""
    session.execute(
        delete(DeviceHeartbeat).where(
            DeviceHeartbeat.device_id == device_id,
            DeviceHeartbeat.received_at < now - HEARTBEAT_KEEP_S,
        )
    )
