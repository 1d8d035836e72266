"""ONNX Runtime backend: CPU everywhere, TensorRT / CUDA execution providers where present."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge_agent.errors import InferenceError, ModelLoadError
from edge_agent.inference.base import Tensor

PROVIDER_ORDER = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


def pick_providers(available: Sequence[str]) -> list[str]:
    """The execution providers to ask for, best first; CPU always last (ORT's own fallback)."""
    return [p for p in PROVIDER_ORDER if p in available or p == "CPUExecutionProvider"]


class OnnxBackend:
    """An ONNX Runtime session on one model file."""

    name = "onnxruntime"

    def __init__(self, path: Path, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        providers = pick_providers(ort.get_available_providers())
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as e:  # ORT raises its own untyped errors for bad files
            raise ModelLoadError(f"{path}: onnxruntime cannot load the model: {e}") from e
        self._outputs = [o.name for o in self._session.get_outputs()]

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(self._session.get_providers())

    def run(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        try:
            values = self._session.run(self._outputs, dict(inputs))
        except Exception as e:
            raise InferenceError(f"onnxruntime run failed: {e}") from e
        return {n: np.asarray(v, np.float32) for n, v in zip(self._outputs, values, strict=True)}
