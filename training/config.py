"""The training configuration: one YAML file validated once; each stage gets only its section."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from training.errors import TrainingError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SynthConfig(_Section):
    """How the synthetic dataset is rendered."""

    seed: int = Field(0, description="Master seed; same seed, same frames (byte for byte).")
    cameras: int = Field(48, ge=3, description="Number of simulated cameras (one scene each).")
    frames_per_camera: int = Field(60, ge=1, description="Labelled frames rendered per camera.")
    width: int = Field(1280, ge=64, description="Rendered frame width in pixels.")
    height: int = Field(720, ge=36, description="Rendered frame height in pixels.")
    pm25_max: float = Field(320.0, gt=10.0, description="Largest PM2.5 sampled, µg/m³.")
    min_sun_elevation_deg: float = Field(
        12.0, description="Daylight only: frames with a lower sun are re-drawn (agent gates night)."
    )
    jpeg_quality: int = Field(90, ge=30, le=100, description="JPEG quality of written frames.")
    workers: int = Field(2, ge=1, le=2, description="Render processes (at most 2 on this CPU).")


class SplitConfig(_Section):
    """How frames are split: whole cameras held out, plus a later-time slice of the rest."""

    val_fraction: float = Field(0.15, gt=0.0, lt=0.5, description="Cameras for early stopping.")
    test_fraction: float = Field(0.2, gt=0.0, lt=0.5, description="Cameras never seen in training.")
    time_holdout_fraction: float = Field(
        0.1, ge=0.0, lt=0.5, description="Latest frames of each training camera held out by time."
    )
    seed: int = Field(0, description="Seed of the camera assignment.")


class ModelConfig(_Section):
    """Network widths (the parameter budget is ≤ 1 M)."""

    channels: tuple[int, ...] = Field(
        (12, 24, 48, 64, 96), description="Conv stage widths (stride 2)."
    )
    hidden: int = Field(64, ge=8, description="Width of the head's hidden layer.")
    mean_cap_s2: float = Field(
        0.0, ge=0.0, description="0: estimate = log-normal median; > 0: mean with s² capped."
    )
    log_offset: float = Field(1.0, gt=0.0, description="c in log(PM2.5 + c), µg/m³.")
    hygroscopic_gamma: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="γ of the hygroscopic growth f(RH) = (1 − RH)^−γ taken out of the estimate "
        "when humidity is known (the image shows wet extinction, the monitor dry mass); "
        "0: off, the network learns humidity from the input alone.",
    )
    profile_rows: int = Field(
        0,
        ge=0,
        description="Rows of the vertical profile branch (row log-means and contrast of the "
        "un-normalised image, exposure-normalised; 0: off). Must divide the input height.",
    )


class TrainConfig(_Section):
    """Optimisation."""

    seed: int = Field(0, description="Seed of torch, numpy and random.")
    epochs: int = Field(40, ge=1, description="Maximum epochs.")
    patience: int = Field(6, ge=1, description="Early stopping: epochs without val improvement.")
    batch_size: int = Field(64, ge=2, description="Mini-batch size.")
    lr: float = Field(3e-3, gt=0.0, description="AdamW learning rate (cosine decay).")
    weight_decay: float = Field(1e-4, ge=0.0, description="AdamW weight decay.")
    humidity_dropout: float = Field(
        0.2, ge=0.0, le=1.0, description="Fraction of samples trained with humidity missing."
    )
    beta_nll: float = Field(0.0, ge=0.0, le=1.0, description="β of β-NLL (0: plain NLL).")
    ema_decay: float = Field(0.99, ge=0.0, lt=1.0, description="Weight EMA decay per step.")
    threads: int = Field(2, ge=1, description="torch CPU threads.")
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda'.")


class ExportConfig(_Section):
    """ONNX export, quantization and the release manifest."""

    opset: int = Field(17, ge=17, description="ONNX opset.")
    calibration_frames: int = Field(200, ge=8, description="Training frames for INT8 calibration.")
    name: str = Field("pm25-haze", description="Manifest model name.")
    version: int = Field(1, gt=0, description="Manifest release number.")
    label: str = Field("2026.11-baseline", description="Manifest label.")
    created_at: datetime = Field(
        datetime(2026, 11, 30, tzinfo=UTC), description="Fixed creation time (reproducible bytes)."
    )
    latency_budget_ms: float = Field(50.0, gt=0.0, description="Max inference time on target.")
    golden_count: int = Field(4, ge=1, description="Golden self-test inputs in the manifest.")


class PipelineConfig(_Section):
    """The whole `pm25-train pipeline` configuration."""

    synth: SynthConfig = Field(default_factory=SynthConfig, description="Synthetic data.")
    split: SplitConfig = Field(default_factory=SplitConfig, description="Data splits.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="Network.")
    train: TrainConfig = Field(default_factory=TrainConfig, description="Training.")
    export: ExportConfig = Field(default_factory=ExportConfig, description="Export.")


C = TypeVar("C", bound=PipelineConfig)


def read_config(path: str | Path | None, model: type[C]) -> C:
    """Read and validate a YAML config as ``model`` (defaults when None); TrainingError names
    the problem."""
    if path is None:
        return model()
    p = Path(path)
    try:
        data: Any = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        return model.model_validate(data)
    except OSError as e:
        raise TrainingError(f"{p}: cannot read config: {e.strerror}") from e
    except (yaml.YAMLError, ValidationError) as e:
        raise TrainingError(f"{p}: invalid config: {e}") from e


def load_config(path: str | Path | None) -> PipelineConfig:
    """The `pm25-train pipeline` configuration."""
    return read_config(path, PipelineConfig)
