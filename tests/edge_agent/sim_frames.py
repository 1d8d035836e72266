"""Simulated frames for the gate and pipeline tests (cached: a 720p render takes ~0.1 s)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import numpy as np
import numpy.typing as npt

from pm25.scene import CameraEffects, Conditions, make_scene, render_with_truth

NOON = datetime(2024, 6, 15, 12)
WINTER_DAWN = datetime(2024, 1, 15, 7)
NIGHT = datetime(2024, 6, 15, 23)
JPEG90 = CameraEffects(jpeg_quality=90)


@cache
def frame(
    camera_seed: int = 1,
    pm25: float = 20.0,
    when: datetime = NOON,
    effects: CameraEffects = JPEG90,
    *,
    noise_seed: int = 1,
    rh: float = 0.8,
) -> npt.NDArray[np.uint8]:
    """A 1280×720 BGR frame of a simulated scene; read-only (shared between tests)."""
    scene = make_scene(camera_seed, 1280, 720)
    image = render_with_truth(scene, Conditions(pm25, rh, when, effects=effects), noise_seed).image
    image.setflags(write=False)
    return image
