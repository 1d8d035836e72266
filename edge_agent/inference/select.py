"""Which runtime to use: a pure decision from the preference and what is installed.

``available`` maps each installed runtime to its devices (ONNX Runtime execution providers,
OpenVINO devices). ``auto`` prefers a GPU, then OpenVINO (installed on a unit only where it is
the faster CPU runtime, e.g. Intel), then ONNX Runtime on the CPU; the reason says which and why.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence

from edge_agent.errors import ConfigError
from edge_agent.inference.config import BackendName, Preference

ORT_GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def choose_backend(
    preference: Preference, available: Mapping[str, Sequence[str]]
) -> tuple[BackendName, str]:
    """(runtime, reason). ConfigError if the preferred runtime (or any, for auto) is missing."""
    installed = ", ".join(sorted(available)) or "none"
    if preference != "auto":
        if preference not in available:
            raise ConfigError(
                f"inference backend {preference!r} requested in config but not installed "
                f"(installed: {installed}); install it or set backend: auto"
            )
        return preference, f"{preference} requested in config"
    ort = tuple(available.get("onnxruntime", ()))
    ov = tuple(available.get("openvino", ()))
    gpu_eps = [p for p in ORT_GPU_PROVIDERS if p in ort]
    if "onnxruntime" in available and gpu_eps:
        return "onnxruntime", f"auto: onnxruntime has GPU execution providers {gpu_eps}"
    if "openvino" in available:
        gpus = [d for d in ov if d.startswith("GPU")]
        why = f"GPU devices {gpus}" if gpus else f"devices {list(ov)}"
        return "openvino", f"auto: openvino installed with {why} (preferred over ORT CPU)"
    if "onnxruntime" in available:
        return "onnxruntime", f"auto: onnxruntime on CPU, the only runtime installed ({installed})"
    raise ConfigError("no inference runtime installed: install onnxruntime (the [edge] extra)")


def available_backends() -> dict[str, tuple[str, ...]]:
    """Installed runtimes and their devices, probed by importing them (only if present)."""
    found: dict[str, tuple[str, ...]] = {}
    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime  # noqa: PLC0415 (probe only when installed)

        found["onnxruntime"] = tuple(onnxruntime.get_available_providers())
    if importlib.util.find_spec("openvino") is not None:
        from edge_agent.inference.openvino import openvino_devices  # noqa: PLC0415 (optional)

        found["openvino"] = openvino_devices()
    return found
