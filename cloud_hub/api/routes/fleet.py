"""Fleet status, zones, quarantine and the audit log."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cloud_hub.api.deps import Admin, HubDep, Operator, Viewer
from cloud_hub.api.schemas import FleetStatus, QuarantinePublic, ZoneCreate, ZonePublic
from cloud_hub.registry import audit, devices, logs

router = APIRouter(tags=["fleet"])


@router.get("/fleet/status", response_model=FleetStatus)
def fleet_status(_: Viewer, hub: HubDep) -> FleetStatus:
    """How many devices are online, degraded, offline, never seen and revoked."""
    with hub.registry.session() as s:
        counts = devices.fleet_counts(s, time.time())
    return FleetStatus(
        total=counts.total,
        online=counts.online,
        offline=counts.offline,
        degraded=counts.degraded,
        never_seen=counts.never_seen,
        revoked=counts.revoked,
    )


@router.get("/zones", response_model=list[ZonePublic])
def list_zones(_: Viewer, hub: HubDep) -> list[ZonePublic]:
    with hub.registry.session() as s:
        return [ZonePublic.model_validate(z) for z in devices.list_zones(s)]


@router.post("/zones", response_model=ZonePublic, status_code=201)
def create_zone(body: ZoneCreate, me: Operator, hub: HubDep) -> ZonePublic:
    outline = [list(p) for p in body.outline]
    with hub.registry.session() as s:
        return ZonePublic.model_validate(
            devices.create_zone(s, me.username, body.id, body.name, outline)
        )


@router.get("/quarantine", response_model=list[QuarantinePublic])
def browse_quarantine(
    _: Operator,
    hub: HubDep,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    device_id: Annotated[str | None, Query(max_length=200)] = None,
    before_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[QuarantinePublic]:
    """Refused messages, newest first; page with ``before_id``."""
    with hub.registry.session() as s:
        rows = logs.list_quarantine(
            s, reason=reason, device_id=device_id, limit=limit, before_id=before_id
        )
        return [QuarantinePublic.model_validate(r) for r in rows]


@router.get("/audit", response_model=list[dict[str, Any]])
def audit_log(
    _: Admin, hub: HubDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """The latest changes made by people."""
    with hub.registry.session() as s:
        return [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "detail": e.detail,
            }
            for e in audit.recent(s, limit)
        ]
