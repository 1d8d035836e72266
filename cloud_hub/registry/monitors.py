"""Reference monitors and their readings (for calibrating cameras against regulatory data)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import Conflict, NotFound
from cloud_hub.registry import audit
from cloud_hub.registry.models import ReferenceMonitor, ReferenceReading


def create_monitor(
    session: Session, actor: str, monitor_id: str, *, name: str, lat: float, lon: float
) -> ReferenceMonitor:
    if session.get(ReferenceMonitor, monitor_id) is not None:
        raise Conflict(f"reference monitor {monitor_id!r} exists")
    monitor = ReferenceMonitor(id=monitor_id, name=name, lat=lat, lon=lon, created_at=time.time())
    session.add(monitor)
    session.flush()
    audit.record(session, actor, "monitor.create", "monitor", monitor_id, {"name": name})
    return monitor


def get_monitor(session: Session, monitor_id: str) -> ReferenceMonitor:
    monitor = session.get(ReferenceMonitor, monitor_id)
    if monitor is None:
        raise NotFound(f"reference monitor {monitor_id!r} does not exist")
    return monitor


def list_monitors(session: Session) -> Sequence[ReferenceMonitor]:
    return session.scalars(select(ReferenceMonitor).order_by(ReferenceMonitor.id)).all()


def add_readings(
    session: Session, actor: str, monitor_id: str, readings: Sequence[tuple[float, float]]
) -> int:
    """Store ``(t, pm25)`` readings; a reading at a time already stored replaces it (idempotent
    re-uploads). Returns how many were given."""
    get_monitor(session, monitor_id)
    for t, pm25 in readings:
        session.merge(ReferenceReading(monitor_id=monitor_id, t=t, pm25=pm25))
    audit.record(
        session, actor, "monitor.readings", "monitor", monitor_id, {"count": len(readings)}
    )
    return len(readings)


def readings(
    session: Session, monitor_id: str, start: float, end: float
) -> Sequence[ReferenceReading]:
    get_monitor(session, monitor_id)
    return session.scalars(
        select(ReferenceReading)
        .where(
            ReferenceReading.monitor_id == monitor_id,
            ReferenceReading.t >= start,
            ReferenceReading.t < end,
        )
        .order_by(ReferenceReading.t)
    ).all()
