"""Self-test of a staged release: the agent's own loader (hashes, backend, goldens), then latency.

`edge_agent.inference.load_estimator` already verifies artifacts against the manifest, opens the
backend, warms up and runs the golden inputs; this adds the latency budget and wraps failures as
`SelfTestError`. Nothing is duplicated.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_agent.errors import ModelLoadError
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.update.errors import SelfTestError
from pm25.preprocess import ModelInput


@dataclass(frozen=True)
class SelfTestReport:
    """What the self-test found."""

    backend: str
    role: str
    median_ms: float
    budget_ms: float


def self_test(slot_dir: Path, config: InferenceConfig, runs: int = 5) -> Estimator:
    """Load `slot_dir` like the agent will; SelfTestError on any failure or over budget."""
    try:
        estimator = load_estimator(slot_dir, config, data_dir=None)
    except ModelLoadError as e:
        raise SelfTestError(f"self-test: {e}") from e
    report = measure(estimator, runs)
    if report.median_ms > report.budget_ms:
        raise SelfTestError(f"self-test: median latency {report.median_ms:.1f} ms over the "
                            f"budget of {report.budget_ms:.1f} ms")  # fmt: skip
    return estimator


def measure(estimator: Estimator, runs: int) -> SelfTestReport:
    """Median latency of the golden (or zero) input over `runs` runs."""
    manifest = estimator.manifest
    image = manifest.inputs.image
    features = manifest.inputs.features
    x = ModelInput(
        image=np.zeros((1, image.channels, image.height, image.width), np.float32),
        features=np.zeros(features.length if features else 0, np.float32),
    )
    times = [estimator.estimate(x).latency_ms for _ in range(max(runs, 1))]
    return SelfTestReport(estimator.backend.name, estimator.role,
                          statistics.median(times), manifest.latency_budget_ms)  # fmt: skip
