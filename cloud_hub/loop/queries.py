"""Reads the loop needs from the registry and the series store, in the policies' terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud_hub.loop.labels import Monitor, RefReading
from cloud_hub.loop.tables import DeviceCalibration
from cloud_hub.registry.models import (
    CommandLogEntry,
    DeviceHeartbeat,
    ReferenceMonitor,
    ReferenceReading,
)
from cloud_hub.series import Selection, SeriesStore, StoredReading

MAX_READINGS = 200_000


def monitors(session: Session) -> list[Monitor]:
    rows = session.scalars(select(ReferenceMonitor).order_by(ReferenceMonitor.id))
    return [Monitor(m.id, m.lat, m.lon) for m in rows]


def reference(session: Session, monitor_id: str, start: float, end: float) -> list[RefReading]:
    rows = session.scalars(
        select(ReferenceReading)
        .where(
            ReferenceReading.monitor_id == monitor_id,
            ReferenceReading.t >= start,
            ReferenceReading.t < end,
        )
        .order_by(ReferenceReading.t)
    )
    return [RefReading(r.t, r.pm25, r.rh) for r in rows]


def device_readings(
    series: SeriesStore, device_id: str, start: float, end: float
) -> Sequence[StoredReading]:
    if end <= start:
        return []
    return series.query_raw(
        Selection(int(start), int(end) + 1, device_ids=(device_id,)), MAX_READINGS
    ).readings


def heartbeats(session: Session, device_id: str, start: float, end: float) -> list[dict[str, Any]]:
    """The stored heartbeats (JSON) a device sent in [start, end)."""
    rows = session.scalars(
        select(DeviceHeartbeat.heartbeat).where(
            DeviceHeartbeat.device_id == device_id,
            DeviceHeartbeat.received_at >= start,
            DeviceHeartbeat.received_at < end,
        )
    )
    return list(rows)


def latest_calibration(session: Session, device_id: str) -> DeviceCalibration | None:
    return session.scalars(
        select(DeviceCalibration)
        .where(DeviceCalibration.device_id == device_id)
        .order_by(DeviceCalibration.version.desc())
        .limit(1)
    ).first()


def next_calibration_version(session: Session, device_id: str) -> int:
    top = session.scalar(
        select(func.max(DeviceCalibration.version)).where(DeviceCalibration.device_id == device_id)
    )
    return int(top or 0) + 1


def calibration_in_effect(session: Session, device_id: str, t: float) -> int | None:
    """The calibration version the device applied at ``t``: the newest whose config push the
    device had acked by then (it restarts its stages on the ack). None: uncalibrated."""
    return session.scalar(
        select(DeviceCalibration.version)
        .join(CommandLogEntry, CommandLogEntry.id == DeviceCalibration.command_id)
        .where(
            DeviceCalibration.device_id == device_id,
            CommandLogEntry.ok.is_(True),
            CommandLogEntry.acked_at <= t,
        )
        .order_by(DeviceCalibration.version.desc())
        .limit(1)
    )
