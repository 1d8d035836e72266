"""The synthetic camera: each simulated unit sees its own street and its own PM2.5 series."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from edge_agent.capture.base import Frame
from edge_agent.capture.config import SyntheticSource
from pm25.pollution import CLEAN_CITY, HUMID_CITY, CityPollution, CityProfile
from pm25.scene import CameraEffects, SyntheticCamera

DAYLIGHT_START_H = 9.0
DAYLIGHT_HOURS = 6.0


def daylight_time(when: datetime) -> datetime:
    """The scene time of ``when`` under ``clock: daylight``: its UTC day mapped onto 09:00-15:00.

    Continuous within a day and monotonic, so the city's series still evolves (4x slower); readings
    keep ``when`` as their timestamp, only the rendered light and air come from the mapped time.
    """
    utc = when.astimezone(UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    fraction = (utc - midnight) / timedelta(days=1)
    return midnight + timedelta(hours=DAYLIGHT_START_H + DAYLIGHT_HOURS * fraction)


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

    def scene_time(self, when: datetime) -> datetime:
        """The time the scene is rendered at: ``when`` itself, or its daylight mapping."""
        return daylight_time(when) if self.config.clock == "daylight" else when

    def read(self) -> Frame:
        when = self.simulated_time()
        shot = self._camera.capture(self.scene_time(when))
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
        clock = " daylight" if c.clock == "daylight" else ""
        return f"synthetic camera_seed={c.camera_seed} {c.width}x{c.height} ×{c.speedup:g}{clock}"
