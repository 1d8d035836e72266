"""The simulated roadside camera: public API of the scene simulator.

    scene = make_scene(camera_seed=3)                      # fixed street, real depth, cached
    frame = render_with_truth(scene, Conditions(pm25_ugm3=80, rh=0.7, when=dt), seed=1)
    cam = SyntheticCamera(camera_seed=3, city=CityPollution(seed=3))
    frame = cam.capture(datetime.now())                    # air from the city's series

The parts live in :mod:`pm25.sim` (scene building, lighting, camera, rendering); the physics in
:mod:`pm25.physics`; the equations and their sources in ``docs/physics.md``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np

from pm25.pollution import CityPollution
from pm25.sim.camera import CameraEffects
from pm25.sim.canvas import SKY_DEPTH_M
from pm25.sim.render import Conditions, RenderedFrame, render, render_with_truth
from pm25.sim.scene import Scene, make_scene

__all__ = [
    "SKY_DEPTH_M",
    "CameraEffects",
    "Conditions",
    "RenderedFrame",
    "Scene",
    "SyntheticCamera",
    "make_scene",
    "render",
    "render_with_truth",
]


class SyntheticCamera:
    """One simulated camera: a fixed scene watching a city's air; frames for any datetime.

    Deterministic: the same camera, city and time give the same frame (sensor noise is seeded
    from the camera seed and the timestamp).
    """

    def __init__(
        self,
        camera_seed: int,
        city: CityPollution | None = None,
        *,
        width: int = 1280,
        height: int = 720,
        effects: CameraEffects | None = None,
        latitude_deg: float = 35.0,
    ) -> None:
        self.camera_seed = camera_seed
        self.city = city or CityPollution(camera_seed)
        self.width, self.height = width, height
        self.effects = effects or CameraEffects(jpeg_quality=90)
        self.latitude_deg = latitude_deg

    @property
    def scene(self) -> Scene:
        return make_scene(self.camera_seed, self.width, self.height)

    def conditions_at(self, when: datetime) -> Conditions:
        """The air and light the camera sees at ``when`` (city's series, naive = local time)."""
        air = self.city.at(when)
        return Conditions(
            pm25_ugm3=air.pm25_ugm3,
            rh=air.rh,
            when=when,
            cloudiness=air.cloudiness,
            latitude_deg=self.latitude_deg,
            effects=self.effects,
        )

    def capture(self, when: datetime, effects: CameraEffects | None = None) -> RenderedFrame:
        """A frame at ``when`` with its truth; ``effects`` overrides the camera's (defects)."""
        conditions = self.conditions_at(when)
        if effects is not None:
            conditions = replace(conditions, effects=effects)
        # Seeded from the city's clock, not when.timestamp(): a naive datetime's timestamp
        # depends on the machine's timezone, which would break determinism across machines.
        seconds = round(self.city.local_hours(when) * 3600.0) % (1 << 62)
        rng = np.random.default_rng([self.camera_seed, seconds])
        return render_with_truth(self.scene, conditions, rng)
