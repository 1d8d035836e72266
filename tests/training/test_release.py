"""The tiny pipeline run: ONNX parity with torch, INT8 loss, manifest, goldens, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from pm25.drift_bins import (
    PM25_EDGES,
    REFERENCE_FILE,
    SIGNALS,
    edges,
    histogram,
    parse_reference,
)
from pm25.manifest import ModelManifest, load_manifest
from tests.training.conftest import tiny_config
from training import export
from training.export import feeds, run_onnx, session
from training.model import ExportWrapper
from training.pipeline import Outcome, dataset_arrays, load_model, run_pipeline
from training.release import FP32_FILE, INT8_FILE
from training.splits import make_splits


def check_release(folder: Path) -> ModelManifest:
    """Manifest valid, artifacts match their hashes, and every golden reproduces per role."""
    manifest = load_manifest(folder / "manifest.json")
    assert manifest.golden
    for art in manifest.artifacts:
        manifest.verify_artifact(art.role, folder / art.filename)
        sess = session(folder / art.filename)
        for g in manifest.golden:
            f = g.features_array()
            assert f is not None and g.humidity is not None
            raw = sess.run(
                [manifest.outputs.name],
                {
                    manifest.inputs.image.name: g.image_array(manifest.inputs.image),
                    "features": f[None],
                    "humidity": np.array([[g.humidity]], np.float32),
                },
            )[0]
            pm25, sd = manifest.outputs.to_estimate(raw)
            assert abs(pm25 - g.expected_pm25) <= g.tolerance[art.role], (art.role, g.name)
            assert sd > 0
    return manifest


def test_onnx_matches_torch(tiny_run: Outcome, tiny_dataset: Path) -> None:
    work = tiny_run.release_dir.parent
    arrays, _ = dataset_arrays(tiny_dataset, work / "tensors.npz")
    model = load_model(work / "model.pt", arrays.features.shape[1])
    rows = np.arange(min(16, len(arrays)))
    f = feeds(arrays, rows)
    with torch.no_grad():
        want = ExportWrapper(model)(
            *(torch.from_numpy(f[k]) for k in ("image", "features", "humidity"))
        )
    got = session(tiny_run.release_dir / FP32_FILE).run(["pm25"], f)[0]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)


def test_int8_within_5_percent_rmse(tiny_run: Outcome, tiny_dataset: Path) -> None:
    arrays, _ = dataset_arrays(tiny_dataset, tiny_run.release_dir.parent / "tensors.npz")
    rmse = {}
    for name in (FP32_FILE, INT8_FILE):
        pred, _ = run_onnx(tiny_run.release_dir / name, arrays)
        rmse[name] = float(np.sqrt(np.mean((pred - arrays.pm25) ** 2)))
    assert rmse[INT8_FILE] <= 1.05 * rmse[FP32_FILE]
    assert tiny_run.summary["int8_rmse_ratio"] <= 1.05


def test_manifest_and_report(tiny_run: Outcome) -> None:
    manifest = check_release(tiny_run.release_dir)
    assert {a.role for a in manifest.artifacts} == {"fp32", "int8"}
    assert manifest.inputs.humidity is not None and manifest.inputs.features is not None
    assert set(manifest.metrics.overall) >= {
        "rmse",
        "mae",
        "bias",
        "r2",
        "aqi_accuracy",
        "coverage80",
    }
    assert manifest.metrics.by_band
    report = tiny_run.report_path.read_text()
    assert ("INT8 on held-out cameras" in report and "| 0-9 |" in report) or "| 9-35.4 |" in report
    assert (tiny_run.report_path.parent / "eval-fp32.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((tiny_run.report_path.parent / "metrics.json").read_text())
    assert metrics["fp32"]["latency_ms"]["median"] > 0
    assert metrics["int8_calibration"] in export.CALIBRATIONS
    assert f"INT8 activation ranges: {metrics['int8_calibration']} calibration" in report


def test_release_carries_the_training_drift_reference(
    tiny_run: Outcome, tiny_dataset: Path
) -> None:
    manifest = load_manifest(tiny_run.release_dir / "manifest.json")
    data = (tiny_run.release_dir / REFERENCE_FILE).read_bytes()
    counts, problems = parse_reference(data, manifest.version)
    assert problems == [] and set(counts) == set(SIGNALS)
    n = int(
        json.loads((tiny_run.report_path.parent / "metrics.json").read_text())["facts"][
            "train_frames"
        ]
    )
    assert {s: sum(c) for s, c in counts.items()} == dict.fromkeys(SIGNALS, n)
    assert counts["flags"] == [n] + [0] * 7  # training frames did not pass the gate: all "none"
    # the histograms are the FP32 model's outputs and the features on the training split
    arrays, _ = dataset_arrays(tiny_dataset, tiny_run.release_dir.parent / "tensors.npz")
    train = arrays.take(make_splits(arrays, tiny_config().split).train)
    pred, _ = run_onnx(tiny_run.release_dir / FP32_FILE, train)
    assert counts["pm25"] == histogram(pred.tolist(), PM25_EDGES)
    col = manifest.preprocessing.features.index("edge_density")
    assert counts["edge_density"] == histogram(
        train.features[:, col].tolist(), edges("edge_density")
    )


def test_rerun_gives_the_same_model(tiny_run: Outcome, tiny_dataset: Path, tmp_path: Path) -> None:
    again = run_pipeline(tiny_config(), tmp_path, tiny_dataset)
    for name in (FP32_FILE, INT8_FILE, "manifest.json", REFERENCE_FILE):
        assert (again.release_dir / name).read_bytes() == (
            tiny_run.release_dir / name
        ).read_bytes(), name
