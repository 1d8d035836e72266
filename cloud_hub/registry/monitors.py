"""Reference monitors and their readings (for calibrating cameras against regulatory data)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import Conflict, NotFound, ValidationFailed
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


# ``(t, pm25)`` or ``(t, pm25, rh)``: t unix seconds, PM2.5 µg/m³, rh relative humidity in percent
# (0..100, as monitors report it) or None when the monitor has no humidity sensor.
ReadingRow = tuple[float, float] | tuple[float, float, float | None]
RH_MIN, RH_MAX = 0.0, 100.0


def add_readings(
    session: Session, actor: str, monitor_id: str, readings: Sequence[ReadingRow]
) -> int:
    """Store readings; a reading at a time already stored replaces it, RH included (idempotent
    re-uploads). All or none: a bad RH raises :class:`ValidationFailed` naming the reading (from
    0) before anything is written. Returns how many were given."""
    get_monitor(session, monitor_id)
    rows = [(row[0], row[1], row[2] if len(row) > 2 else None) for row in readings]
    for i, (_, _, rh) in enumerate(rows):
        problem = rh_problem(rh)
        if problem:
            raise ValidationFailed(f"reading {i}: {problem}")
    for t, pm25, rh in rows:
        session.merge(ReferenceReading(monitor_id=monitor_id, t=t, pm25=pm25, rh=rh))
    audit.record(
        session, actor, "monitor.readings", "monitor", monitor_id, {"count": len(readings)}
    )
    return len(readings)


def rh_problem(rh: float | None) -> str | None:
    """Why ``rh`` cannot be stored, or None (None itself is fine: no humidity sensor)."""
    if rh is None or (math.isfinite(rh) and RH_MIN <= rh <= RH_MAX):
        return None
    return f"rh {rh!r} is outside {RH_MIN:g}..{RH_MAX:g} % (relative humidity in percent)"


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
