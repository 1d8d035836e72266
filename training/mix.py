"""Simulated and real (field) data mixed in configured proportions, with real-data splits by
camera and by time.

Field cameras are split like simulated ones (`training.splits`): whole cameras are held out
(never seen in training) and the latest frames of every training camera form a later-time check.
The training rows are then drawn from both sources in the `mix` proportions; field data is
usually the scarcer source, so a source asked for more rows than it has is oversampled (rows
repeated, each at most ⌈ratio⌉ times), never invented. `mix_counts` is the pure part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from training.config import SplitConfig
from training.errors import DatasetError
from training.splits import Index, Splits, make_splits
from training.tensors import Arrays


class MixConfig(BaseModel):
    """Proportions of the training rows taken from each source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    real: float = Field(0.5, ge=0.0, le=1.0, description="Share of training rows from field data.")
    sim: float = Field(0.5, ge=0.0, le=1.0, description="Share of training rows from simulation.")
    frames: int | None = Field(
        None, ge=8, description="Training rows in all (default: both sources' training rows)."
    )
    seed: int = Field(0, description="Seed of the row draw.")

    @model_validator(mode="after")
    def _sums_to_one(self) -> MixConfig:
        if not math.isclose(self.real + self.sim, 1.0, abs_tol=1e-6):
            raise ValueError(f"mix.real + mix.sim must be 1, got {self.real} + {self.sim}")
        return self


def mix_counts(n_sim: int, n_real: int, cfg: MixConfig) -> tuple[int, int]:
    """(sim rows, real rows) to draw for training; a source with no rows gets none."""
    total = cfg.frames if cfg.frames is not None else n_sim + n_real
    if (not n_real and cfg.real >= 1.0) or (not n_sim and cfg.sim >= 1.0):
        raise DatasetError("the mix asks only for a source that has no training rows")
    if not n_real or not n_sim:
        return (total, 0) if n_sim else (0, total)
    want_real = round(total * cfg.real)
    return total - want_real, want_real


def draw(rows: Index, count: int, rng: np.random.Generator) -> Index:
    """`count` of `rows`: a sample without repeats, or every row repeated then a sample."""
    if count <= 0 or not len(rows):
        return np.array([], dtype=np.intp)
    whole, rest = divmod(count, len(rows))
    picked = [np.tile(rows, whole), rng.choice(rows, size=rest, replace=False)]
    return np.sort(np.concatenate(picked)).astype(np.intp)


def concat(a: Arrays, b: Arrays) -> Arrays:
    """Rows of `a` then rows of `b`."""
    return Arrays(**{f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)])
                     for f in fields(Arrays)})  # fmt: skip


@dataclass(frozen=True)
class Mixed:
    """One `Arrays` (sim rows first) and the index sets the retrain job uses."""

    data: Arrays
    splits: Splits  # train: the mix; val: both; test: held-out field cameras; test_time: field
    sim_test: Index  # held-out simulated cameras
    counts: dict[str, int]


def mix(sim: Arrays, real: Arrays, sim_split: SplitConfig, real_split: SplitConfig,
        cfg: MixConfig) -> Mixed:  # fmt: skip
    """Split both sources by camera (and time), draw the training rows in the mix proportions."""
    overlap = set(np.unique(sim.camera)) & set(np.unique(real.camera))
    if overlap:
        raise DatasetError(f"camera ids in both simulated and field data: {sorted(overlap)[:5]}")
    s, r = make_splits(sim, sim_split), make_splits(real, real_split)
    off = len(sim)
    n_sim, n_real = mix_counts(len(s.train), len(r.train), cfg)
    rng = np.random.default_rng(cfg.seed)
    train = np.concatenate([draw(s.train, n_sim, rng), off + draw(r.train, n_real, rng)])
    splits = Splits(
        train=train.astype(np.intp),
        val=np.concatenate([s.val, off + r.val]).astype(np.intp),
        test=(off + r.test).astype(np.intp),
        test_time=(off + r.test_time).astype(np.intp),
    )
    counts = {
        "sim_train_rows": n_sim, "real_train_rows": n_real,
        "sim_train_available": len(s.train), "real_train_available": len(r.train),
        "field_test_frames": len(r.test), "field_test_cameras": len(r.cameras(real, "test")),
        "field_later_frames": len(r.test_time), "sim_test_frames": len(s.test),
        "val_frames": len(splits.val),
    }  # fmt: skip
    return Mixed(concat(sim, real), splits, s.test.astype(np.intp), counts)
