"""Inference section of the agent config."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BackendName = Literal["onnxruntime", "openvino"]
Preference = Literal["auto", "onnxruntime", "openvino"]
Precision = Literal["auto", "fp32", "int8"]


class InferenceConfig(BaseModel):
    """Which model to run, on which runtime, with how many threads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Path = Field(
        Path("models/manifest.json"),
        description="Model manifest (or the directory holding manifest.json).",
    )
    backend: Preference = Field(
        "auto",
        description="Runtime: 'auto' picks the best installed one and logs why; a named one "
        "that is not installed is an error, never a silent fallback.",
    )
    precision: Precision = Field(
        "auto",
        description="Artifact to run: 'auto' measures fp32 and int8 on this hardware at first "
        "start and keeps the faster (choice cached in data_dir).",
    )
    threads: int = Field(1, ge=1, le=64, description="Intra-op threads of the runtime.")
    warmup_runs: int = Field(3, ge=0, le=100, description="Inference runs at load, not timed.")
    timing_runs: int = Field(
        20, ge=1, le=1000, description="Timed runs per artifact when choosing fp32 vs int8."
    )
    default_rh: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Relative humidity fed to a model that takes it when no sensor value is given.",
    )
