"""Login-throttle counters, shared by every hub replica through the registry database.

One row per (scope, key): ``pair`` (address + username), ``user`` and ``address``. A try is
counted *before* the password is checked, in one atomic upsert that refuses while the row is
locked: a burst of concurrent guesses, on one replica or several, cannot all pass a check that
none of them has yet recorded. A success undoes its own count (see ``cloud_hub.auth.throttle``).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Float, Integer, String, Table, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from cloud_hub.errors import StoreUnavailable
from cloud_hub.registry.models import Base

KEY_CHARS = 200


class LoginCounter(Base):
    """Tries counted for one scope and key; ``locked_until`` set once delays apply."""

    __tablename__ = "login_counters"
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[float] = mapped_column(Float, index=True)
    locked_until: Mapped[float | None] = mapped_column(Float, nullable=True)


_T = cast(Table, LoginCounter.__table__)  # a Table, typed as its base FromClause


def count_try(
    session: Session, scope: str, key: str, now: float, stale_before: float
) -> int | None:
    """Count one try unless the row is locked at ``now``: the new count, or None when locked.

    A row untouched since ``stale_before`` starts again from 1 (the window forgives)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert  # type: ignore[assignment]
    else:
        raise StoreUnavailable(f"login throttle needs SQLite or PostgreSQL, not {dialect}")
    stmt = insert(_T).values(scope=scope, key=key, failures=1, last_at=now, locked_until=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_T.c.scope, _T.c.key],
        set_={
            "failures": case((_T.c.last_at < stale_before, 1), else_=_T.c.failures + 1),
            "last_at": now,
        },
        where=or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now),
    )
    count: int | None = session.execute(stmt.returning(_T.c.failures)).scalar_one_or_none()
    return count


def locked_until(session: Session, scope: str, key: str) -> float | None:
    return session.scalar(select(_T.c.locked_until).where(_T.c.scope == scope, _T.c.key == key))


def lock(session: Session, scope: str, key: str, until: float) -> None:
    session.execute(
        update(_T).where(_T.c.scope == scope, _T.c.key == key).values(locked_until=until)
    )


def reset(session: Session, scope: str, key: str) -> None:
    session.execute(delete(_T).where(_T.c.scope == scope, _T.c.key == key))


def uncount(session: Session, scope: str, key: str, free_failures: int) -> None:
    """Take back one counted try; the lock goes when the count is back within the free ones."""
    session.execute(
        update(_T)
        .where(_T.c.scope == scope, _T.c.key == key, _T.c.failures > 0)
        .values(
            failures=_T.c.failures - 1,
            locked_until=case((_T.c.failures - 1 <= free_failures, None), else_=_T.c.locked_until),
        )
    )


def prune(session: Session, stale_before: float, now: float) -> int:
    """Delete rows untouched since ``stale_before`` whose lock (if any) has run out."""
    result = session.execute(
        delete(_T).where(
            _T.c.last_at < stale_before,
            or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
