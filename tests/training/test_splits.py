from __future__ import annotations

import numpy as np
import pytest

from training.config import SplitConfig
from training.errors import DatasetError
from training.splits import assign_cameras, make_splits
from training.tensors import Arrays


def _arrays(cameras: int, per: int) -> Arrays:
    n = cameras * per
    return Arrays(
        images=np.zeros((n, 3, 4, 4), np.float16),
        features=np.zeros((n, 2), np.float32),
        pm25=np.arange(n, dtype=np.float32),
        rh=np.full(n, np.nan, np.float32),
        camera=np.array([f"c{i // per}" for i in range(n)]),
        time_s=np.array([1000 * (i % per) for i in range(n)], dtype=np.int64),
    )


def test_no_camera_in_two_splits_and_time_holdout_is_later() -> None:
    data = _arrays(20, 10)
    s = make_splits(data, SplitConfig(time_holdout_fraction=0.2))
    train, val, test = (s.cameras(data, n) for n in ("train", "val", "test"))
    assert not (train & val) and not (train & test) and not (val & test)
    assert train | val | test == {f"c{i}" for i in range(20)}
    assert s.cameras(data, "test_time") == train
    for cam in train:
        t_train = data.time_s[s.train][data.camera[s.train] == cam]
        t_late = data.time_s[s.test_time][data.camera[s.test_time] == cam]
        assert t_train.max() < t_late.min()
    every = np.concatenate([s.train, s.val, s.test, s.test_time])
    assert sorted(every.tolist()) == list(range(len(data)))


def test_assignment_is_deterministic_and_seeded() -> None:
    cams = [f"c{i}" for i in range(30)]
    assert assign_cameras(cams, SplitConfig()) == assign_cameras(cams[::-1], SplitConfig())
    assert assign_cameras(cams, SplitConfig()) != assign_cameras(cams, SplitConfig(seed=1))


def test_too_few_cameras_is_an_error() -> None:
    with pytest.raises(DatasetError, match="at least 3 cameras"):
        make_splits(_arrays(2, 5), SplitConfig())


def test_empty_train_split_is_an_error() -> None:
    # 4 cameras, val and test take two each → no training camera left.
    with pytest.raises(DatasetError, match="split 'train' is empty"):
        make_splits(_arrays(4, 3), SplitConfig(val_fraction=0.49, test_fraction=0.49))
