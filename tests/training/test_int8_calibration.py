"""INT8 calibration: the first method within the RMSE limit on validation cameras is kept."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from training import export, pipeline
from training.pipeline import Outcome
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


def test_falls_back_to_the_first_method_within_the_limit(fake: _Quantizer, tmp_path: Path) -> None:
    rows = np.arange(4, dtype=np.intp)
    assert pipeline.quantize_checked(tmp_path, _arrays(), rows, _arrays()) == "percentile"
    assert fake.tried == ["minmax", "percentile"]  # entropy never needed


def test_minmax_is_kept_when_it_is_good_enough(fake: _Quantizer, tmp_path: Path) -> None:
    fake.error_by_method["minmax"] = 0.10
    rows = np.arange(4, dtype=np.intp)
    assert pipeline.quantize_checked(tmp_path, _arrays(), rows, _arrays()) == "minmax"
    assert fake.tried == ["minmax"]


def test_no_method_within_the_limit_keeps_minmax_for_the_test_gate(
    fake: _Quantizer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.error_by_method.update(percentile=0.3, entropy=0.25)
    rows = np.arange(4, dtype=np.intp)
    assert pipeline.quantize_checked(tmp_path, _arrays(), rows, _arrays()) == "minmax"
    assert fake.tried == ["minmax", "percentile", "entropy", "minmax"]
    assert "minmax 2.000×, percentile 3.000×, entropy 2.500×" in caplog.text


def test_histogram_calibration_prints_nothing_to_stdout(
    tiny_run: Outcome, tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pm25-train` writes its JSON summary to stdout; ORT's calibrators must not add to it."""
    real = importlib.import_module("training.export")  # not the fakes above: none is active here
    arrays, _ = pipeline.dataset_arrays(tiny_dataset, tiny_run.release_dir.parent / "tensors.npz")
    out = tmp_path / "int8.onnx"
    rows = np.arange(min(16, len(arrays)), dtype=np.intp)
    real.quantize_int8(tiny_run.release_dir / FP32_FILE, out, arrays, rows, "percentile")
    assert out.stat().st_size > 0
    assert capsys.readouterr().out == ""
