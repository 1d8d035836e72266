"""Image statistics of the gate, computed on a small grey copy (well under 1 ms at 720p)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

SMALL_WIDTH: Final = 320  # grey copy for exposure, sharpness and obstruction
TINY_WIDTH: Final = 160  # grey copy for frozen and moved (phase correlation)
BLOCKS: Final = (16, 9)  # obstruction grid (columns, rows)

Grey = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FrameStats:
    """What the gate decides on. tiny: the 160-wide grey image (for frozen and moved)."""

    mean: float
    p1: float
    clipped: float
    sharpness: float
    dark_flat_blocks: float
    tiny: Grey


def small_grey(image: npt.NDArray[Any], width: int = SMALL_WIDTH) -> npt.NDArray[np.uint8]:
    """Grey copy ``width`` pixels wide: nearest to 2× first, then area (cheap, noise averaged)."""
    h, w = image.shape[:2]
    height = max(round(width * h / w), 1)
    src = image
    if w > 2 * width and h > 2 * height:
        src = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_NEAREST)
    small = cv2.resize(src, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), np.uint8)


def frame_stats(image: npt.NDArray[Any]) -> FrameStats:
    """Statistics of a BGR uint8 frame of any size."""
    grey = small_grey(image)
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist) / grey.size
    g = grey.astype(np.float32)
    mean = float(g.mean())
    lap = cv2.Laplacian(g, cv2.CV_32F)
    sharpness = float(cv2.mean(np.abs(lap))[0]) / (mean + 1.0)
    cols, rows = BLOCKS
    block_mean = cv2.resize(g, (cols, rows), interpolation=cv2.INTER_AREA)
    block_sq = cv2.resize(g * g, (cols, rows), interpolation=cv2.INTER_AREA)
    block_std = np.sqrt(np.maximum(block_sq - block_mean * block_mean, 0.0))
    median = float(np.searchsorted(cdf, 0.5))
    dark_flat = (block_mean < 0.4 * median) & (block_std < 0.1 * median + 3.0)
    tiny_h = max(round(TINY_WIDTH * g.shape[0] / g.shape[1]), 1)
    tiny = np.asarray(cv2.resize(g, (TINY_WIDTH, tiny_h), interpolation=cv2.INTER_AREA), np.float32)
    return FrameStats(
        mean=mean,
        p1=float(np.searchsorted(cdf, 0.01)),
        clipped=float(hist[250:].sum()) / grey.size,
        sharpness=sharpness,
        dark_flat_blocks=float(dark_flat.mean()),
        tiny=tiny,
    )


def view_shift(reference: Grey, tiny: Grey) -> float:
    """Shift of ``tiny`` against ``reference`` by phase correlation, as a fraction of width."""
    (dx, dy), _response = cv2.phaseCorrelate(reference, tiny)
    return math.hypot(float(dx), float(dy)) / int(tiny.shape[1])
