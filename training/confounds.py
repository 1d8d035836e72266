"""Where one frame's error comes from: lighting, the scene itself, or sensor noise.

A held-out evaluation mixes every cause of error. This renders a controlled grid instead: each
of `scenes` unseen simulated cameras at fixed PM2.5 levels and one humidity, under `lightings`
draws of day, hour and cloudiness (drawn as the synthetic datasets draw them, and the same draws
at every PM level, so PM2.5 is the only thing that changes along a row), plus the first lighting
once more with another sensor-noise seed. A release's errors in log(PM2.5 + 1) then split into:

- **lighting**: spread of one scene's predictions across lightings at constant air (what one
  camera sees over days of equal PM2.5); per-camera calibration cannot remove it.
- **scene**: spread across scenes of each scene's mean error (a per-camera bias: what an unseen
  scene's albedo, depth and layout cost); a per-camera correction removes it.
- **noise**: the same frame with another sensor-noise draw (JPEG included).
- **bias**: the mean error over all scenes and lightings.

All are in log units, which read as relative errors (0.10 ≈ 10 %). The goal of RMSE ≤ 8 µg/m³
needs about 8/PM2.5 relative error at each level: 4 % at 200 µg/m³.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pm25.manifest import load_manifest
from pm25.preprocess import PreprocessSpec, preprocess
from pm25.scene import Conditions, make_scene, render_with_truth
from pm25.sim.lighting import solar_elevation_deg
from training.config import SynthConfig
from training.errors import TrainingError
from training.pool import map_jobs
from training.release import run_both
from training.synth import draw_conditions
from training.tensors import Arrays

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
DEFAULT_PM = (10.0, 35.0, 75.0, 150.0, 240.0)
_SEED_BASE = 7_000_003  # scene seeds far from the training (seed·100_003 + i) cameras


@dataclass(frozen=True)
class Grid:
    """What to render: scene seed, count, PM levels, lightings per scene, humidity, frame size."""

    seed: int = 7
    scenes: int = 40
    pm_levels: tuple[float, ...] = DEFAULT_PM
    lightings: int = 6
    rh: float = 0.5
    width: int = 640
    height: int = 360

    def __post_init__(self) -> None:
        if self.scenes < 2 or self.lightings < 2 or not self.pm_levels:
            raise TrainingError("confounds need at least 2 scenes, 2 lightings and 1 PM level")
        if not all(0.0 <= pm <= 1000.0 for pm in self.pm_levels):
            raise TrainingError(f"PM2.5 levels must be within 0..1000 µg/m³, got {self.pm_levels}")
        if not 0.0 <= self.rh <= 1.0:
            raise TrainingError(f"relative humidity must be a fraction in 0..1, got {self.rh}")


def _daylight(rng: np.random.Generator, synth: SynthConfig) -> Conditions:
    """A lighting draw of the synthetic datasets, redrawn while the sun is too low (as there)."""
    while True:
        c = draw_conditions(rng, synth)
        elevation = solar_elevation_deg(c.hour_local, c.day_of_year, c.latitude_deg)
        if elevation >= synth.min_sun_elevation_deg:
            return c


def _jpeg_round_trip(image: npt.NDArray[np.uint8], quality: int) -> npt.NDArray[np.uint8]:
    """What a dataset frame goes through: written as JPEG, decoded as the agent decodes it."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise TrainingError("JPEG round trip failed")
    return np.asarray(decoded, np.uint8)


def _render_scene(args: tuple[Grid, int, PreprocessSpec]) -> tuple[F32, F32]:
    """Model inputs of one scene: (P·(L+1), 3, H, W) images and (P·(L+1), F) features, ordered
    by PM level, then lighting (the last one is lighting 0 with another noise seed)."""
    grid, s, spec = args
    cv2.setNumThreads(1)  # the pool is the parallelism
    synth = SynthConfig(width=grid.width, height=grid.height)
    scene = make_scene(_SEED_BASE + grid.seed * 1009 + s, grid.width, grid.height)
    lights = [
        _daylight(np.random.default_rng([grid.seed, s, k]), synth) for k in range(grid.lightings)
    ]
    images, feats = [], []
    for p, pm in enumerate(grid.pm_levels):
        for k, light in enumerate([*lights, lights[0]]):
            cond = replace(light, pm25_ugm3=pm, rh=grid.rh)
            frame = render_with_truth(scene, cond, np.random.default_rng([grid.seed, s, p, k]))
            model_input = preprocess(_jpeg_round_trip(frame.image, synth.jpeg_quality), None, spec)
            images.append(model_input.image[0])
            feats.append(model_input.features)
    return np.stack(images).astype(np.float32), np.stack(feats).astype(np.float32)


def render_grid(grid: Grid, spec: PreprocessSpec, workers: int = 2) -> Arrays:
    """The grid's model inputs (humidity known, camera = scene index, time_s = row in scene)."""
    jobs = [(grid, s, spec) for s in range(grid.scenes)]
    parts = map_jobs(_render_scene, jobs, workers)
    per_scene = len(grid.pm_levels) * (grid.lightings + 1)
    pm = np.repeat(np.asarray(grid.pm_levels, np.float32), grid.lightings + 1)
    return Arrays(
        images=np.concatenate([p[0] for p in parts]).astype(np.float16),
        features=np.concatenate([p[1] for p in parts]).astype(np.float32),
        pm25=np.tile(pm, grid.scenes),
        rh=np.full(grid.scenes * per_scene, grid.rh, np.float32),
        camera=np.repeat(np.array([f"scene-{s:03d}" for s in range(grid.scenes)]), per_scene),
        time_s=np.tile(np.arange(per_scene, dtype=np.int64), grid.scenes),
    )


def decompose(pred: F64, grid: Grid) -> list[dict[str, float]]:
    """Per PM level: the RMS log error and its parts (module docstring), and in µg/m³ the RMSE
    before and after removing each scene's mean log error (a perfect per-camera correction)."""
    shape = (grid.scenes, len(grid.pm_levels), grid.lightings + 1)
    log_pred = np.log1p(np.maximum(pred, 0.0)).reshape(shape)
    err = log_pred - np.log1p(np.asarray(grid.pm_levels))[None, :, None]
    rows = []
    for p, pm in enumerate(grid.pm_levels):
        e = err[:, p, : grid.lightings]  # scenes × lightings
        scene_mean = e.mean(axis=1, keepdims=True)
        noise = (err[:, p, grid.lightings] - err[:, p, 0]) / np.sqrt(2.0)
        corrected = np.expm1(log_pred[:, p, : grid.lightings] - scene_mean)
        raw = np.expm1(log_pred[:, p, : grid.lightings])
        rows.append(
            {
                "pm25": pm,
                "total": _rms(e),
                "lighting": float(np.sqrt(np.mean(e.var(axis=1, ddof=1)))),
                "scene": float(scene_mean.std(ddof=1)),
                "noise": _rms(noise),
                "bias": float(e.mean()),
                "rmse_ugm3": _rms(raw - pm),
                "rmse_ugm3_scene_corrected": _rms(corrected - pm),
            }
        )
    return rows


def _rms(x: F64) -> float:
    return float(np.sqrt(np.mean(x**2)))


def run(release: Path, grid: Grid, workers: int = 2) -> dict[str, object]:
    """Render the grid and decompose the errors of both artifacts of a release folder."""
    manifest = load_manifest(release / "manifest.json")
    data = render_grid(grid, manifest.preprocessing, workers)
    out: dict[str, object] = {"grid": asdict(grid)}
    for role, pred, _ in run_both(release, manifest, data):
        out[role] = decompose(pred, grid)
    return out
