"""Estimator loading: verified artifacts, warm-up, goldens, fp32/int8 choice, and each fault."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from edge_agent.errors import ConfigError, ModelLoadError
from edge_agent.inference.choice import pick_faster
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import CHOICE_FILE, load_estimator
from pm25.preprocess import preprocess
from tests.edge_agent.model_factory import build_fixture_model
from tests.edge_agent.sim_frames import frame

# Pinned to ONNX Runtime: these tests compare with direct onnxruntime runs and its messages
# (auto would pick OpenVINO where it is installed; tests/edge_agent/test_inference_openvino.py).
FAST = InferenceConfig(warmup_runs=1, timing_runs=5, backend="onnxruntime")


def test_estimate_matches_a_direct_onnxruntime_run(fixture_model_dir: Path, tmp_path: Path) -> None:
    est = load_estimator(fixture_model_dir, FAST.model_copy(update={"precision": "fp32"}), tmp_path)
    x = preprocess(frame(2, 60.0), None, est.manifest.preprocessing)
    got = est.estimate(x)
    session = ort.InferenceSession(str(fixture_model_dir / "model_fp32.onnx"))
    mean, logvar = session.run(["pm25"], {"image": x.image, "features": x.features[None]})[0][0]
    assert got.pm25 == pytest.approx(max(float(mean), 0.0), rel=1e-5)
    assert got.sd == pytest.approx(float(np.exp(logvar / 2)), rel=1e-5)
    assert got.latency_ms > 0 and est.latency() is not None
    assert est.backend.name == "onnxruntime" and est.model_version == "fixture:1"


def test_fp32_int8_measured_once_then_cached(fixture_model_dir: Path, tmp_path: Path) -> None:
    first = load_estimator(fixture_model_dir / "manifest.json", FAST, tmp_path)
    assert set(first.role_latency_ms) == {"fp32", "int8"}
    assert first.role == pick_faster(first.role_latency_ms)
    cache = json.loads((tmp_path / CHOICE_FILE).read_text())
    (entry,) = cache.values()
    entry["role"] = "int8" if first.role == "fp32" else "fp32"  # prove the cache is read
    (tmp_path / CHOICE_FILE).write_text(json.dumps({next(iter(cache)): entry}))
    second = load_estimator(fixture_model_dir, FAST, tmp_path)
    assert second.role == entry["role"] and second.role_latency_ms == entry["latency_ms"]


def test_corrupt_choice_cache_is_remeasured(fixture_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / CHOICE_FILE).write_text("{not json")
    est = load_estimator(fixture_model_dir, FAST, tmp_path)
    assert set(est.role_latency_ms) == {"fp32", "int8"}
    assert json.loads((tmp_path / CHOICE_FILE).read_text())


def test_pick_faster_prefers_fp32_on_tie() -> None:
    assert pick_faster({"fp32": 1.0, "int8": 0.5}) == "int8"
    assert pick_faster({"int8": 1.0, "fp32": 1.0}) == "fp32"
    assert pick_faster({"fp32": 0.9, "int8": 1.0}) == "fp32"


def test_humidity_input_fed(tmp_path: Path) -> None:
    path = build_fixture_model(tmp_path / "h", int8=False, humidity=True)
    est = load_estimator(path, FAST, None)
    x = preprocess(frame(2, 60.0), None, est.manifest.preprocessing)
    assert est.estimate(x, 0.2).pm25 != est.estimate(x, 0.95).pm25


def test_sha256_mismatch_refused_before_loading(model_copy: Path) -> None:
    artifact = model_copy / "model_fp32.onnx"
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same length, different bytes
    artifact.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match=r"'fp32' sha256 .* != "):
        load_estimator(model_copy, FAST, None)


def test_truncated_artifact_refused(model_copy: Path) -> None:
    artifact = model_copy / "model_int8.onnx"
    artifact.write_bytes(artifact.read_bytes()[:100])
    with pytest.raises(ModelLoadError, match=r"'int8' is 100 bytes, expected"):
        load_estimator(model_copy, FAST, None)


def test_missing_artifact_and_missing_manifest(model_copy: Path, tmp_path: Path) -> None:
    (model_copy / "model_fp32.onnx").unlink()
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_estimator(model_copy, FAST, None)
    with pytest.raises(ModelLoadError, match="no model manifest"):
        load_estimator(tmp_path / "nowhere", FAST, None)


def test_corrupt_file_that_matches_its_manifest_fails_in_the_runtime(tmp_path: Path) -> None:
    path = build_fixture_model(tmp_path / "m", int8=False)
    (tmp_path / "m" / "model_fp32.onnx").write_bytes(b"\x08\x07garbage" * 50)
    text = path.read_text()
    manifest = json.loads(text)
    from pm25.manifest import sha256_file

    art = manifest["artifacts"][0]
    art["sha256"] = sha256_file(tmp_path / "m" / "model_fp32.onnx")
    art["length"] = 450
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="onnxruntime cannot load"):
        load_estimator(path, FAST, None)


def test_corrupt_manifest(model_copy: Path) -> None:
    (model_copy / "manifest.json").write_text('{"name": "x"')
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_estimator(model_copy, FAST, None)


def test_failing_golden_refused(tmp_path: Path) -> None:
    path = build_fixture_model(tmp_path / "g", int8=False, expected_shift=5.0)
    with pytest.raises(ModelLoadError, match="fails golden 'hazy-80'"):
        load_estimator(path, FAST, None)


def test_precision_not_in_release(tmp_path: Path) -> None:
    path = build_fixture_model(tmp_path / "p", int8=False)
    with pytest.raises(ModelLoadError, match="precision 'int8' not in release"):
        load_estimator(path, FAST.model_copy(update={"precision": "int8"}), None)


@pytest.mark.skipif(importlib.util.find_spec("openvino") is not None, reason="openvino installed")
def test_openvino_requested_but_not_installed(fixture_model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="'openvino' requested in config but not installed"):
        load_estimator(fixture_model_dir, FAST.model_copy(update={"backend": "openvino"}), None)
