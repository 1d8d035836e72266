from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from tests.training.conftest import tiny_config
from training.config import SynthConfig
from training.synth import draw_pm25, render_camera, render_dataset


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    cfg = SynthConfig(seed=3, cameras=3, frames_per_camera=3, width=160, height=90, workers=1)
    render_camera((cfg, 1, tmp_path / "a"))
    render_camera((cfg, 1, tmp_path / "b"))
    render_camera((cfg.model_copy(update={"seed": 4}), 1, tmp_path / "c"))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_dataset_layout_and_daylight(tiny_dataset: Path) -> None:
    cams = sorted(p.name for p in tiny_dataset.iterdir())
    assert cams == [f"sim-{i:03d}" for i in range(tiny_config().synth.cameras)]
    lines = (tiny_dataset / "sim-000" / "reference.csv").read_text().splitlines()
    assert lines[0].startswith("timestamp,pm25,rh,")
    assert len(lines) == 1 + tiny_config().synth.frames_per_camera
    assert len(list((tiny_dataset / "sim-000" / "frames").glob("*.jpg"))) == len(lines) - 1
    sun = [float(line.split(",")[6]) for line in lines[1:]]
    assert min(sun) >= tiny_config().synth.min_sun_elevation_deg


def test_pm25_draw_covers_low_and_high_bands() -> None:
    rng = np.random.default_rng(0)
    pm = np.array([draw_pm25(rng, 320.0) for _ in range(4000)])
    assert pm.min() >= 0.0 and pm.max() <= 320.0
    assert 0.15 < np.mean(pm < 9.0) < 0.35
    assert np.mean(pm > 125.5) > 0.25


def test_parallel_render_equals_serial(tmp_path: Path) -> None:
    cfg = SynthConfig(seed=1, cameras=3, frames_per_camera=2, width=160, height=90, workers=1)
    render_dataset(cfg, tmp_path / "serial")
    render_dataset(cfg.model_copy(update={"workers": 2}), tmp_path / "pool")
    assert _digest(tmp_path / "serial") == _digest(tmp_path / "pool")
