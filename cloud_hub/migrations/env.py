"""Alembic environment: runs on the engine the hub passes in (``config.attributes["engine"]``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from cloud_hub.registry.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through cloud_hub.registry.db.upgrade()")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
