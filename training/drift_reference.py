"""The release's ``drift-reference.json``: its training frames binned as the hub's drift watch bins
a device's data (``pm25.drift_bins``), so the watch can compare a device with what the model saw.

- ``pm25`` and ``sd``: the exported FP32 model's outputs on the training frames (what the model
  says on its own training data, not the labels: the device reports predictions too);
- haze features: the frames' preprocessed features (the very values the device bins);
- ``flags``: every training frame counts as "none". The frames come from the dataset, not through
  the edge quality gate, and the gate needs full frames while the tensor cache keeps only the
  small model input; rendered and curated frames are the gate's clean case.

Deterministic: same frames and model, same bytes (no timestamps, sorted keys, integer counts).
"""

from __future__ import annotations

from pathlib import Path

from pm25.drift_bins import (
    HAZE_SIGNALS,
    PM25_EDGES,
    REFERENCE_FILE,
    SD_EDGES,
    flag_histogram,
    haze_histograms,
    histogram,
    reference_json,
)
from training.export import run_onnx
from training.tensors import Arrays


def training_histograms(model: Path, train: Arrays, names: tuple[str, ...]) -> dict[str, list[int]]:
    """The drift signals' histograms over the training frames (features named by ``names``, the
    preprocessing spec's order)."""
    pred, sd = run_onnx(model, train)
    columns = {n: train.features[:, i].tolist() for i, n in enumerate(names) if n in HAZE_SIGNALS}
    return {
        "pm25": histogram(pred.tolist(), PM25_EDGES),
        "sd": histogram(sd.tolist(), SD_EDGES),
        "flags": flag_histogram([0] * len(train)),
        **haze_histograms(columns),
    }


def write_reference(
    folder: Path, name: str, version: int, *, model: Path, train: Arrays, names: tuple[str, ...]
) -> Path:
    """Write ``drift-reference.json`` into the release folder; its path."""
    path = folder / REFERENCE_FILE
    path.write_bytes(reference_json(name, version, training_histograms(model, train, names)))
    return path
