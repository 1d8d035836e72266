"""The baseline shipped in models/ verifies against its files and stays small."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.training.test_release import check_release

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_shipped_manifest_verifies_and_goldens_pass() -> None:
    manifest = check_release(MODELS)
    assert manifest.outputs.name == "pm25" and manifest.inputs.image.name == "image"


def test_shipped_release_is_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in MODELS.iterdir() if p.is_file())
    assert total <= 2 * 1024 * 1024
    card = (MODELS / "MODEL_CARD.md").read_text()
    for needle in ("fog", "rain", "Night", "short scene depth", "parameters", "MACs"):
        assert needle.lower() in card.lower(), needle


def test_evaluate_command_runs_both_shipped_artifacts(tiny_dataset: Path) -> None:
    from training.commands import evaluate_release

    out = evaluate_release(MODELS, tiny_dataset)
    assert out["frames"] == 48
    for role in ("fp32", "int8"):
        result = out[role]
        assert isinstance(result, dict)
        assert result["overall"]["n"] == 48.0


def test_shipped_weights_are_the_shipped_fp32_model() -> None:
    """models/model.pt (the retrain warm start) is the network the FP32 ONNX was exported from."""
    import onnxruntime as ort
    import torch

    from pm25.manifest import load_manifest
    from training.model import ExportWrapper
    from training.pipeline import load_model
    from training.retrain.warm import WEIGHTS, find_weights, load_weights

    assert find_weights(MODELS, None) == MODELS / WEIGHTS
    load_weights(MODELS / WEIGHTS)  # the retrain loader reads it
    manifest = load_manifest(MODELS / "manifest.json")
    n_features = manifest.inputs.features.length if manifest.inputs.features else 0
    net = ExportWrapper(load_model(MODELS / WEIGHTS, n_features)).eval()
    sess = ort.InferenceSession(str(MODELS / "model-fp32.onnx"), providers=["CPUExecutionProvider"])
    for g in manifest.golden:
        image = g.image_array(manifest.inputs.image)
        f = g.features_array()
        assert f is not None and g.humidity is not None
        hum = np.array([[g.humidity]], np.float32)
        want = sess.run(None, {"image": image, "features": f[None], "humidity": hum})[0]
        with torch.no_grad():
            got = net(torch.from_numpy(image), torch.from_numpy(f[None]), torch.from_numpy(hum))
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-3, atol=1e-3)
