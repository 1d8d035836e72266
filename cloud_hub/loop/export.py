"""Write the field samples as a training dataset in the real-data format of docs/datasets.md:

    <out>/<device_id>/frames/<YYYYMMDDTHHMMSSZ>_<sample id>.jpg
    <out>/<device_id>/reference.csv      timestamp,pm25,rh,monitor_id,distance_km
    <out>/manifest.json                  what went in: counts, devices, range, sha256 of files

``rh`` is the monitor's relative humidity as a fraction 0..1 (the hub stores percent): the training
loader reads values <= 1 as fractions, so writing percent would misread a reading of 0..1 % as
0..100 %. Empty when the monitor reported none.

Only samples joined to a reference reading become frames (training needs the label); the others
are counted by status in the manifest, never silently left out. ``reference.csv`` holds the
monitor readings at their own times: train with ``--tolerance-s`` at least ``labels.tolerance_s``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cloud_hub.errors import ValidationFailed
from cloud_hub.loop.labels import JoinStatus
from cloud_hub.loop.store import SampleStore
from cloud_hub.loop.tables import LoopSample
from cloud_hub.registry import Registry
from cloud_hub.registry.models import Device

MAX_SAMPLES = 100_000


@dataclass(frozen=True, slots=True)
class ExportFilter:
    since: float | None = None
    until: float | None = None
    devices: tuple[str, ...] = ()
    zone: str | None = None


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_samples(registry: Registry, f: ExportFilter) -> list[LoopSample]:
    q = select(LoopSample).order_by(LoopSample.device_id, LoopSample.captured_at)
    if f.since is not None:
        q = q.where(LoopSample.captured_at >= f.since)
    if f.until is not None:
        q = q.where(LoopSample.captured_at < f.until)
    if f.devices:
        q = q.where(LoopSample.device_id.in_(f.devices))
    if f.zone is not None:
        q = q.where(LoopSample.device_id.in_(select(Device.id).where(Device.zone_id == f.zone)))
    with registry.session() as db:
        rows = list(db.scalars(q.limit(MAX_SAMPLES + 1)))
    if len(rows) > MAX_SAMPLES:
        raise ValidationFailed(f"more than {MAX_SAMPLES} samples: narrow the time range")
    return rows


def export(
    registry: Registry, store: SampleStore, out: Path, f: ExportFilter, tolerance_s: float
) -> dict[str, Any]:
    """Write the dataset under ``out`` (absent or empty) and return the manifest."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationFailed(f"{out} exists and is not an empty folder")
    rows = select_samples(registry, f)
    joined = [r for r in rows if r.state == "stored" and r.label_status == JoinStatus.JOINED]
    files: dict[str, str] = {}
    refs: dict[str, dict[float, LoopSample]] = {}
    for r in joined:
        frames = out / r.device_id / "frames"
        frames.mkdir(parents=True, exist_ok=True)
        name = datetime.fromtimestamp(r.captured_at, UTC).strftime(f"%Y%m%dT%H%M%SZ_{r.id}.jpg")
        data = store.get(r.key or "")
        if hashlib.sha256(data).hexdigest() != r.sha256:
            raise ValidationFailed(f"sample {r.id} ({r.key}) does not match its sha256")
        (frames / name).write_bytes(data)
        files[f"{r.device_id}/frames/{name}"] = r.sha256 or ""
        refs.setdefault(r.device_id, {})[r.ref_t or r.captured_at] = r
    for device_id, by_t in refs.items():
        path = out / device_id / "reference.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "pm25", "rh", "monitor_id", "distance_km"])
            for t in sorted(by_t):
                s = by_t[t]
                rh = "" if s.ref_rh is None else f"{s.ref_rh / 100:.6g}"
                w.writerow([_iso(t), f"{s.ref_pm25:g}", rh, s.monitor_id, f"{s.distance_km:.3f}"])
        files[f"{device_id}/reference.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = _manifest(rows, joined, files, f, store, tolerance_s)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _manifest(  # noqa: PLR0917 - the manifest's inputs
    rows: list[LoopSample],
    joined: list[LoopSample],
    files: dict[str, str],
    f: ExportFilter,
    store: SampleStore,
    tolerance_s: float,
) -> dict[str, Any]:
    times = [r.captured_at for r in rows]
    status = Counter(r.label_status if r.state == "stored" else "refused" for r in rows)
    per_device: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = per_device.setdefault(
            r.device_id, {"samples": 0, "exported": 0, "calibration_versions": set(),
                          "model_versions": set()},
        )  # fmt: skip
        d["samples"] += 1
        if r.calibration_version is not None:
            d["calibration_versions"].add(r.calibration_version)
        if r.model_version is not None:
            d["model_versions"].add(r.model_version)
    for r in joined:
        per_device[r.device_id]["exported"] += 1
    for d in per_device.values():
        d["calibration_versions"] = sorted(d["calibration_versions"])
        d["model_versions"] = sorted(d["model_versions"])
    return {
        "format": "pm25-real-v1 (docs/datasets.md)",
        "created_at": _iso(datetime.now(UTC).timestamp()),
        "source": store.describe(),
        "filter": {
            "since": f.since, "until": f.until, "devices": list(f.devices), "zone": f.zone,
        },
        "recommended_tolerance_s": tolerance_s,
        "counts": {"samples": len(rows), "exported": len(joined), "by_status": dict(status)},
        "unjoined": len(rows) - len(joined),
        "time_range": [_iso(min(times)), _iso(max(times))] if times else None,
        "devices": per_device,
        "files": files,
    }  # fmt: skip
