"""Tests of the model manifest: validation errors, tampered artifacts, atomic writes, goldens."""

import base64
import copy
import hashlib
import json
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pm25.errors import ManifestError
from pm25.manifest import (
    ModelManifest,
    OutputKind,
    OutputSpec,
    decode_f32,
    encode_f32,
    load_manifest,
    sha256_file,
    write_manifest,
)
from pm25.preprocess import PreprocessSpec, preprocess

SPEC = PreprocessSpec(width=32, height=16, features=("rms_contrast", "dark_mean"))


def make_artifact(tmp_path: Path, name: str, payload: bytes) -> dict[str, Any]:
    (tmp_path / name).write_bytes(payload)
    return {
        "role": "fp32" if "int8" not in name else "int8",
        "filename": name,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "length": len(payload),
    }


def manifest_dict(tmp_path: Path) -> dict[str, Any]:
    frame = np.random.default_rng(0).integers(0, 256, (120, 200, 3), dtype=np.uint8)
    model_input = preprocess(frame, None, SPEC)
    return {
        "name": "haze-cnn",
        "version": 3,
        "label": "2026.11-baseline",
        "created_at": "2026-11-02T10:00:00Z",
        "artifacts": [
            make_artifact(tmp_path, "model.onnx", b"fp32 model bytes" * 100),
            make_artifact(tmp_path, "model-int8.onnx", b"int8 model" * 50),
        ],
        "inputs": {
            "image": {"height": 16, "width": 32},
            "features": {"names": ["rms_contrast", "dark_mean"]},
        },
        "preprocessing": SPEC.model_dump(mode="json"),
        "outputs": {"kind": "mean_logvar"},
        "runtime": {"min_opset": 17, "onnxruntime_min": "1.17"},
        "metrics": {"overall": {"mae": 4.2}, "by_band": {"0-9": {"mae": 2.1}}},
        "golden": [
            {
                "name": "random frame",
                "image": encode_f32(model_input.image),
                "features": encode_f32(model_input.features),
                "expected_pm25": 12.5,
                "tolerance": {"fp32": 0.01, "int8": 1.5},
            }
        ],
        "latency_budget_ms": 40.0,
    }


