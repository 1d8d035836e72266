"""Take the samples ingest received (``device_samples``) into the loop: check the ROI, keep the
file, record provenance and join a reference label. Also re-joins recent unjoined samples, since
monitors often upload their readings late."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Sequence

import cv2
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud_hub.loop import labels, queries
from cloud_hub.loop.samples import Reason, roi_problem
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.loop.store import SampleStore, sample_key
from cloud_hub.loop.tables import LoopSample, SampleRequest
from cloud_hub.registry import Registry
from cloud_hub.registry.models import Device, DeviceSample
from cloud_hub.series import SeriesStore
from pm25.wire import Roi

log = logging.getLogger(__name__)
RELABEL_S = 2 * 86400


def harvest(
    registry: Registry, series: SeriesStore, store: SampleStore, s: LoopSettings, now: float
) -> int:
    """Take every new device sample in; return how many were taken."""
    with registry.session() as db:
        last = db.scalar(select(func.max(LoopSample.source_id))) or 0
        new = db.scalars(
            select(DeviceSample).where(DeviceSample.id > last).order_by(DeviceSample.id)
        ).all()
    for row in new:
        _take(registry, series, store, s, row)
    relabel(registry, s, now)
    return len(new)


def _take(
    registry: Registry, series: SeriesStore, store: SampleStore, s: LoopSettings, row: DeviceSample
) -> None:
    data, problem = _check(row, s)
    sample = LoopSample(
        source_id=row.id, device_id=row.device_id, command_id=row.command_id,
        captured_at=row.captured_at, received_at=row.received_at, bytes=len(row.jpeg_b64),
        roi=row.roi or {}, label_status=labels.JoinStatus.PENDING, context={},
    )  # fmt: skip
    with registry.session() as db:
        request = db.get(SampleRequest, row.command_id)
        sample.reason = request.reason if request else Reason.MANUAL
        device = db.get(Device, row.device_id)
        sample.calibration_version = queries.calibration_in_effect(
            db, row.device_id, row.captured_at
        )
        sample.model_version = device.model_version if device else None
    ctx = queries.device_readings(
        series, row.device_id, row.captured_at - s.samples.context_s,
        row.captured_at + s.samples.context_s,
    )  # fmt: skip
    sample.context = {
        "readings": [[r.captured_at, r.pm25, r.pm25_sd, r.flags, r.model_version] for r in ctx]
    }
    if ctx:  # the model that made the readings around the capture is the sample's model
        sample.model_version = ctx[len(ctx) // 2].model_version
    if problem is not None or data is None:
        sample.state, sample.detail = "refused", problem or "no data"
        log.warning("sample refused", extra={"device_id": row.device_id, "why": problem})
    else:
        key = sample_key(row.device_id, row.captured_at, row.id)
        store.put(key, data)
        sample.state, sample.key = "stored", key
        sample.sha256 = hashlib.sha256(data).hexdigest()
    with registry.session() as db:
        db.add(sample)
        if sample.state == "stored":
            _label(db, sample, s)


def _check(row: DeviceSample, s: LoopSettings) -> tuple[bytes | None, str | None]:
    """The JPEG bytes and None, or why the sample is refused."""
    if row.roi is None:
        return None, "sample declares no roi"
    roi = Roi.model_validate(row.roi)
    problem = roi_problem(
        roi, row.width, row.height, s.samples.roi.get(row.device_id), s.samples.max_pixels
    )
    if problem:
        return None, problem
    try:
        data = base64.b64decode(row.jpeg_b64, validate=True)
    except (binascii.Error, ValueError):
        return None, "jpeg is not valid base64"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None, "jpeg does not decode"
    h, w = image.shape[:2]
    if (w, h) != (row.width, row.height):
        return None, f"jpeg is {w}x{h}, the sample declares {row.width}x{row.height}"
    return data, None


def relabel(registry: Registry, s: LoopSettings, now: float) -> int:
    """Join again the stored samples of the last two days that are not joined yet."""
    with registry.session() as db:
        rows: Sequence[LoopSample] = db.scalars(
            select(LoopSample).where(
                LoopSample.state == "stored",
                LoopSample.label_status != labels.JoinStatus.JOINED,
                LoopSample.captured_at >= now - RELABEL_S,
            )
        ).all()
        for sample in rows:
            _label(db, sample, s)
        return len(rows)


def _label(db: Session, sample: LoopSample, s: LoopSettings) -> None:
    device = db.get(Device, sample.device_id)
    lat, lon = (device.lat, device.lon) if device else (None, None)
    tol = s.labels.tolerance_s
    mons = queries.monitors(db)
    close = labels.nearby(lat, lon, mons, s.labels.max_km)
    readings = {
        m.id: queries.reference(db, m.id, sample.captured_at - tol, sample.captured_at + tol + 1)
        for _, m in close
    }
    label = labels.join(
        sample.captured_at, lat, lon, mons, readings, max_km=s.labels.max_km, tolerance_s=tol
    )
    sample.label_status = label.status
    sample.monitor_id, sample.distance_km = label.monitor_id, label.distance_km
    r = label.reading
    sample.ref_t, sample.ref_pm25, sample.ref_rh = (r.t, r.pm25, r.rh) if r else (None, None, None)
