"""Rollouts: list, create, get (stage progress, live gate values, per-device status), and the
transitions start, pause, resume, advance (manual), abort, roll back. Every change is audited.

Pause, abort and roll back publish a retained ``hold`` to every device told so far (resume an
``install``) before the change commits: when the broker cannot take them the answer is 503 and
the rollout is unchanged, never stopped without its devices knowing (``rollouts.desired``)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.errors import ValidationFailed
from cloud_hub.rollouts import desired, service
from cloud_hub.rollouts.machine import Action
from cloud_hub.rollouts.releases import ReleaseCatalogue
from cloud_hub.rollouts.views import RolloutCreate, RolloutDetail, RolloutPublic, detail, public
from pm25.ota import manifest_target

router = APIRouter(prefix="/rollouts", tags=["rollouts"])


@router.get("", response_model=list[RolloutPublic])
def list_rollouts(
    _: Viewer, hub: HubDep, state: Annotated[str | None, Query(max_length=16)] = None
) -> list[RolloutPublic]:
    with hub.registry.session() as s:
        return [public(r, service.devices(s, r.id)) for r in service.list_all(s, state=state)]


@router.post("", response_model=RolloutDetail, status_code=201)
def create_rollout(body: RolloutCreate, me: Operator, hub: HubDep) -> RolloutDetail:
    """A rollout of release ``model_name`` v``version``; started at once unless ``start`` is false.

    When the hub has an update repository configured, the release must be in it.
    """
    settings = hub.settings.rollouts
    if settings.repository_dir is not None:
        known = {(r.name, r.version) for r in ReleaseCatalogue(settings.repository_dir).list()}
        if (body.model_name, body.version) not in known:
            raise ValidationFailed(f"release {body.model_name} v{body.version} is not published")
    with hub.registry.session() as s:
        rollout = service.create(
            s,
            me.username,
            model_name=body.model_name,
            version=body.version,
            target=manifest_target(body.model_name),
            spec=body.spec,
        )
        if body.start:
            service.act(s, me.username, rollout.id, "start")
        return detail(rollout, [])


@router.get("/{rollout_id}", response_model=RolloutDetail)
def get_rollout(rollout_id: str, _: Viewer, hub: HubDep) -> RolloutDetail:
    with hub.registry.session() as s:
        return detail(service.get(s, rollout_id), service.devices(s, rollout_id))


def _act(hub: HubDep, actor: str, rollout_id: str, action: Action) -> RolloutPublic:
    with hub.registry.session() as s:
        rollout = service.act(s, actor, rollout_id, action)
        rows = service.devices(s, rollout_id)
        desired.publish_all(hub.publish, desired.after_action(rollout, action, rows, time.time()))
        return public(rollout, rows)


@router.post("/{rollout_id}/start", response_model=RolloutPublic)
def start(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    return _act(hub, me.username, rollout_id, "start")


@router.post("/{rollout_id}/pause", response_model=RolloutPublic)
def pause(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    return _act(hub, me.username, rollout_id, "pause")


@router.post("/{rollout_id}/resume", response_model=RolloutPublic)
def resume(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    return _act(hub, me.username, rollout_id, "resume")


@router.post("/{rollout_id}/advance", response_model=RolloutPublic)
def advance(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    """Start the next stage now (manual rollouts; also overrides a holding gate)."""
    return _act(hub, me.username, rollout_id, "advance")


@router.post("/{rollout_id}/abort", response_model=RolloutPublic)
def abort(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    return _act(hub, me.username, rollout_id, "abort")


@router.post("/{rollout_id}/rollback", response_model=RolloutPublic)
def roll_back(rollout_id: str, me: Operator, hub: HubDep) -> RolloutPublic:
    """Stop the rollout for good and mark it rolled back (see docs/rollouts.md for devices)."""
    return _act(hub, me.username, rollout_id, "roll_back")
