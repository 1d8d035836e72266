"""Ask devices for samples: build each device's view, apply ``samples.decide``, send the
``capture_sample`` command through the hub's command path (logged like an operator's)."""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from cloud_hub.loop import labels, queries
from cloud_hub.loop.samples import MONTH_S, DeviceView, Reason, decide
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.loop.tables import LoopSample, SampleRequest
from cloud_hub.registry import Registry, logs
from cloud_hub.registry.models import Device
from cloud_hub.series import SeriesStore
from pm25 import topics
from pm25.wire import CaptureSampleCommand, ConfigCommand, QualityFlag, encode

ACTOR = "loop"
RECENT_S = 900
_BORDERLINE_FLAGS = ~int(QualityFlag.CALIBRATED)  # calibrated is not a quality problem


def send(
    registry: Registry,
    publish: Callable[..., None],
    device_id: str,
    cmd: CaptureSampleCommand | ConfigCommand,
) -> None:
    """Log and publish one command (QoS 1 via the hub's publisher)."""
    with registry.session() as db:
        logs.log_command(
            db, ACTOR, device_id, command_id=cmd.id, kind=cmd.type,
            payload=cmd.model_dump(mode="json"),
        )  # fmt: skip
    publish(topics.cmd(device_id), encode(cmd))


def request_sample(
    registry: Registry,
    publish: Callable[..., None],
    device_id: str,
    reason: Reason,
    *,
    now: float,
    max_side: int,
) -> str:
    cmd = CaptureSampleCommand(id=secrets.token_hex(8), issued_at=int(now), max_side=max_side)
    with registry.session() as db:
        db.add(SampleRequest(command_id=cmd.id, device_id=device_id, reason=reason, issued_at=now))
    send(registry, publish, device_id, cmd)
    return cmd.id


def schedule(
    registry: Registry,
    series: SeriesStore,
    publish: Callable[..., None],
    s: LoopSettings,
    now: float,
) -> dict[str, str]:
    """Ask every online device that the policy picks; return device id → reason."""
    with registry.session() as db:
        online = [
            (d.id, d.lat, d.lon, d.last_heartbeat)
            for d in db.scalars(select(Device).where(Device.status == "online"))
        ]
        mons = queries.monitors(db)
    asked: dict[str, str] = {}
    for device_id, lat, lon, heartbeat in online:
        view = _view(registry, series, s, device_id, (lat, lon), heartbeat, now, mons)
        reason = decide(view, now, s.samples)
        if reason is not None:
            request_sample(
                registry, publish, device_id, reason, now=now, max_side=s.samples.max_side
            )
            asked[device_id] = reason
    return asked


def _view(  # noqa: PLR0917 - one device's inputs, gathered in one place
    registry: Registry,
    series: SeriesStore,
    s: LoopSettings,
    device_id: str,
    where: tuple[float | None, float | None],
    heartbeat: dict[str, Any] | None,
    now: float,
    mons: list[labels.Monitor],
) -> DeviceView:
    with registry.session() as db:
        spent = db.scalar(
            select(func.coalesce(func.sum(LoopSample.bytes), 0)).where(
                LoopSample.device_id == device_id, LoopSample.received_at >= now - MONTH_S
            )
        )
        last_req = db.scalar(
            select(func.max(SampleRequest.issued_at)).where(SampleRequest.device_id == device_id)
        )
        last_event = db.scalar(
            select(func.max(SampleRequest.issued_at)).where(
                SampleRequest.device_id == device_id, SampleRequest.reason != Reason.SCHEDULE
            )
        )
        last_sample = db.scalar(
            select(func.max(LoopSample.captured_at)).where(LoopSample.device_id == device_id)
        )
        close = labels.nearby(where[0], where[1], mons, s.labels.max_km)
        ref = (
            labels.nearest_in_time(
                queries.reference(db, close[0][1].id, now - s.labels.tolerance_s, now + 1),
                now,
                s.labels.tolerance_s,
            )
            if close
            else None
        )
    recent = queries.device_readings(series, device_id, now - RECENT_S, now)
    flagged = [r for r in recent if r.flags & _BORDERLINE_FLAGS]
    return DeviceView(
        device_id=device_id,
        bytes_last_30d=int(spent or 0),
        last_request_at=last_req,
        last_event_request_at=last_event,
        last_sample_at=last_sample,
        recent_pm25=statistics.fmean(r.pm25 for r in recent) if recent else None,
        reference_pm25=ref.pm25 if ref else None,
        rejected_ratio=_rejected_ratio(heartbeat),
        flagged_ratio=len(flagged) / len(recent) if recent else None,
    )


def _rejected_ratio(heartbeat: dict[str, Any] | None) -> float | None:
    if not heartbeat:
        return None
    rejected = sum(int(v) for v in (heartbeat.get("rejected") or {}).values())
    total = rejected + int(heartbeat.get("accepted") or 0)
    return rejected / total if total else None
