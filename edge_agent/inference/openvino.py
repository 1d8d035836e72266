"""OpenVINO backend; ``openvino`` itself is imported only when this backend is probed or used.

The module imports without OpenVINO installed (so the package can be walked and type-checked
everywhere); using it without OpenVINO raises ModelLoadError.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from edge_agent.errors import InferenceError, ModelLoadError
from edge_agent.inference.base import Tensor


def _openvino() -> Any:
    try:
        return importlib.import_module("openvino")
    except ImportError as e:
        raise ModelLoadError("openvino is not installed (pip install '.[openvino]')") from e


def openvino_devices() -> tuple[str, ...]:
    """Devices OpenVINO can use here, e.g. ('CPU', 'GPU')."""
    return tuple(_openvino().Core().available_devices)


class OpenVinoBackend:
    """A compiled OpenVINO model; GPU if present, else CPU."""

    name = "openvino"

    def __init__(self, path: Path, threads: int = 1) -> None:
        core = _openvino().Core()
        device = "GPU" if "GPU" in core.available_devices else "CPU"
        # OpenVINO runs FP32 models in bf16 (CPUs with AMX/AVX512-BF16) or f16 (GPUs) unless told
        # otherwise, which moves outputs past the manifest's golden tolerances: ask for f32. INT8
        # artifacts keep their quantized kernels either way.
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "f32"}
        if device == "CPU":
            config["INFERENCE_NUM_THREADS"] = threads
        try:
            compiled = core.compile_model(core.read_model(str(path)), device, config)
        except Exception as e:  # OpenVINO raises RuntimeError subclasses of its own
            raise ModelLoadError(f"{path}: openvino cannot load the model: {e}") from e
        self._request = compiled.create_infer_request()
        self._outputs = [o.get_any_name() for o in compiled.outputs]
        self._device = device

    @property
    def devices(self) -> tuple[str, ...]:
        return (self._device,)

    def run(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        try:
            result = self._request.infer(dict(inputs))
        except Exception as e:
            raise InferenceError(f"openvino run failed: {e}") from e
        values = list(result.values())
        return {n: np.asarray(v, np.float32) for n, v in zip(self._outputs, values, strict=True)}
