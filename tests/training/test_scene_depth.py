"""Errors split by scene depth: read from synthetic truth columns, absent for real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.dataset_format import REFERENCE_CSV
from training.report import depth_table
from training.scene_depth import by_depth, camera_depths


def _camera(root: Path, name: str, header: str, row: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / REFERENCE_CSV).write_text(f"{header}\n{row}\n", encoding="utf-8")


def test_depths_come_from_the_synthetic_truth_column(tmp_path: Path) -> None:
    header = "timestamp,pm25,rh,farthest_surface_m"
    _camera(tmp_path, "sim-000", header, "2024-01-01T10:00:00Z,12.0,0.5,180.5")
    _camera(tmp_path, "sim-001", header, "2024-01-01T10:00:00Z,40.0,0.5,9140.9")
    assert camera_depths(tmp_path) == {"sim-000": 180.5, "sim-001": 9140.9}


def test_a_real_dataset_has_no_depth_split(tmp_path: Path) -> None:
    _camera(tmp_path, "cam-a", "timestamp,pm25,rh", "2024-01-01T10:00:00Z,12.0,0.5")
    assert camera_depths(tmp_path) == {}
    assert camera_depths(tmp_path / "missing") == {}
    truth = np.array([10.0, 20.0])
    assert by_depth(truth, truth, truth, np.array(["cam-a", "cam-a"]), {}) == {}


def test_errors_are_split_by_class() -> None:
    cams = np.array(["near", "near", "far", "far", "far"])
    truth = np.array([10.0, 50.0, 10.0, 50.0, 100.0])
    pred = truth + np.array([10.0, -10.0, 1.0, -1.0, 1.0])
    sd = np.full(5, 5.0)
    rows = by_depth(pred, sd, truth, cams, {"near": 120.0, "far": 8000.0})
    assert list(rows) == ["canyon (< 500 m)", "open (≥ 3 km)"]
    near, far = rows["canyon (< 500 m)"], rows["open (≥ 3 km)"]
    assert (near["frames"], near["cameras"]) == (2.0, 1.0)
    assert near["rmse"] == pytest.approx(10.0)
    assert far["rmse"] == pytest.approx(1.0)
    assert far["frames"] == 3.0
    text = depth_table("by depth", rows)
    assert "| canyon (< 500 m) | 2 | 1 | 10 |" in text
