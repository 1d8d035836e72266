"""Splits by camera (held-out scenes) and by time (the latest frames of training cameras).

Never random frames only: frames of one camera at nearby times look alike, so a random split
would measure memory of a scene, not the skill the device needs on a new camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from training.config import SplitConfig
from training.errors import DatasetError
from training.tensors import Arrays

Index = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Splits:
    """Row indices of each split into one `Arrays`."""

    train: Index
    val: Index  # held-out cameras, for early stopping and interval calibration
    test: Index  # held-out cameras never used for any decision
    test_time: Index  # the latest frames of the training cameras

    def cameras(self, data: Arrays, name: str) -> set[str]:
        return {str(c) for c in data.camera[getattr(self, name)]}


def assign_cameras(cameras: list[str], cfg: SplitConfig) -> dict[str, str]:
    """Camera → 'train' | 'val' | 'test', a deterministic shuffle by seed."""
    names = sorted(set(cameras))
    if len(names) < 3:
        raise DatasetError(f"need at least 3 cameras for train/val/test splits, got {len(names)}")
    order = np.random.default_rng(cfg.seed).permutation(len(names))
    n_test = max(1, round(cfg.test_fraction * len(names)))
    n_val = max(1, round(cfg.val_fraction * len(names)))
    out: dict[str, str] = {}
    for rank, i in enumerate(order):
        out[names[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return out


def make_splits(data: Arrays, cfg: SplitConfig) -> Splits:
    """Split by camera, then hold out the latest `time_holdout_fraction` of each train camera."""
    role = assign_cameras([str(c) for c in data.camera], cfg)
    groups: dict[str, list[int]] = {"train": [], "val": [], "test": [], "test_time": []}
    for cam in sorted(role):
        rows = np.flatnonzero(data.camera == cam)
        rows = rows[np.argsort(data.time_s[rows], kind="stable")]
        if role[cam] != "train":
            groups[role[cam]] += rows.tolist()
            continue
        cut = len(rows) - int(cfg.time_holdout_fraction * len(rows))
        groups["train"] += rows[:cut].tolist()
        groups["test_time"] += rows[cut:].tolist()
    for name in ("train", "val", "test"):
        if not groups[name]:
            raise DatasetError(f"split {name!r} is empty (cameras: {sorted(role)})")
    return Splits(**{k: np.array(v, dtype=np.intp) for k, v in groups.items()})
