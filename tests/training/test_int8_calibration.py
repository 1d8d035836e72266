"""INT8 calibration: the method with the lowest RMSE on validation cameras is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from training import export, pipeline
from training.errors import ExportError
from training.release import FP32_FILE
from training.tensors import Arrays


def _arrays(n: int = 12) -> Arrays:
    return Arrays(
        images=np.zeros((n, 3, 96, 160), np.float16),
        features=np.zeros((n, 18), np.float32),
        pm25=np.linspace(5.0, 200.0, n).astype(np.float32),
        rh=np.full(n, 0.5, np.float32),
        camera=np.array([f"c{i % 3}" for i in range(n)]),
        time_s=np.arange(n, dtype=np.int64),
    )


class _Quantizer:
    """Stands in for ONNX Runtime: remembers the method; predictions depend on it."""

    def __init__(self, error_by_method: dict[str, float]) -> None:
        self.error_by_method = error_by_method
        self.tried: list[str] = []

    def quantize(
        self, fp32: Path, out: Path, calib: Arrays, rows: npt.NDArray[np.intp], method: str
    ) -> None:
        self.tried.append(method)

    def run(self, path: Path, data: Arrays) -> tuple[np.ndarray, np.ndarray]:
        truth = data.pm25.astype(np.float64)
        rel = 0.10 if path.name == FP32_FILE else self.error_by_method[self.tried[-1]]
        signs = np.where(np.arange(len(truth)) % 2 == 0, 1.0, -1.0)
        return truth * (1.0 + rel * signs), np.ones_like(truth)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _Quantizer:
    q = _Quantizer({"minmax": 0.20, "percentile": 0.104, "entropy": 0.10})
    monkeypatch.setattr(export, "quantize_int8", q.quantize)
    monkeypatch.setattr(export, "run_onnx", q.run)
    return q


def test_the_best_method_on_validation_is_kept(fake: _Quantizer, tmp_path: Path) -> None:
    rows = np.arange(4, dtype=np.intp)
    fake.error_by_method["entropy"] = 0.12
    assert pipeline.quantize_checked(tmp_path, _arrays(), rows, _arrays()) == "percentile"
    # all three measured, then the winner is written again (the file holds the last one tried)
    assert fake.tried == ["minmax", "percentile", "entropy", "percentile"]


def test_ties_keep_the_earlier_method(fake: _Quantizer, tmp_path: Path) -> None:
    fake.error_by_method.update(minmax=0.10, percentile=0.10, entropy=0.10)
    rows = np.arange(4, dtype=np.intp)
    assert pipeline.quantize_checked(tmp_path, _arrays(), rows, _arrays()) == "minmax"
    assert fake.tried == ["minmax", "percentile", "entropy", "minmax"]


def test_no_method_within_the_limit_names_every_ratio(fake: _Quantizer, tmp_path: Path) -> None:
    fake.error_by_method.update(percentile=0.3, entropy=0.25)
    with pytest.raises(ExportError, match=r"minmax 2\.000×, percentile 3\.000×, entropy 2\.500×"):
        pipeline.quantize_checked(tmp_path, _arrays(), np.arange(4, dtype=np.intp), _arrays())
