"""The composition root: builds the hub's parts in flow order and stops them in reverse.

registry (migrated) → series store → ingest worker (only when enabled) → auth → API routes.
Nothing else wires collaborators; each part gets only its settings section.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Gauge

from cloud_hub.alerts import AlertEvaluator
from cloud_hub.alerts.delivery import Deliverer
from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.api import errors as api_errors
from cloud_hub.api.routes import (
    alerts,
    analytics,
    auth,
    devices,
    fleet,
    loop,
    monitors,
    ops,
    readings,
    releases,
    retrain_reports,
    rollouts,
    users,
)
from cloud_hub.auth import AuthService
from cloud_hub.console.mount import mount_console
from cloud_hub.errors import StoreUnavailable
from cloud_hub.hub import Hub, Message
from cloud_hub.ingest.metrics import IngestMetrics
from cloud_hub.ingest.worker import IngestWorker
from cloud_hub.loop.job import LoopJob, open_store
from cloud_hub.mqtt_client import MqttSettings, publish_batch
from cloud_hub.registry import Registry
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.series.factory import open_series_store
from cloud_hub.settings import HubSettings
from cloud_hub.updates import make_refresher, make_updates_router

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


class MqttPublisher:
    """The hub's publisher: one connection per call of ``many`` (a whole wave or hold), one per
    single message (commands are rare); broker trouble is StoreUnavailable."""

    def __init__(self, settings: MqttSettings) -> None:
        self._settings = settings

    def __call__(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self.many([(topic, payload, retain)])

    def many(self, messages: Sequence[Message]) -> None:
        client_id = f"cloud-hub-pub-{secrets.token_hex(4)}"
        try:
            publish_batch(self._settings, client_id, messages)
        except (OSError, TimeoutError) as e:
            raise StoreUnavailable(f"broker unreachable, command not sent: {e}") from e


def build_hub(settings: HubSettings) -> tuple[Hub, IngestWorker | None]:
    registry = Registry.open(settings.registry_url, echo=settings.registry.echo_sql)
    series = open_series_store(settings.series, settings.data_dir)
    metrics = CollectorRegistry()
    ingest_metrics = IngestMetrics(metrics)
    worker: IngestWorker | None = None
    checks: dict[str, Callable[[], None]] = {}
    if settings.ingest.enabled:
        worker = IngestWorker(
            settings.mqtt,
            settings.ingest,
            series,
            RegistryDirectory(registry),
            metrics=ingest_metrics,
        )
        checks["broker"] = _connected_check(worker)
    auth_service = AuthService(registry, settings.auth)
    auth_service.bootstrap_admin()
    gauge = Gauge("hub_devices", "Devices by health.", ["state"], registry=metrics)
    hub = Hub(
        settings=settings,
        registry=registry,
        series=series,
        auth=auth_service,
        publish=MqttPublisher(settings.mqtt),
        metrics=metrics,
        devices_gauge=gauge,
        alert_metrics=AlertMetrics(metrics),
        checks=checks,
    )
    return hub, worker


def _connected_check(worker: IngestWorker) -> Callable[[], None]:
    def check() -> None:
        if not worker.connected:
            raise StoreUnavailable("ingest is not connected to the broker")

    return check


def create_app(settings: HubSettings | None = None) -> FastAPI:
    """The hub as an ASGI app; with no settings, development defaults (see HubSettings)."""
    settings = settings or HubSettings()
    hub, worker = build_hub(settings)
    evaluator = (
        AlertEvaluator(
            hub.registry, hub.series, hub.publish, settings.alerts, metrics=hub.alert_metrics
        )
        if settings.alerts.enabled
        else None
    )
    rollout_evaluator = (
        RolloutEvaluator(hub.registry, hub.publish, settings.rollouts, series=hub.series)
        if settings.rollouts.enabled
        else None
    )
    refresher = make_refresher(settings.updates, hub.metrics)
    if refresher is not None:
        hub.checks["updates"] = refresher.check
    loop_job = (
        LoopJob(
            hub.registry,
            hub.series,
            hub.publish,
            settings.loop,
            open_store(settings.loop, settings.data_dir),
            repository_dir=settings.rollouts.repository_dir,
            deliverer=Deliverer(hub.registry, hub.publish, settings.alerts, hub.alert_metrics),
        )
        if settings.loop.enabled
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        if evaluator is not None:
            evaluator.start()
        if rollout_evaluator is not None:
            rollout_evaluator.start()
        if refresher is not None:
            refresher.start()
        if loop_job is not None:
            loop_job.start()
        log.info("hub started", extra={"ingest": worker is not None})
        try:
            yield
        finally:
            if loop_job is not None:
                loop_job.stop()
            if refresher is not None:
                refresher.stop()
            if rollout_evaluator is not None:
                rollout_evaluator.stop()
            if evaluator is not None:
                evaluator.stop()
            if worker is not None:
                worker.stop()
            hub.series.close()
            hub.registry.close()
            log.info("hub stopped")

    app = FastAPI(title="2.5Vision Edge cloud hub", version="1", lifespan=lifespan)
    app.state.hub = hub
    api_errors.install(app)
    app.include_router(ops.router)
    for module in (
        auth,
        users,
        devices,
        readings,
        fleet,
        analytics,
        monitors,
        alerts,
        releases,
        rollouts,
        retrain_reports,
        loop,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    repo_dir = settings.updates.repo_dir or settings.rollouts.repository_dir
    if repo_dir is not None:
        app.include_router(make_updates_router(repo_dir))
    mount_console(app, settings.console, api_prefix=API_PREFIX)
    return app
