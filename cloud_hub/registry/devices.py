"""Devices and zones: registration, changes made by people, and the fleet's state."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import Conflict, NotFound, ValidationFailed
from cloud_hub.registry import audit
from cloud_hub.registry.models import Device, Zone

# Fields a person may change with update_device.
EDITABLE = frozenset({"name", "lat", "lon", "zone_id", "hardware_profile", "tags"})


def get_device(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"device {device_id!r} is not registered")
    return device


def create_device(session: Session, actor: str, device_id: str, **fields: Any) -> Device:
    """Register ``device_id``; :class:`Conflict` if it exists (revoked ids are not reused)."""
    if device_id.startswith("_"):  # the hub's own pseudo-devices, e.g. fleet drift's "_fleet"
        raise ValidationFailed(f"device id {device_id!r}: ids starting with '_' are reserved")
    if session.get(Device, device_id) is not None:
        raise Conflict(f"device {device_id!r} is already registered")
    _check_fields(session, fields)
    now = time.time()
    device = Device(id=device_id, created_at=now, updated_at=now, **{"tags": [], **fields})
    session.add(device)
    session.flush()
    audit.record(session, actor, "device.create", "device", device_id, _jsonable(fields))
    return device


def update_device(session: Session, actor: str, device_id: str, **fields: Any) -> Device:
    device = get_device(session, device_id)
    _check_fields(session, fields)
    for name, value in fields.items():
        setattr(device, name, value)
    device.updated_at = time.time()
    audit.record(session, actor, "device.update", "device", device_id, _jsonable(fields))
    return device


def revoke_device(session: Session, actor: str, device_id: str) -> Device:
    """Mark the device revoked: ingest refuses its messages from now on."""
    device = get_device(session, device_id)
    device.status = "revoked"
    device.updated_at = time.time()
    audit.record(session, actor, "device.revoke", "device", device_id)
    return device


def list_devices(
    session: Session,
    *,
    zone_id: str | None = None,
    tag: str | None = None,
    model_version: int | None = None,
    status: str | None = None,
) -> list[Device]:
    query = select(Device).order_by(Device.id)
    if zone_id is not None:
        query = query.where(Device.zone_id == zone_id)
    if model_version is not None:
        query = query.where(Device.model_version == model_version)
    if status is not None:
        query = query.where(Device.status == status)
    devices = list(session.scalars(query))
    # Tags are a small JSON list: filter here, portable across SQLite and PostgreSQL.
    return [d for d in devices if tag is None or tag in (d.tags or [])]


@dataclass(frozen=True, slots=True)
class FleetCounts:
    total: int
    online: int
    offline: int
    degraded: int
    never_seen: int
    revoked: int


def health_of(device: Device, now: float, offline_after_s: float) -> str:
    """online, degraded, offline, never_seen or revoked: a pure function of the stored state.

    Online but reporting errors or an outbox older than 10 minutes counts as degraded; a device
    unheard for ``offline_after_s`` counts as offline whatever its last status said.
    """
    if device.status == "revoked":
        return "revoked"
    if device.last_seen_at is None:
        return "never_seen"
    if device.status == "offline" or now - device.last_seen_at > offline_after_s:
        return "offline"
    hb = device.last_heartbeat or {}
    if hb.get("errors") or (hb.get("outbox_age_s") or 0) > 600:
        return "degraded"
    return "online"


def fleet_counts(session: Session, now: float, offline_after_s: float = 300.0) -> FleetCounts:
    states = [health_of(d, now, offline_after_s) for d in session.scalars(select(Device))]
    return FleetCounts(
        total=len(states),
        online=states.count("online"),
        offline=states.count("offline"),
        degraded=states.count("degraded"),
        never_seen=states.count("never_seen"),
        revoked=states.count("revoked"),
    )


def create_zone(session: Session, actor: str, zone_id: str, name: str, outline: list[Any]) -> Zone:
    if session.get(Zone, zone_id) is not None:
        raise Conflict(f"zone {zone_id!r} exists")
    zone = Zone(id=zone_id, name=name, outline=outline, created_at=time.time())
    session.add(zone)
    session.flush()
    audit.record(session, actor, "zone.create", "zone", zone_id, {"name": name})
    return zone


def list_zones(session: Session) -> Sequence[Zone]:
    return session.scalars(select(Zone).order_by(Zone.id)).all()


def _check_fields(session: Session, fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationFailed(f"fields not editable: {', '.join(sorted(unknown))}")
    zone_id = fields.get("zone_id")
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise NotFound(f"zone {zone_id!r} does not exist")


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if isinstance(v, str | int | float | list | None)}
