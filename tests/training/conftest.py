"""Shared fixtures: a tiny rendered dataset and one tiny pipeline run (session scoped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import (
    ExportConfig,
    ModelConfig,
    PipelineConfig,
    SplitConfig,
    SynthConfig,
    TrainConfig,
)
from training.pipeline import Outcome, run_pipeline
from training.synth import render_dataset


def tiny_config(seed: int = 0) -> PipelineConfig:
    return PipelineConfig(
        synth=SynthConfig(
            seed=seed, cameras=6, frames_per_camera=8, width=320, height=180, workers=1
        ),
        split=SplitConfig(val_fraction=0.2, test_fraction=0.34, time_holdout_fraction=0.2),
        model=ModelConfig(channels=(8, 16, 24), hidden=16, profile_rows=4),
        train=TrainConfig(epochs=3, patience=3, batch_size=8, threads=1, device="cpu"),
        export=ExportConfig(calibration_frames=16, golden_count=2),
    )


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "dataset"
    render_dataset(tiny_config().synth, root)
    return root


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_dataset: Path) -> Outcome:
    work = tmp_path_factory.mktemp("run")
    return run_pipeline(tiny_config(), work, tiny_dataset)
