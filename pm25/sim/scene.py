"""Procedural roadside scenes with real depth, one fixed scene per simulated camera.

``make_scene(camera_seed)`` always returns the same street for the same seed (layout, colours,
textures); different seeds give different streets, from closed urban canyons (farthest surface a
few hundred metres away) to open views with hill ridges 5–15 km away. Scenes are cached and
read-only, so a synthetic camera can render thousands of frames from one build.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from pm25.sim.canvas import F32, SKY_DEPTH_M, Canvas, PinholeCamera
from pm25.sim.objects import (
    paint_front_facade,
    paint_ground,
    paint_lamp,
    paint_ridge,
    paint_side_facade,
    paint_tree,
)

SceneKind = Literal["canyon", "open"]
MIN_SKY_ELEVATION_DEG = 1.5  # keeps the sky air mass finite right at the horizon


@dataclass(frozen=True)
class Scene:
    """What one fixed camera looks at, before light and haze.

    albedo: HxWx3 float32 linear RGB reflectance. depth_m: HxW float32 distance along the view
    (sky = SKY_DEPTH_M). sky_mask: HxW bool. sky_index: flat indices of the sky pixels (row-major)
    and sky_air_mass: 1/sin(elevation) of each of them, for the sky's own haze. lamp_light: HxW
    street-light irradiance at night. emission: HxW lamp heads
    and lit windows. roi: suggested (x, y, width, height) around the far field and horizon.
    """

    camera_seed: int
    kind: SceneKind
    albedo: F32
    depth_m: F32
    sky_mask: npt.NDArray[np.bool_]
    sky_index: npt.NDArray[np.intp]
    sky_air_mass: F32
    lamp_light: F32
    emission: F32
    roi: tuple[int, int, int, int]
    horizon_y: float
    farthest_surface_m: float

    @property
    def width(self) -> int:
        return int(self.depth_m.shape[1])

    @property
    def height(self) -> int:
        return int(self.depth_m.shape[0])


def _camera(rng: np.random.Generator, width: int, height: int) -> PinholeCamera:
    hfov = np.radians(rng.uniform(55.0, 80.0))
    return PinholeCamera(
        width=width,
        height=height,
        focal_px=float(width / 2 / np.tan(hfov / 2)),
        height_m=float(rng.uniform(4.0, 9.0)),
        horizon_y=float(height * rng.uniform(0.33, 0.47)),
        vp_x=float(width * rng.uniform(0.38, 0.62)),
    )


def _roadside(
    canvas: Canvas, cam: PinholeCamera, rng: np.random.Generator, road_half: float, end_m: float
) -> list[tuple[float, float]]:
    """Buildings, trees and lamps along both sides up to ``end_m``; returns lamp positions."""
    for side in (-1.0, 1.0):
        x = side * (road_half + 3.0 + rng.uniform(0.0, 4.0))
        d = float(rng.uniform(6.0, 20.0))
        while d < end_m:
            length = float(rng.uniform(12.0, 45.0))
            if rng.random() < 0.85:  # some lots are empty
                height = float(rng.uniform(6.0, 45.0))
                paint_side_facade(
                    canvas, cam, rng, x_m=x, d0=d, d1=min(d + length, end_m), height_m=height
                )
            d += length + float(rng.uniform(0.0, 10.0))
    for _ in range(int(rng.integers(4, 22))):
        side = 1.0 if rng.random() < 0.5 else -1.0
        d = float(rng.uniform(8.0, min(end_m, 300.0)))
        paint_tree(canvas, cam, rng, side * (road_half + 1.5 + rng.uniform(0.0, 1.0)), d)
    lamps = []
    spacing = float(rng.uniform(25.0, 40.0))
    for i, d in enumerate(np.arange(rng.uniform(8.0, 20.0), min(end_m, 300.0), spacing)):
        x = (road_half + 0.5) * (1.0 if i % 2 else -1.0)
        paint_lamp(canvas, cam, x, float(d))
        lamps.append((x, float(d)))
    return lamps


def _lamp_light(
    canvas: Canvas, dist: F32, lateral: F32, row0: int, lamps: list[tuple[float, float]]
) -> F32:
    """Street-light pools on the visible ground, computed at 1/4 resolution (it is smooth)."""
    light = np.zeros_like(canvas.depth)
    d4, x4 = dist[::4], lateral[::4, ::4]
    pools = np.zeros(x4.shape, np.float32)
    for x, d in lamps:
        pools += np.exp(-((x4 - 0.6 * x) ** 2 + (d4 - d) ** 2) / (2 * 9.0**2)).astype(np.float32)
    full = cv2.resize(pools, (canvas.width, canvas.height - row0), interpolation=cv2.INTER_LINEAR)
    visible = np.abs(canvas.depth[row0:] - dist) <= 1e-3 * dist  # ground not hidden by objects
    light[row0:] = np.where(visible, np.minimum(full, 1.5), 0.0)
    return light


def _build(camera_seed: int, width: int, height: int) -> Scene:
    rng = np.random.default_rng([camera_seed, 0x5CE7E])
    cam = _camera(rng, width, height)
    canvas = Canvas(width, height)
    kind: SceneKind = "canyon" if rng.random() < 0.35 else "open"
    road_half = float(rng.uniform(3.5, 10.0))
    if kind == "canyon":
        end_m = float(rng.uniform(120.0, 450.0))
        wall_h = float(rng.uniform(15, 60))
        paint_front_facade(canvas, cam, rng, x0_m=-2000.0, x1_m=2000.0, d=end_m, height_m=wall_h)
        ground_far = end_m
    else:
        end_m = float(rng.uniform(120.0, 900.0))
        ground_far = 30_000.0
        near_ridge = float(rng.uniform(4000.0, 9000.0))
        if rng.random() < 0.85:  # some cities are on a plain: the horizon is the far target
            paint_ridge(canvas, cam, rng, near_ridge, float(rng.uniform(60.0, 350.0)))
            far = float(rng.uniform(max(near_ridge * 1.3, 7000.0), 15_000.0))
            paint_ridge(canvas, cam, rng, far, float(rng.uniform(250.0, 900.0)))
        for _ in range(int(rng.integers(4, 18))):  # distant skyline, 1.2–4 km
            d = float(rng.uniform(1200.0, 4000.0))
            x = float(rng.uniform(-0.6, 0.6)) * d
            x1, tower_h = x + float(rng.uniform(20, 70)), float(rng.uniform(30, 160))
            paint_front_facade(canvas, cam, rng, x0_m=x, x1_m=x1, d=d, height_m=tower_h)
    dist, lateral, row0 = paint_ground(canvas, cam, rng, ground_far, road_half)
    lamps = _roadside(canvas, cam, rng, road_half, end_m)

    sky = canvas.depth >= SKY_DEPTH_M
    rows = np.arange(height, dtype=np.float32)[:, None] + 0.5
    elev = np.maximum(np.arctan((cam.horizon_y - rows) / cam.focal_px), 0.0)
    elev = np.maximum(elev, np.radians(MIN_SKY_ELEVATION_DEG))
    air_mass = np.broadcast_to(1.0 / np.sin(elev), sky.shape).astype(np.float32)
    sky_index = np.flatnonzero(sky)
    roi_w, roi_h = int(width * 0.4), int(height * 0.3)
    roi_x = int(np.clip(cam.vp_x - roi_w / 2, 0, width - roi_w))
    roi_y = int(np.clip(cam.horizon_y - roi_h * 0.6, 0, height - roi_h))
    scene = Scene(
        camera_seed=camera_seed,
        kind=kind,
        albedo=canvas.albedo,
        depth_m=canvas.depth,
        sky_mask=sky,
        sky_index=sky_index,
        sky_air_mass=air_mass.reshape(-1)[sky_index],
        lamp_light=_lamp_light(canvas, dist, lateral, row0, lamps),
        emission=canvas.emission,
        roi=(roi_x, roi_y, roi_w, roi_h),
        horizon_y=cam.horizon_y,
        farthest_surface_m=float(np.max(canvas.depth[~sky])),
    )
    for arr in (scene.albedo, scene.depth_m, scene.sky_mask, scene.sky_index, scene.sky_air_mass):
        arr.setflags(write=False)  # shared through the cache: nobody may modify it
    scene.lamp_light.setflags(write=False)
    scene.emission.setflags(write=False)
    return scene


@lru_cache(maxsize=4)
def make_scene(camera_seed: int, width: int = 1280, height: int = 720) -> Scene:
    """The scene of simulated camera ``camera_seed`` (deterministic, cached, read-only)."""
    return _build(camera_seed, width, height)
