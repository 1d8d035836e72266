"""Rollouts in the registry: create, read, and every transition, each written to the audit log.

Transitions go through the pure :func:`machine.apply`, so the API, the evaluator and the tests
share one definition of what is allowed. The audit entry is written in the same transaction as
the change, with the person or token (or ``rollout-evaluator`` for automatic decisions).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import NotFound
from cloud_hub.registry import audit
from cloud_hub.registry.models import Rollout, RolloutDevice
from cloud_hub.rollouts.machine import Action, Position, State, apply
from cloud_hub.rollouts.spec import RolloutSpec

EVALUATOR = "rollout-evaluator"


def new_id() -> str:
    return f"r-{time.strftime('%Y%m%d', time.gmtime())}-{secrets.token_hex(4)}"


def create(
    session: Session,
    actor: str,
    *,
    model_name: str,
    version: int,
    target: str,
    spec: RolloutSpec,
    rollout_id: str | None = None,
) -> Rollout:
    """A rollout in the draft state; nothing is sent until it is started."""
    now = time.time()
    rollout = Rollout(
        id=rollout_id or new_id(),
        model_name=model_name,
        version=version,
        target=target,
        spec=spec.model_dump(mode="json"),
        state="draft",
        stage=0,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(rollout)
    session.flush()
    detail = {"model": model_name, "version": version, "stages": list(spec.stages.fractions)}
    audit.record(session, actor, "rollout.create", "rollout", rollout.id, detail)
    return rollout


def get(session: Session, rollout_id: str, *, lock: bool = False) -> Rollout:
    """The rollout; ``lock`` holds its row until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite serialises writers anyway), so an operator's action and an evaluation never interleave.
    """
    rollout = session.get(Rollout, rollout_id, with_for_update=lock)
    if rollout is None:
        raise NotFound(f"rollout {rollout_id!r} does not exist")
    return rollout


def list_all(session: Session, state: str | None = None, limit: int = 100) -> Sequence[Rollout]:
    query = select(Rollout).order_by(Rollout.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(Rollout.state == state)
    return session.scalars(query).all()


def spec_of(rollout: Rollout) -> RolloutSpec:
    return RolloutSpec.model_validate(rollout.spec)


def act(
    session: Session,
    actor: str,
    rollout_id: str,
    action: Action,
    detail: dict[str, Any] | None = None,
) -> Rollout:
    """Apply ``action`` (Conflict when not allowed now) and audit it."""
    rollout = get(session, rollout_id, lock=True)
    before = Position(cast(State, rollout.state), rollout.stage)
    after = apply(before, action, len(spec_of(rollout).stages.fractions))
    now = time.time()
    rollout.state, rollout.updated_at = after.state, now
    if after.stage != before.stage or action == "start":
        rollout.stage, rollout.stage_started_at, rollout.gate = after.stage, now, None
    record = {"from": f"{before.state}:{before.stage}", "to": f"{after.state}:{after.stage}"}
    record |= detail or {}
    audit.record(session, actor, f"rollout.{action}", "rollout", rollout_id, record)
    return rollout


def devices(session: Session, rollout_id: str) -> Sequence[RolloutDevice]:
    return session.scalars(
        select(RolloutDevice)
        .where(RolloutDevice.rollout_id == rollout_id)
        .order_by(RolloutDevice.stage, RolloutDevice.point)
    ).all()
