"""The synthetic camera: each simulated unit sees its own street and its own PM2.5 series."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from edge_agent.capture.base import Frame
from edge_agent.capture.config import SyntheticSource
from pm25.pollution import CLEAN_CITY, HUMID_CITY, CityPollution, CityProfile
from pm25.scene import CameraEffects, SyntheticCamera

PROFILES: dict[str, CityProfile] = {
    "default": CityProfile(),
    "humid": HUMID_CITY,
    "clean": CLEAN_CITY,
}


class SyntheticSourceCamera:
    """Renders the scene at simulated time start + speedup × elapsed real time (UTC)."""

    def __init__(self, config: SyntheticSource, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._start = clock()
        seed = config.camera_seed if config.pollution_seed is None else config.pollution_seed
        self._camera = SyntheticCamera(
            config.camera_seed,
            CityPollution(seed, PROFILES[config.profile]),
            width=config.width,
            height=config.height,
            effects=CameraEffects(jpeg_quality=config.jpeg_quality),
        )

    def open(self) -> None:
        """Nothing to acquire; the scene is built (and cached) on first read."""

    def simulated_time(self) -> datetime:
        """The moment the simulated camera is looking at."""
        elapsed = (self._clock() - self._start) * self.config.speedup
        return datetime.fromtimestamp(self._start, UTC) + timedelta(seconds=elapsed)

    def read(self) -> Frame:
        when = self.simulated_time()
        shot = self._camera.capture(when)
        return Frame(
            image=shot.image,
            captured_at=when,
            source=self.describe(),
            truth={"pm25": shot.pm25_ugm3, "rh": shot.rh},
        )

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        c = self.config
        return f"synthetic camera_seed={c.camera_seed} {c.width}x{c.height} ×{c.speedup:g}"
