"""Probes and metrics for operators' tooling: /health, /ready, /metrics (no auth, no secrets)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cloud_hub.api.deps import HubDep
from cloud_hub.errors import HubError
from cloud_hub.registry import devices

router = APIRouter(include_in_schema=False)


@router.get("/health")
def health() -> dict[str, str]:
    """The process answers HTTP."""
    return {"status": "ok"}


@router.get("/ready")
def ready(hub: HubDep) -> JSONResponse:
    """Registry, series store and (when ingest runs) the broker reachable: 200, else 503."""
    checks = {"registry": hub.registry.ping, "series": hub.series.ping, **hub.checks}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except (HubError, OSError) as e:
            results[name] = f"unavailable: {e}"
    ok = all(v == "ok" for v in results.values())
    return JSONResponse({"ready": ok, "checks": results}, status_code=200 if ok else 503)


@router.get("/metrics")
def metrics(hub: HubDep) -> Response:
    with hub.registry.session() as s:
        counts = devices.fleet_counts(s, time.time())
        hub.alert_metrics.refresh(s)
    hub.devices_gauge.labels("online").set(counts.online)
    hub.devices_gauge.labels("degraded").set(counts.degraded)
    hub.devices_gauge.labels("offline").set(counts.offline)
    return Response(generate_latest(hub.metrics), media_type=CONTENT_TYPE_LATEST)
