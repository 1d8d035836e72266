"""Errors by scene depth: where the physics lets one frame tell PM2.5, and where it cannot.

Haze is read through transmission exp(−β·d): a scene whose farthest surface is 200 m away
changes little between 0 and 50 µg/m³, one with ridges 10 km away changes a lot. Synthetic
datasets record each camera's farthest surface (`farthest_surface_m`, a truth column of
`training.synth`), so the report can split held-out errors by it. Real datasets have no such
column and get no such table.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from training import metrics
from training.dataset_format import REFERENCE_CSV

F = npt.NDArray[np.float64]
COLUMN: Final = "farthest_surface_m"
# Canyons end within a few hundred metres; open views reach kilometres (pm25.sim.scene).
CLASSES: Final = (
    ("canyon (< 500 m)", 0.0, 500.0),
    ("mid (0.5–3 km)", 500.0, 3000.0),
    ("open (≥ 3 km)", 3000.0, float("inf")),
)


def camera_depths(dataset: Path) -> dict[str, float]:
    """Farthest surface (m) per camera folder, from its first reference row; {} without it."""
    out: dict[str, float] = {}
    if not dataset.is_dir():
        return out
    for ref in sorted(dataset.glob(f"*/{REFERENCE_CSV}")):
        with ref.open(newline="", encoding="utf-8") as f:
            row = next(csv.DictReader(f), None)
        if row is None or not row.get(COLUMN):
            return {}  # a real dataset (or a partial one): no depth split at all
        out[ref.parent.name] = float(row[COLUMN])
    return out


def by_depth(
    pred: F, sd: F, truth: F, cameras: npt.NDArray[np.str_], depths: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Overall figures per depth class (frames, cameras, RMSE, R², AQI accuracy, coverage)."""
    if not depths:
        return {}
    d = np.array([depths.get(str(c), np.nan) for c in cameras])
    out: dict[str, dict[str, float]] = {}
    for name, lo, hi in CLASSES:
        m = (d >= lo) & (d < hi)
        if not m.any():
            continue
        ev = metrics.evaluate(pred[m], sd[m], truth[m])["overall"]
        assert isinstance(ev, dict)
        out[name] = {"frames": float(m.sum()), "cameras": float(len(set(cameras[m]))), **ev}
    return out
