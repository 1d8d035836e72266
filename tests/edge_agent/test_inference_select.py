"""choose_backend: explicit preferences, auto ranking with reasons, and never a silent fallback."""

from __future__ import annotations

import pytest

from edge_agent.errors import ConfigError
from edge_agent.inference.select import available_backends, choose_backend

CPU = ("CPUExecutionProvider",)
JETSON = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


def test_explicit_installed_is_used_and_says_so() -> None:
    assert choose_backend("onnxruntime", {"onnxruntime": CPU, "openvino": ("GPU",)}) == (
        "onnxruntime",
        "onnxruntime requested in config",
    )
    assert choose_backend("openvino", {"onnxruntime": CPU, "openvino": ("CPU",)})[0] == "openvino"


def test_explicit_missing_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ConfigError, match=r"'openvino' requested .* not installed .*onnxruntime"):
        choose_backend("openvino", {"onnxruntime": CPU})


@pytest.mark.parametrize(
    ("available", "name", "why"),
    [
        ({"onnxruntime": JETSON, "openvino": ("CPU",)}, "onnxruntime", "GPU execution providers"),
        ({"onnxruntime": CPU, "openvino": ("CPU", "GPU.0")}, "openvino", "GPU devices"),
        ({"onnxruntime": CPU, "openvino": ("CPU",)}, "openvino", "preferred over ORT CPU"),
        ({"onnxruntime": CPU}, "onnxruntime", "only runtime installed"),
        ({"openvino": ("CPU",)}, "openvino", "openvino installed"),
    ],
)
def test_auto_ranking_with_reason(
    available: dict[str, tuple[str, ...]], name: str, why: str
) -> None:
    chosen, reason = choose_backend("auto", available)
    assert chosen == name and reason.startswith("auto:") and why in reason


def test_auto_with_nothing_installed() -> None:
    with pytest.raises(ConfigError, match="no inference runtime"):
        choose_backend("auto", {})


def test_probe_finds_onnxruntime_here() -> None:
    found = available_backends()
    assert "CPUExecutionProvider" in found["onnxruntime"]
