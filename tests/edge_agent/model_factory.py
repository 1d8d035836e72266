"""Small REAL ONNX models with proper manifests, built with onnx.helper (no torch).

The model: global average pool of the image (3 values) and the haze features, concatenated,
through one linear layer to [mean, log variance] (OutputKind.MEAN_LOGVAR). The int8 variant is
onnxruntime's dynamic quantisation of the same graph. Goldens come from a simulated frame.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from pm25.manifest import (
    Artifact,
    FeaturesInput,
    GoldenTest,
    HumidityInput,
    ImageInput,
    InputSpec,
    ModelManifest,
    OutputKind,
    OutputSpec,
    RuntimeRequirements,
    encode_f32,
    sha256_file,
    write_manifest,
)
from pm25.preprocess import FEATURE_NAMES, PreprocessSpec, preprocess
from pm25.scene import Conditions, make_scene, render

OPSET = 17


def build_onnx(path: Path, width: int, height: int, humidity: bool = False) -> None:
    """Write the fixture graph to ``path``."""
    n_in = 3 + len(FEATURE_NAMES) + (1 if humidity else 0)
    rng = np.random.default_rng(7)
    weight = (rng.standard_normal((n_in, 2)) * 8.0).astype(np.float32)
    bias = np.array([60.0, 2.0], np.float32)
    inputs = [
        helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, height, width]),
        helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, len(FEATURE_NAMES)]),
    ]
    concat = ["pooled_flat", "features"]
    if humidity:
        inputs.append(helper.make_tensor_value_info("humidity", TensorProto.FLOAT, [1, 1]))
        concat.append("humidity")
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["pooled_flat"], axis=1),
        helper.make_node("Concat", concat, ["joined"], axis=1),
        helper.make_node("MatMul", ["joined", "weight"], ["linear"]),
        helper.make_node("Add", ["linear", "bias"], ["pm25"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixture",
        inputs,
        [helper.make_tensor_value_info("pm25", TensorProto.FLOAT, [1, 2])],
        [numpy_helper.from_array(weight, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def golden_input(spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed tensors of a simulated hazy frame."""
    image = render(make_scene(5, 640, 360), Conditions(pm25_ugm3=80.0), 1)
    x = preprocess(image, None, spec)
    return x.image, x.features


def build_fixture_model(
    folder: Path,
    *,
    int8: bool = True,
    humidity: bool = False,
    width: int = 160,
    height: int = 96,
    expected_shift: float = 0.0,
) -> Path:
    """Write fp32 (and int8) artifacts and manifest.json into ``folder``; return the manifest path.

    ``expected_shift`` moves the golden's expected value (to build a release that fails it).
    """
    import onnxruntime as ort

    folder.mkdir(parents=True, exist_ok=True)
    spec = PreprocessSpec(width=width, height=height)
    fp32 = folder / "model_fp32.onnx"
    build_onnx(fp32, width, height, humidity)
    files = {"fp32": fp32}
    if int8:
        files["int8"] = folder / "model_int8.onnx"
        quantize_dynamic(str(fp32), str(files["int8"]), weight_type=QuantType.QInt8)
    image, features = golden_input(spec)
    feeds = {"image": image, "features": features.reshape(1, -1)}
    if humidity:
        feeds["humidity"] = np.array([[0.7]], np.float32)
    session = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
    expected = max(float(session.run(["pm25"], feeds)[0][0, 0]), 0.0)
    artifacts = tuple(
        Artifact(role=role, filename=p.name, sha256=sha256_file(p), length=p.stat().st_size)
        for role, p in files.items()
    )
    manifest = ModelManifest(
        name="fixture",
        version=1,
        label="test-fixture",
        created_at=datetime.now(UTC),
        artifacts=artifacts,
        inputs=InputSpec(
            image=ImageInput(height=height, width=width),
            features=FeaturesInput(names=FEATURE_NAMES),
            humidity=HumidityInput() if humidity else None,
        ),
        preprocessing=spec,
        outputs=OutputSpec(kind=OutputKind.MEAN_LOGVAR),
        runtime=RuntimeRequirements(min_opset=OPSET, onnxruntime_min="1.17"),
        golden=(
            GoldenTest(
                name="hazy-80",
                image=encode_f32(image),
                features=encode_f32(features),
                humidity=0.7 if humidity else None,
                expected_pm25=expected + expected_shift,
                tolerance={role: 0.01 if role == "fp32" else 3.0 for role in files},
            ),
        ),
        latency_budget_ms=50.0,
    )
    path = folder / "manifest.json"
    write_manifest(manifest, path)
    return path
