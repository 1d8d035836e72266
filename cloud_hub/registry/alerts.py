"""Alert rules and the history of alerts fired and resolved."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import NotFound
from cloud_hub.registry import audit
from cloud_hub.registry.models import AlertEvent, AlertRule


def create_rule(session: Session, actor: str, **fields: Any) -> AlertRule:
    rule = AlertRule(created_at=time.time(), **fields)
    session.add(rule)
    session.flush()
    audit.record(
        session, actor, "alert_rule.create", "alert_rule", str(rule.id), {"name": rule.name}
    )
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"alert rule {rule_id} does not exist")
    return rule


def update_rule(session: Session, actor: str, rule_id: int, **fields: Any) -> AlertRule:
    rule = get_rule(session, rule_id)
    for name, value in fields.items():
        setattr(rule, name, value)
    audit.record(session, actor, "alert_rule.update", "alert_rule", str(rule_id))
    return rule


def delete_rule(session: Session, actor: str, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    audit.record(session, actor, "alert_rule.delete", "alert_rule", str(rule_id))


def list_rules(session: Session, enabled_only: bool = False) -> Sequence[AlertRule]:
    query = select(AlertRule).order_by(AlertRule.id)
    if enabled_only:
        query = query.where(AlertRule.enabled.is_(True))
    return session.scalars(query).all()


def open_events(session: Session, rule_id: int) -> dict[str, AlertEvent]:
    rows = session.scalars(
        select(AlertEvent).where(AlertEvent.rule_id == rule_id, AlertEvent.resolved_at.is_(None))
    )
    return {e.device_id: e for e in rows}


def list_events(
    session: Session, *, rule_id: int | None = None, device_id: str | None = None, limit: int = 100
) -> Sequence[AlertEvent]:
    query = select(AlertEvent).order_by(AlertEvent.id.desc()).limit(limit)
    if rule_id is not None:
        query = query.where(AlertEvent.rule_id == rule_id)
    if device_id is not None:
        query = query.where(AlertEvent.device_id == device_id)
    return session.scalars(query).all()