def write_json(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    return path


def test_valid_manifest_loads_and_roundtrips(tmp_path: Path) -> None:
    manifest = load_manifest(write_json(tmp_path, manifest_dict(tmp_path)))
    assert manifest.version == 3
    assert manifest.created_at.utcoffset() is not None
    assert manifest.preprocessing == SPEC
    out = tmp_path / "copy.json"
    write_manifest(manifest, out)
    assert load_manifest(out) == manifest
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_golden_tensors_decode_to_the_preprocessed_input(tmp_path: Path) -> None:
    manifest = load_manifest(write_json(tmp_path, manifest_dict(tmp_path)))
    golden = manifest.golden[0]
    frame = np.random.default_rng(0).integers(0, 256, (120, 200, 3), dtype=np.uint8)
    expected = preprocess(frame, None, SPEC)
    np.testing.assert_array_equal(golden.image_array(manifest.inputs.image), expected.image)
    features = golden.features_array()
    assert features is not None
    np.testing.assert_array_equal(features, expected.features)


# (dotted path into the valid dict, new value, expected words in the error)
INVALID = [
    ("artifacts", [], "artifacts"),
    ("artifacts.1.role", "fp32", "roles must be unique"),
    ("version", 0, "version"),
    ("version", -1, "version"),
    ("artifacts.0.sha256", "AB" * 32, "sha256"),
    ("artifacts.0.sha256", "ab" * 31, "sha256"),
    ("artifacts.0.filename", "../model.onnx", "filename"),
    ("artifacts.0.filename", "dir/model.onnx", "filename"),
    ("artifacts.0.filename", "dir\\model.onnx", "filename"),
    ("artifacts.0.filename", "a..onnx", "filename"),
    ("artifacts.0.length", 0, "length"),
    ("artifacts.0.format", "tflite", "format"),
    ("created_at", "2026-11-02T10:00:00", "created_at"),
    ("created_at", "2026-11-02T10:00:00+02:00", "created_at"),
    ("surprise", 1, "surprise"),
    ("inputs.image.height", 17, "preprocessing height/width"),
    ("inputs.image.channels", 4, "channels"),
    ("inputs.features.names", ["dark_mean", "rms_contrast"], "preprocessing.features"),
    ("preprocessing.mean", [0.5, "NaN", 0.5], "preprocessing"),
    ("outputs.kind", "quantiles", "quantile_levels"),
    ("outputs.quantile_levels", [0.1, 0.5, 0.9], "quantile_levels"),
    ("golden.0.image", encode_f32(np.zeros(3 * 16 * 31)), "image has"),
    ("golden.0.image", "not base64!", "base64"),
    ("golden.0.features", None, "features length"),
    ("golden.0.tolerance", {"fp32": 0.01}, "tolerance roles"),
    ("golden.0.tolerance", {"fp32": 0.01, "int8": 0.0}, "positive"),
    ("golden.0.humidity", 0.5, "humidity"),
    ("latency_budget_ms", 0, "latency_budget_ms"),
]


@pytest.mark.parametrize(("field", "value", "message"), INVALID)
def test_each_validation_error_names_path_and_field(
    tmp_path: Path, field: str, value: Any, message: str
) -> None:
    data = copy.deepcopy(manifest_dict(tmp_path))
    *parents, last = field.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    path = write_json(tmp_path, data)
    with pytest.raises(ManifestError, match=message) as info:
        load_manifest(path)
    assert str(path) in str(info.value)


def test_unreadable_and_non_json_manifests(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)


def loaded(tmp_path: Path) -> ModelManifest:
    return load_manifest(write_json(tmp_path, manifest_dict(tmp_path)))


def test_verify_artifact_accepts_the_right_files(tmp_path: Path) -> None:
    manifest = loaded(tmp_path)
    manifest.verify_artifact("fp32", tmp_path / "model.onnx")
    manifest.verify_artifact("int8", tmp_path / "model-int8.onnx")


def test_verify_artifact_rejects_wrong_length(tmp_path: Path) -> None:
    manifest = loaded(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"fp32 model bytes" * 100 + b"x")
    with pytest.raises(ManifestError, match="bytes, expected 1600"):
        manifest.verify_artifact("fp32", tmp_path / "model.onnx")


def test_verify_artifact_rejects_same_length_wrong_hash(tmp_path: Path) -> None:
    manifest = loaded(tmp_path)
    tampered = bytearray(b"fp32 model bytes" * 100)
    tampered[700] ^= 0x01
    (tmp_path / "model.onnx").write_bytes(bytes(tampered))
    with pytest.raises(ManifestError, match="sha256"):
        manifest.verify_artifact("fp32", tmp_path / "model.onnx")


def test_verify_artifact_rejects_swapped_and_missing_files(tmp_path: Path) -> None:
    manifest = loaded(tmp_path)
    with pytest.raises(ManifestError):
        manifest.verify_artifact("fp32", tmp_path / "model-int8.onnx")
    with pytest.raises(ManifestError, match="unreadable"):
        manifest.verify_artifact("fp32", tmp_path / "gone.onnx")


def test_verify_artifact_unknown_role(tmp_path: Path) -> None:
    data = manifest_dict(tmp_path)
    data["artifacts"] = data["artifacts"][:1]
    for golden in data["golden"]:
        golden["tolerance"] = {"fp32": 0.01}
    manifest = load_manifest(write_json(tmp_path, data))
    with pytest.raises(ManifestError, match="no 'int8' artifact"):
        manifest.verify_artifact("int8", tmp_path / "model-int8.onnx")


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    payload = np.random.default_rng(1).bytes(3 * 1024 * 1024 + 17)
    path = tmp_path / "big.bin"
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()
    assert sha256_file(path, max_bytes=10) == hashlib.sha256(payload[:10]).hexdigest()


def test_write_manifest_replaces_an_existing_file(tmp_path: Path) -> None:
    manifest = loaded(tmp_path)
    target = tmp_path / "release.json"
    target.write_text("old contents")
    write_manifest(manifest, target)
    assert load_manifest(target) == manifest


def test_output_kinds_turn_raw_values_into_pm25_and_sd() -> None:
    logvar = OutputSpec(kind=OutputKind.MEAN_LOGVAR)
    assert logvar.to_estimate([20.0, math.log(9.0)]) == pytest.approx((20.0, 3.0))
    assert OutputSpec(kind=OutputKind.MEAN_SD).to_estimate([[7.0, 2.0]]) == (7.0, 2.0)
    quant = OutputSpec(kind=OutputKind.QUANTILES, quantile_levels=(0.1, 0.5, 0.9))
    pm25, sd = quant.to_estimate([10.0, 15.0, 10.0 + 2 * 1.2815515655446004 * 4.0])
    assert (pm25, sd) == pytest.approx((15.0, 4.0))
    assert logvar.to_estimate([-3.0, 0.0])[0] == 0.0  # a concentration is never negative
    with pytest.raises(ManifestError, match="expected 2"):
        logvar.to_estimate([1.0, 2.0, 3.0])
    with pytest.raises(ManifestError, match="finite"):
        logvar.to_estimate([float("nan"), 0.0])


def test_f32_encoding_roundtrips_and_rejects_bombs() -> None:
    values = np.linspace(-3, 3, 1000, dtype=np.float32)
    np.testing.assert_array_equal(decode_f32(encode_f32(values)), values)
    bomb = base64.b64encode(zlib.compress(b"\0" * (17 * 1024 * 1024))).decode()
    with pytest.raises(ValueError, match="larger than"):
        decode_f32(bomb)
    with pytest.raises(ValueError, match="NaN"):
        decode_f32(encode_f32([1.0, float("nan")]))
    with pytest.raises(ValueError, match="multiple of 4"):
        decode_f32(base64.b64encode(zlib.compress(b"abc")).decode())
