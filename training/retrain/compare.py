"""Champion and challenger on the same held-out data: overall, by PM band and by device.

Each release is checked against its manifest (artifact hashes) before it runs, and must use the
preprocessing the evaluation tensors were built with; otherwise the comparison would not be on
the same inputs and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pm25.errors import ManifestError
from pm25.manifest import ModelManifest, load_manifest
from pm25.preprocess import DEFAULT_SPEC
from training import export, metrics
from training.errors import TrainingError
from training.tensors import Arrays


@dataclass(frozen=True)
class Candidate:
    """A release folder (manifest.json + ONNX files) under a role name."""

    role: str  # "champion" | "challenger"
    folder: Path
    manifest: ModelManifest


def open_release(role: str, folder: Path) -> Candidate:
    """Load and verify a release folder; TrainingError when it is not one we can compare."""
    try:
        manifest = load_manifest(folder / "manifest.json")
        fp32 = next(a for a in manifest.artifacts if a.role == "fp32")
        manifest.verify_artifact("fp32", folder / fp32.filename)
    except (ManifestError, StopIteration) as e:
        raise TrainingError(f"{role} {folder}: not a usable release: {e}") from e
    if manifest.preprocessing != DEFAULT_SPEC:
        raise TrainingError(f"{role} {folder}: preprocessing differs from this build's; the "
                            "comparison would not be on the same inputs")  # fmt: skip
    return Candidate(role, folder, manifest)


def fp32_path(c: Candidate) -> Path:
    return c.folder / next(a.filename for a in c.manifest.artifacts if a.role == "fp32")


def by_device(pred: np.ndarray, truth: np.ndarray, camera: np.ndarray) -> dict[str, Any]:
    """Errors per camera (device)."""
    return {str(cam): metrics.errors(pred[camera == cam], truth[camera == cam])
            for cam in np.unique(camera)}  # fmt: skip


def evaluate(c: Candidate, data: Arrays) -> dict[str, Any]:
    """metrics.evaluate (overall + by band) plus `by_device`, and the raw predictions."""
    pred, sd = export.run_onnx(fp32_path(c), data)
    truth = data.pm25.astype(np.float64)
    out: dict[str, Any] = dict(metrics.evaluate(pred, sd, truth))
    out["by_device"] = by_device(pred, truth, data.camera)
    out["pred"] = pred
    return out


def compare(candidates: list[Candidate], sets: dict[str, Arrays]) -> dict[str, dict[str, Any]]:
    """{set name: {role: evaluation}} for every non-empty set."""
    return {name: {c.role: evaluate(c, data) for c in candidates}
            for name, data in sets.items() if len(data)}  # fmt: skip
