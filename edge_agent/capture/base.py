"""What every camera gives: a Frame; and the small interface every camera implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured image. truth: ground truth where known (simulator: 'pm25', 'rh')."""

    image: npt.NDArray[np.uint8]  # H×W×3 BGR
    captured_at: datetime  # timezone-aware UTC
    source: str
    truth: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.captured_at.utcoffset() != timedelta(0):
            raise ValueError(f"captured_at must be timezone-aware UTC, got {self.captured_at!r}")
        img = self.image
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3 or img.size == 0:
            raise ValueError(f"image must be non-empty H×W×3 uint8, got {img.dtype} {img.shape}")


class Camera(Protocol):
    """A source of frames. ``read`` raises CameraError when no frame can be had."""

    def open(self) -> None:
        """Acquire the device / file / folder; CameraError if impossible."""
        ...

    def read(self) -> Frame:
        """The next frame; CameraError if the source failed or ran dry."""
        ...

    def close(self) -> None:
        """Release the source; safe to call twice."""
        ...

    def describe(self) -> str:
        """Short human description for logs and the heartbeat."""
        ...
