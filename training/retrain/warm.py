"""Warm start: the challenger begins from the champion's trained weights (a `model.pt` as
`pm25-train train`/`pipeline` and `retrain` write it), so a retrain adapts what the champion
knows to the field instead of relearning it from a few hundred labelled frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from training.config import ModelConfig
from training.errors import TrainingError

WEIGHTS = "model.pt"


def find_weights(champion: Path, explicit: Path | None) -> Path | None:
    """`explicit`, else `<champion>/model.pt` or `<champion>/../model.pt` when present."""
    if explicit is not None:
        return explicit
    for p in (champion / WEIGHTS, champion.parent / WEIGHTS):
        if p.is_file():
            return p
    return None


def load_weights(path: Path) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """(network config, state dict) of a saved model; TrainingError naming the file."""
    try:
        blob: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        return ModelConfig.model_validate(blob["model_config"]), dict(blob["state"])
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as e:
        raise TrainingError(f"{path}: not usable as warm-start weights: {e}") from e
