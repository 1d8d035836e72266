"""Alert rules (CRUD) and alert history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cloud_hub.alerts.rules import RuleParams
from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.api.schemas import Body, Public, RowId, require_values
from cloud_hub.registry import alerts as repo
from cloud_hub.registry import devices

router = APIRouter(prefix="/alerts", tags=["alerts"])
Url = Annotated[str, Field(pattern=r"^https?://", max_length=2000)]


class RuleCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    params: RuleParams
    device_id: str | None = Field(default=None, max_length=64, description="Only this device.")
    zone_id: str | None = Field(default=None, max_length=64, description="Only this zone.")
    webhook_url: Url | None = None
    enabled: bool = True


class RuleUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    webhook_url: Url | None = None


class RulePublic(Public):
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    device_id: str | None
    zone_id: str | None
    webhook_url: str | None
    enabled: bool
    created_at: float


class EventPublic(Public):
    id: int
    rule_id: int
    device_id: str
    fired_at: float
    resolved_at: float | None
    message: str


class _Deleted(BaseModel):
    deleted: int


@router.get("/rules", response_model=list[RulePublic])
def list_rules(_: Viewer, hub: HubDep) -> list[RulePublic]:
    with hub.registry.session() as s:
        return [RulePublic.model_validate(r) for r in repo.list_rules(s)]


@router.post("/rules", response_model=RulePublic, status_code=201)
def create_rule(body: RuleCreate, me: Operator, hub: HubDep) -> RulePublic:
    params = body.params.model_dump(exclude={"kind"})
    with hub.registry.session() as s:
        if body.device_id is not None:
            devices.get_device(s, body.device_id)
        rule = repo.create_rule(
            s,
            me.username,
            name=body.name,
            kind=body.params.kind,
            params=params,
            device_id=body.device_id,
            zone_id=body.zone_id,
            webhook_url=body.webhook_url,
            enabled=body.enabled,
        )
        return RulePublic.model_validate(rule)


@router.patch("/rules/{rule_id}", response_model=RulePublic)
def update_rule(rule_id: RowId, body: RuleUpdate, me: Operator, hub: HubDep) -> RulePublic:
    with hub.registry.session() as s:
        changes = body.model_dump(exclude_unset=True)
        require_values(changes, "name", "enabled")
        rule = repo.update_rule(s, me.username, rule_id, **changes)
        return RulePublic.model_validate(rule)


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: RowId, me: Operator, hub: HubDep) -> None:
    with hub.registry.session() as s:
        repo.delete_rule(s, me.username, rule_id)


@router.get("/events", response_model=list[EventPublic])
def list_events(
    _: Viewer,
    hub: HubDep,
    rule_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    device_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventPublic]:
    """Alerts fired (and resolved), newest first."""
    with hub.registry.session() as s:
        rows = repo.list_events(s, rule_id=rule_id, device_id=device_id, limit=limit)
        return [EventPublic.model_validate(e) for e in rows]
