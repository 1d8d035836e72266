"""Closed loop: field samples, per-device calibration, drift, dataset export (thin; the work is in
``cloud_hub.loop``).

The export answers with a ``.tar.gz`` rather than writing to a server-side path: a path given
over the API would let any operator write anywhere the hub may, and the archive needs no shared
disk between the hub and the training box. The CLI writes a folder directly.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from pydantic import Field
from sqlalchemy import func, select
from starlette.background import BackgroundTask

from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.api.schemas import Body, Public
from cloud_hub.errors import ValidationFailed
from cloud_hub.loop.calibrate import calibrate
from cloud_hub.loop.export import ExportFilter, export
from cloud_hub.loop.job import open_store
from cloud_hub.loop.references import store_reference
from cloud_hub.loop.tables import DeviceCalibration, DriftResult, FleetDrift, LoopSample
from cloud_hub.registry import devices
from pm25 import drift_bins

router = APIRouter(prefix="/loop", tags=["closed loop"])


class SamplePublic(Public):
    id: int
    device_id: str
    reason: str
    captured_at: float
    received_at: float
    state: str
    detail: str
    bytes: int
    model_version: int | None
    calibration_version: int | None
    label_status: str
    monitor_id: str | None
    distance_km: float | None
    ref_pm25: float | None
    ref_rh: float | None = Field(description="The reference reading's relative humidity, %.")


class CalibrationPublic(Public):
    device_id: str
    version: int
    slope: float
    intercept: float
    pairs: int
    mae_before: float
    mae_after: float
    monitor_id: str
    fitted_at: float
    command_id: str | None


class DriftPublic(Public):
    signal: str
    kind: str = Field(
        description="change (PSI vs the device's own baseline), outside (share of frames "
        "outside the training support), error (vs a monitor): these alert; training (PSI vs "
        "the model's training data) is information and never drifted."
    )
    statistic: float
    threshold: float
    n: int
    baseline: str
    drifted: bool
    at: float


class FleetDriftPublic(Public):
    model_version: int
    signal: str
    statistic: float = Field(description="PSI of the fleet's summed histogram vs training.")
    threshold: float
    n: int
    devices: int = Field(description="Devices on this model version in the window.")
    drifted: bool
    at: float


class DriftReferenceIn(Body):
    counts: dict[str, list[int]] = Field(
        description="Histogram per signal (pm25.drift_bins.SIGNALS) over pm25.drift_bins' bins."
    )


class ExportIn(Body):
    since: float | None = None
    until: float | None = None
    devices: list[str] = Field(default_factory=list, max_length=1000)
    zone: str | None = None


@router.get("/samples", response_model=list[SamplePublic])
def list_samples(
    _: Viewer,
    hub: HubDep,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SamplePublic]:
    q = select(LoopSample).order_by(LoopSample.captured_at.desc()).limit(limit)
    if device_id is not None:
        q = q.where(LoopSample.device_id == device_id)
    with hub.registry.session() as s:
        return [SamplePublic.model_validate(r) for r in s.scalars(q)]


@router.get("/samples/summary")
def samples_summary(_: Viewer, hub: HubDep) -> dict[str, Any]:
    """Samples per label status (refused ones apart) and bytes per device in the last 30 days."""
    month = time.time() - 30 * 86400
    with hub.registry.session() as s:
        status = s.execute(
            select(LoopSample.state, LoopSample.label_status, func.count()).group_by(
                LoopSample.state, LoopSample.label_status
            )
        ).all()
        spent = s.execute(
            select(LoopSample.device_id, func.sum(LoopSample.bytes))
            .where(LoopSample.received_at >= month)
            .group_by(LoopSample.device_id)
        ).all()
    by_status: dict[str, int] = {}
    for state, label, n in status:
        key = label if state == "stored" else "refused"
        by_status[key] = by_status.get(key, 0) + n
    return {"by_status": by_status, "bytes_30d": {d: int(b) for d, b in spent}}


@router.get("/devices/{device_id}/calibrations", response_model=list[CalibrationPublic])
def list_calibrations(device_id: str, _: Viewer, hub: HubDep) -> list[CalibrationPublic]:
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
        rows = s.scalars(
            select(DeviceCalibration)
            .where(DeviceCalibration.device_id == device_id)
            .order_by(DeviceCalibration.version.desc())
        )
        return [CalibrationPublic.model_validate(r) for r in rows]


@router.post("/devices/{device_id}/calibrations", response_model=CalibrationPublic, status_code=201)
def fit_calibration(device_id: str, _: Operator, hub: HubDep) -> CalibrationPublic:
    """Fit now against the nearest monitor, store a new version and push it to the device."""
    s = hub.settings.loop
    result = calibrate(hub.registry, hub.series, hub.publish, s, device_id, now=time.time())
    if isinstance(result, str):
        raise ValidationFailed(f"no calibration for {device_id}: {result}")
    return CalibrationPublic.model_validate(result)


@router.get("/devices/{device_id}/drift", response_model=list[DriftPublic])
def device_drift(device_id: str, _: Viewer, hub: HubDep) -> list[DriftPublic]:
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
        rows = s.scalars(
            select(DriftResult)
            .where(DriftResult.device_id == device_id)
            .order_by(DriftResult.signal, DriftResult.kind)
        )
        return [DriftPublic.model_validate(r) for r in rows]


@router.get("/drift/fleet", response_model=list[FleetDriftPublic])
def fleet_drift(_: Viewer, hub: HubDep) -> list[FleetDriftPublic]:
    """The fleet per model version vs its training data (needs drift.fleet_min_devices)."""
    with hub.registry.session() as s:
        rows = s.scalars(select(FleetDrift).order_by(FleetDrift.model_version, FleetDrift.signal))
        return [FleetDriftPublic.model_validate(r) for r in rows]


@router.put("/drift/references/{model_version}", status_code=204)
def put_drift_reference(
    model_version: int, body: DriftReferenceIn, _: Operator, hub: HubDep
) -> Response:
    """Store the training data's histograms of a model version (done at release time)."""
    for signal, counts in body.counts.items():
        problem = drift_bins.check_counts(signal, counts)
        if problem is None and sum(counts) == 0:
            problem = f"signal {signal!r}: all counts are zero"
        if problem is not None:
            raise ValidationFailed(problem)
    store_reference(hub.registry, model_version, body.counts, time.time())
    return Response(status_code=204)


@router.post("/dataset/export")
def export_dataset(body: ExportIn, _: Operator, hub: HubDep) -> FileResponse:
    """The dataset (docs/datasets.md format + manifest.json) as a .tar.gz, built in a temporary
    file under data_dir (not in memory) and deleted once sent."""
    s = hub.settings
    f = ExportFilter(body.since, body.until, tuple(body.devices), body.zone)
    work = Path(tempfile.mkdtemp(prefix="export-", dir=s.data_dir))
    try:
        out = work / "dataset"
        export(hub.registry, open_store(s.loop, s.data_dir), out, f, s.loop.labels.tolerance_s)
        archive = work / "dataset.tar.gz"
        with tarfile.open(archive, mode="w:gz") as tar:
            tar.add(out, arcname="dataset")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return FileResponse(
        archive,
        media_type="application/gzip",
        filename="dataset.tar.gz",
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )
