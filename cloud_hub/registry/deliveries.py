"""How each alert notice went out, per channel: sent, failed (after every retry) or pending.

A row is written ``pending`` with its alert event, in the same transaction, and settled after
the try; one left ``pending`` means the hub stopped in between. Operators see failures in
``GET /alerts/events`` and re-send them with ``POST /alerts/events/{id}/redeliver``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Float, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cloud_hub.registry.models import Base

ERROR_CHARS = 500


class AlertDelivery(Base):
    __tablename__ = "alert_deliveries"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True
    )
    notice: Mapped[str] = mapped_column(String(16), primary_key=True)  # firing, resolved
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # mqtt, webhook
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)


def add_pending(
    session: Session, event_id: int, notice: str, channels: Iterable[str], now: float
) -> None:
    for channel in channels:
        row = session.get(AlertDelivery, (event_id, notice, channel))
        if row is None:
            row = AlertDelivery(event_id=event_id, notice=notice, channel=channel, attempts=0)
            session.add(row)
        row.state, row.updated_at = "pending", now


def settle(
    session: Session,
    key: tuple[int, str, str],
    *,
    attempts: int,
    error: str | None,
    now: float,
) -> AlertDelivery | None:
    """Record one delivery's outcome (``error`` None: sent); None if its event is gone."""
    row = session.get(AlertDelivery, key)
    if row is None:
        return None
    row.state = "failed" if error else "sent"
    row.attempts += attempts
    row.last_error = error[:ERROR_CHARS] if error else None
    row.updated_at = now
    return row


def for_events(session: Session, event_ids: Sequence[int]) -> dict[int, list[AlertDelivery]]:
    found: dict[int, list[AlertDelivery]] = {i: [] for i in event_ids}
    if not event_ids:
        return found
    query = (
        select(AlertDelivery)
        .where(AlertDelivery.event_id.in_(event_ids))
        .order_by(AlertDelivery.event_id, AlertDelivery.notice, AlertDelivery.channel)
    )
    for row in session.scalars(query):
        found[row.event_id].append(row)
    return found


def count_failed(session: Session) -> dict[str, int]:
    """Failed deliveries not (yet) re-sent, per channel."""
    query = (
        select(AlertDelivery.channel, func.count())
        .where(AlertDelivery.state == "failed")
        .group_by(AlertDelivery.channel)
    )
    return {channel: int(n) for channel, n in session.execute(query).all()}
