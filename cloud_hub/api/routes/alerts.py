"""Alert rules (CRUD), alert history with each notice's delivery, and re-sending failed ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cloud_hub.alerts.delivery import Deliverer
from cloud_hub.alerts.rules import RuleParams
from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.api.schemas import Body, Public, RowId, require_values
from cloud_hub.errors import NotFound
from cloud_hub.registry import alerts as repo
from cloud_hub.registry import deliveries, devices
from cloud_hub.registry.models import AlertEvent

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


class DeliveryPublic(Public):
    notice: str = Field(description="firing or resolved")
    channel: str = Field(description="mqtt or webhook")
    state: str = Field(
        description="sent; failed (after every retry); pending (the hub stopped before the "
        "try, or it runs now); dropped (the rule lost its webhook before a re-send)"
    )
    attempts: int
    last_error: str | None
    updated_at: float


class EventPublic(Public):
    id: int
    rule_id: int
    device_id: str
    fired_at: float
    resolved_at: float | None
    message: str
    deliveries: list[DeliveryPublic] = Field(
        default_factory=list, description="Empty for alerts fired before delivery was recorded."
    )


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
        return _with_deliveries(s, rows)


@router.post("/events/{event_id}/redeliver", response_model=EventPublic)
def redeliver(event_id: RowId, _: Operator, hub: HubDep) -> EventPublic:
    """Re-send the failed (or pending) notices of one alert, one try per channel; the result
    is in the returned deliveries. 409 when nothing of it failed."""
    Deliverer(hub.registry, hub.publish, hub.settings.alerts, hub.alert_metrics).redeliver(event_id)
    with hub.registry.session() as s:
        event = s.get(AlertEvent, event_id)
        if event is None:  # deleted with its rule meanwhile
            raise NotFound(f"alert event {event_id} does not exist")
        return _with_deliveries(s, [event])[0]


def _with_deliveries(s: Session, events: Sequence[AlertEvent]) -> list[EventPublic]:
    found = deliveries.for_events(s, [e.id for e in events])
    return [
        EventPublic.model_validate(e).model_copy(
            update={"deliveries": [DeliveryPublic.model_validate(d) for d in found[e.id]]}
        )
        for e in events
    ]
