"""Simulated field cameras, written in the real-data format as `cloud-hub dataset export` does.

The retrain loop is tested (and demonstrated) on data the baseline never saw: cameras whose
scene seeds lie outside the baseline's training range, watching a city of another profile
(`pm25.pollution.HUMID_CITY` by default), labelled by a co-located reference monitor with its own
noise (relative and absolute), at the monitor's clock (a reading a few tens of seconds off the
frame, so the loader's time join is exercised). Frames before sunrise + a margin are skipped, as
the agent's quality gate would skip them.

The city's aerosol differs too (`HUMID_AEROSOL`): more hygroscopic (γ 0.6, sulphate/marine-like)
and with a higher dry mass extinction efficiency (4.5 m²/g), both at the upper end of the
literature ranges in `pm25.physics.HazeParams`. The same PM2.5 then makes more haze than the
training simulator's defaults, the systematic gap a field retrain exists to close.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import cv2
import numpy as np

from pm25.physics import HazeParams
from pm25.pollution import HUMID_CITY, CityPollution, CityProfile
from pm25.scene import SyntheticCamera, render_with_truth
from training.dataset_format import FRAMES_DIR, REFERENCE_CSV, frame_name

MIN_SUN_DEG: Final = 12.0
_TRIES: Final = 20
HUMID_AEROSOL: Final = HazeParams(hygroscopic_gamma=0.6, mee_m2_per_g=4.5)


@dataclass(frozen=True)
class FieldSpec:
    """What to simulate: cameras, frames, the city, the monitor's noise."""

    cameras: int = 8
    frames_per_camera: int = 40
    first_seed: int = 50_000  # the baseline renders camera seeds 0..cameras-1
    profile: CityProfile = field(default_factory=lambda: HUMID_CITY)
    aerosol: HazeParams = field(default_factory=lambda: HUMID_AEROSOL)
    start: datetime = datetime(2025, 1, 6, tzinfo=UTC)
    days: int = 90
    width: int = 640
    height: int = 360
    monitor_rel_noise: float = 0.08
    monitor_abs_noise: float = 1.5
    seed: int = 0


def camera_name(spec: FieldSpec, index: int) -> str:
    return f"field-{spec.first_seed + index}"


def render_field_camera(spec: FieldSpec, index: int, root: Path) -> int:
    """Frames and reference.csv of one camera; returns the number of frames written."""
    seed = spec.first_seed + index
    cam = SyntheticCamera(seed, CityPollution(seed, spec.profile), width=spec.width,
                          height=spec.height)  # fmt: skip
    rng = np.random.default_rng([spec.seed, seed])
    folder = root / camera_name(spec, index)
    (folder / FRAMES_DIR).mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for _ in range(spec.frames_per_camera):
        for _ in range(_TRIES):
            day = int(rng.integers(0, spec.days))
            minute = int(rng.integers(8 * 60, 17 * 60))
            when = spec.start + timedelta(days=day, minutes=minute)
            if (folder / FRAMES_DIR / frame_name(when)).exists():
                continue
            conditions = replace(cam.conditions_at(when), params=spec.aerosol)
            frame = render_with_truth(cam.scene, conditions, rng)
            if frame.sun_elevation_deg >= MIN_SUN_DEG:
                break
        else:
            continue
        ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for camera {seed} at {when}")
        (folder / FRAMES_DIR / frame_name(when)).write_bytes(buf.tobytes())
        noisy = frame.pm25_ugm3 * (1.0 + spec.monitor_rel_noise * rng.standard_normal())
        noisy += spec.monitor_abs_noise * rng.standard_normal()
        stamp = when + timedelta(seconds=int(rng.integers(-40, 41)))
        rows.append({"timestamp": stamp.isoformat().replace("+00:00", "Z"),
                     "pm25": round(max(noisy, 0.0), 1),
                     "rh": round(100.0 * frame.rh, 1)})  # fmt: skip
    rows.sort(key=lambda r: str(r["timestamp"]))
    with open(folder / REFERENCE_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["timestamp", "pm25", "rh"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def render_field_dataset(spec: FieldSpec, root: Path) -> int:
    """Every camera of `spec` into `root`; returns the total frame count."""
    root.mkdir(parents=True, exist_ok=True)
    return sum(render_field_camera(spec, i, root) for i in range(spec.cameras))
