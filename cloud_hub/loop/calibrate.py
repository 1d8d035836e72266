"""Fit a device's calibration against its nearest monitor, store it as a new version and push it
to the device as configuration (``calibration: {version, slope, intercept}``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from cloud_hub.errors import NotFound
from cloud_hub.loop import calibration, labels, queries
from cloud_hub.loop.scheduler import send
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.loop.tables import DeviceCalibration
from cloud_hub.registry import Registry
from cloud_hub.registry.models import Device
from cloud_hub.series import SeriesStore
from pm25.wire import ConfigCommand, QualityFlag


def calibrate(
    registry: Registry,
    series: SeriesStore,
    publish: Callable[..., None],
    s: LoopSettings,
    device_id: str,
    *,
    now: float,
) -> DeviceCalibration | str:
    """The new calibration (pushed when ``push`` is set), or why there is none."""
    start = now - s.calibration.window_days * 86400
    with registry.session() as db:
        device = db.get(Device, device_id)
        if device is None:
            raise NotFound(f"device {device_id!r} not found")
        close = labels.nearby(device.lat, device.lon, queries.monitors(db), s.labels.max_km)
        if not close:
            return f"no reference monitor within {s.labels.max_km} km"
        monitor = close[0][1]
        ref = [(r.t, r.pm25) for r in queries.reference(db, monitor.id, start, now + 1)]
        last = queries.latest_calibration(db, device_id)
    # Fit on the raw estimate: a reading flagged CALIBRATED is mapped back through the latest
    # calibration (readings made under an older version are rare after the first days).
    dev = [
        (float(r.captured_at), _raw(r.pm25, r.flags, last))
        for r in queries.device_readings(series, device_id, start, now)
    ]
    pairs = calibration.pair(dev, ref, s.labels.tolerance_s)
    result = calibration.fit(pairs, s.calibration)
    if isinstance(result, str):
        return result
    with registry.session() as db:
        cal = DeviceCalibration(
            device_id=device_id, version=queries.next_calibration_version(db, device_id),
            slope=result.slope, intercept=result.intercept, pairs=result.pairs,
            mae_before=result.mae_before, mae_after=result.mae_after, monitor_id=monitor.id,
            fitted_at=now,
        )  # fmt: skip
        db.add(cal)
    if s.calibration.push:
        cmd = ConfigCommand(
            id=secrets.token_hex(8),
            issued_at=int(now),
            patch={
                "calibration": {
                    "version": cal.version, "slope": cal.slope, "intercept": cal.intercept,
                }
            },
        )  # fmt: skip
        send(registry, publish, device_id, cmd)
        with registry.session() as db:
            stored = db.get(DeviceCalibration, cal.id)
            assert stored is not None
            stored.command_id = cmd.id
            cal = stored
    return cal


def _raw(pm25: float, flags: int, last: DeviceCalibration | None) -> float:
    if not flags & QualityFlag.CALIBRATED or last is None:
        return pm25
    return max(0.0, (pm25 - last.intercept) / last.slope)
