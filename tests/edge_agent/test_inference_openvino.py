"""The OpenVINO backend on a real OpenVINO runtime (the `openvino` extra; `make test` installs it).

OpenVINO must give the same estimates as ONNX Runtime for the same release: the shipped baseline
and the fixture model pass their golden self-tests on it, FP32 and INT8.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import load_estimator
from pm25.preprocess import preprocess
from tests.edge_agent.sim_frames import frame

pytest.importorskip("openvino", reason="the openvino extra is not installed")

ROOT = Path(__file__).resolve().parents[2]
FAST = InferenceConfig(warmup_runs=1, timing_runs=3)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
@pytest.mark.parametrize("release", ["fixture", "baseline"])
def test_openvino_matches_onnxruntime(
    release: str, precision: str, fixture_model_dir: Path, tmp_path: Path
) -> None:
    model = fixture_model_dir if release == "fixture" else ROOT / "models"
    config = FAST.model_copy(update={"precision": precision})
    # Loading runs the manifest's goldens on the backend: a precision drift fails right here.
    ov = load_estimator(model, config.model_copy(update={"backend": "openvino"}), tmp_path / "ov")
    ort = load_estimator(model, config.model_copy(update={"backend": "onnxruntime"}), tmp_path)
    assert ov.backend.name == "openvino" and ort.backend.name == "onnxruntime"
    # FP32 agrees to float rounding. INT8 kernels round differently per runtime (OpenVINO and
    # ONNX Runtime fuse the QDQ pairs differently): most frames agree closely, a few differ by a
    # quantization step, which exp() turns into tens of percent (shipped baseline, 1,000 test
    # frames: median 0 %, p95 9 %, equal RMSE 27.7 vs 27.6; this one scene: 0-15 %, median 7 %).
    # So INT8 is checked as a whole, with bounds that catch a broken runtime, not rounding.
    pms = (
        (8.0, 60.0, 220.0) if precision == "fp32" else (5.0, 15.0, 30.0, 60.0, 100.0, 160.0, 220.0)
    )
    diffs = []
    for pm in pms:
        x = preprocess(frame(3, pm), None, ov.manifest.preprocessing)
        a, b = ov.estimate(x), ort.estimate(x)
        if precision == "fp32":
            assert a.pm25 == pytest.approx(b.pm25, rel=1e-3, abs=0.05)
            assert a.sd == pytest.approx(b.sd, rel=1e-3, abs=0.05)
        else:
            assert abs(a.pm25 - b.pm25) <= 0.3 * b.pm25 + 2.0, (pm, a.pm25, b.pm25)
            diffs.append(abs(a.pm25 - b.pm25) / max(b.pm25, 1.0))
    if diffs:
        assert sorted(diffs)[len(diffs) // 2] <= 0.15, diffs
