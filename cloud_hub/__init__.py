"""The cloud hub: MQTT ingest, series store, fleet registry, REST API, console and rollouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from cloud_hub.settings import HubSettings

__all__ = ["create_app"]


def create_app(settings: HubSettings | None = None) -> FastAPI:
    """The hub's FastAPI app (see :func:`cloud_hub.app.create_app`); imported lazily."""
    # Lazy: importing cloud_hub.errors or the CLI must not load FastAPI and SQLAlchemy.
    from cloud_hub.app import create_app as _create  # noqa: PLC0415

    return _create(settings)
