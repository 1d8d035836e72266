"""Render a labelled synthetic dataset with the shared simulator, in the real-data format.

Each camera is one procedural scene (`make_scene(camera_seed)`); each frame draws a date (all
seasons), a daylight hour, cloudiness, humidity and PM2.5 (half log-uniform, half uniform up to
`pm25_max`, so both the clean and the hazardous bands are well represented). Everything is drawn
from `numpy.random.default_rng([seed, camera, frame])`, so a dataset is reproducible frame by
frame regardless of the number of worker processes.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import cv2
import numpy as np

from pm25.scene import CameraEffects, Conditions, make_scene, render_with_truth
from training.config import SynthConfig
from training.dataset_format import FRAMES_DIR, REFERENCE_CSV, frame_name
from training.pool import map_jobs

TRUTH_COLUMNS: Final = (
    "beta_per_m",
    "visibility_m",
    "mean_transmission_roi",
    "sun_elevation_deg",
    "farthest_surface_m",
)
_YEAR: Final = datetime(2024, 1, 1, tzinfo=UTC)
_MAX_REDRAWS: Final = 50


@dataclass(frozen=True)
class SynthSummary:
    """What `render_dataset` wrote."""

    root: Path
    cameras: int
    frames: int


def camera_id(index: int) -> str:
    """Folder name of simulated camera `index`."""
    return f"sim-{index:03d}"


def draw_pm25(rng: np.random.Generator, pm_max: float) -> float:
    """Half log-uniform on [1, pm_max] − 1 (clean air), half uniform on [0, pm_max] (episodes)."""
    if rng.random() < 0.5:
        return float(math.exp(rng.uniform(0.0, math.log(pm_max + 1.0))) - 1.0)
    return float(rng.uniform(0.0, pm_max))


def draw_conditions(rng: np.random.Generator, cfg: SynthConfig) -> Conditions:
    day = int(rng.integers(0, 365))
    hour = float(rng.uniform(7.0, 17.5))
    when = _YEAR + timedelta(days=day, hours=hour)
    return Conditions(
        pm25_ugm3=draw_pm25(rng, cfg.pm25_max),
        rh=float(rng.uniform(0.15, 0.95)),
        when=when.replace(tzinfo=None, microsecond=0),
        cloudiness=float(rng.uniform(0.0, 0.8)),
        effects=CameraEffects(jpeg_quality=None),
    )


def render_camera(args: tuple[SynthConfig, int, Path]) -> int:
    """Render all frames of one camera into `root/<camera_id>/`; returns the frame count."""
    cfg, index, root = args
    cv2.setNumThreads(1)  # the pool is the parallelism
    cam_seed = cfg.seed * 100_003 + index
    scene = make_scene(cam_seed, cfg.width, cfg.height)
    folder = root / camera_id(index)
    (folder / FRAMES_DIR).mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    for k in range(cfg.frames_per_camera):
        rng = np.random.default_rng([cfg.seed, index, k])
        for _ in range(_MAX_REDRAWS):
            cond = draw_conditions(rng, cfg)
            frame = render_with_truth(scene, cond, rng)
            name = frame_name(cond.when.replace(tzinfo=UTC))
            if frame.sun_elevation_deg >= cfg.min_sun_elevation_deg and name not in used:
                break
        used.add(name)
        ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, cfg.jpeg_quality])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for {folder / name}")
        (folder / FRAMES_DIR / name).write_bytes(buf.tobytes())
        rows.append(
            {
                "timestamp": cond.when.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
                "pm25": round(cond.pm25_ugm3, 3),
                "rh": round(cond.rh, 4),
                "beta_per_m": f"{frame.beta_per_m:.6e}",
                "visibility_m": round(frame.visibility_m, 1),
                "mean_transmission_roi": round(frame.mean_transmission_roi, 5),
                "sun_elevation_deg": round(frame.sun_elevation_deg, 2),
                "farthest_surface_m": round(scene.farthest_surface_m, 1),
            }
        )
    rows.sort(key=lambda r: str(r["timestamp"]))
    with open(folder / REFERENCE_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["timestamp", "pm25", "rh", *TRUTH_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def render_dataset(cfg: SynthConfig, root: Path) -> SynthSummary:
    """Render `cfg.cameras` cameras into `root` (in up to `cfg.workers` processes)."""
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(cfg, i, root) for i in range(cfg.cameras)]
    counts = map_jobs(render_camera, jobs, cfg.workers)
    return SynthSummary(root=root, cameras=cfg.cameras, frames=sum(counts))
