"""The audit log: every change a person makes, written in the same transaction as the change."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.registry.models import AuditEntry


def record(  # noqa: PLR0917 - reads like a sentence: who, did what, to what
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Note that ``actor`` did ``action`` to a target. Never put secrets in ``detail``."""
    session.add(
        AuditEntry(
            at=time.time(),
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail or {},
        )
    )


def recent(
    session: Session, limit: int = 100, target_id: str | None = None
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return session.scalars(query).all()
