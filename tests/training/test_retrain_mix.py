"""`training.mix.mix`: field cameras held out whole, later field frames held out by time, training
rows in the configured proportions, and the two sources kept apart."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import SplitConfig
from training.errors import DatasetError
from training.mix import MixConfig, mix
from training.tensors import Arrays


def arrays(prefix: str, cameras: int, frames: int) -> Arrays:
    n = cameras * frames
    rng = np.random.default_rng(len(prefix))
    return Arrays(
        images=np.zeros((n, 3, 2, 2), dtype=np.float16),
        features=rng.normal(size=(n, 4)).astype(np.float32),
        pm25=rng.uniform(0, 100, n).astype(np.float32),
        rh=np.full(n, 0.5, dtype=np.float32),
        camera=np.array([f"{prefix}-{i // frames}" for i in range(n)]),
        time_s=np.array([1_700_000_000 + 600 * (i % frames) for i in range(n)], dtype=np.int64),
    )


SIM = SplitConfig(val_fraction=0.2, test_fraction=0.2, time_holdout_fraction=0.0)
REAL = SplitConfig(val_fraction=0.1, test_fraction=0.3, time_holdout_fraction=0.25)


def test_field_splits_by_camera_and_time_and_mixes_in_proportion() -> None:
    sim, real = arrays("sim", 10, 6), arrays("field", 10, 8)
    m = mix(sim, real, SIM, REAL, MixConfig(real=0.75, sim=0.25, frames=200))
    d, s = m.data, m.splits
    train_cams = set(d.camera[s.train].tolist())
    field_test = set(d.camera[s.test].tolist())
    assert field_test and all(c.startswith("field") for c in field_test)
    assert not field_test & train_cams  # held-out field cameras never trained on
    assert not set(d.camera[m.sim_test].tolist()) & train_cams
    for cam in set(d.camera[s.test_time].tolist()):  # later frames: after every trained frame
        trained = d.time_s[s.train][d.camera[s.train] == cam]
        assert d.time_s[s.test_time][d.camera[s.test_time] == cam].min() > trained.max()
    assert not set(s.test_time.tolist()) & set(s.train.tolist())
    from_field = int(np.sum(np.char.startswith(d.camera[s.train].astype(str), "field")))
    assert (len(s.train), from_field) == (200, 150)
    assert m.counts["real_train_rows"] == 150 and m.counts["field_test_cameras"] == 3


def test_the_same_camera_id_in_both_sources_is_refused() -> None:
    with pytest.raises(DatasetError, match="camera ids in both"):
        mix(arrays("cam", 5, 4), arrays("cam", 5, 4), SIM, REAL, MixConfig())


def test_too_few_field_cameras_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match="at least 3 cameras"):
        mix(arrays("sim", 6, 4), arrays("field", 2, 4), SIM, REAL, MixConfig())
