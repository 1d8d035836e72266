"""Render a frame of a scene under given air, light and camera conditions, with its ground truth.

Order follows the photons: illumination → surface radiance J → haze along each pixel's depth
(Koschmieder, per colour channel) → sky haze by air mass → lens defects → auto-exposure → sensor
noise → sRGB 8-bit → camera pose → JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np

from pm25.physics import (
    DEFAULT_PARAMS,
    REFERENCE_WAVELENGTH_NM,
    HazeInputError,
    HazeParams,
    apply_haze,
    extinction_coefficient,
    extinction_rgb,
    visibility_m,
)
from pm25.sim.camera import (
    U8,
    CameraEffects,
    apply_lens_defects,
    apply_pose_and_codec,
    encode_bgr,
    expose,
    exposure_gain,
)
from pm25.sim.canvas import F32
from pm25.sim.lighting import LAMP_RGB, Lighting, compute_lighting
from pm25.sim.scene import Scene

RAYLEIGH_SCALE_HEIGHT_M = 8000.0  # molecular atmosphere (US Standard Atmosphere)
AEROSOL_SCALE_HEIGHT_M = 1500.0  # polluted boundary layer, typical daytime mixing height


@dataclass(frozen=True)
class Conditions:
    """The state of air, sky and camera for one frame.

    pm25_ugm3: PM2.5 mass concentration. rh: relative humidity 0..1. when: local solar time
    (naive datetime; an aware one is used by its own wall clock). cloudiness: 0 clear .. 1 overcast.
    """

    pm25_ugm3: float
    rh: float = 0.5
    when: datetime = datetime(2024, 6, 21, 12, 0)
    cloudiness: float = 0.0
    latitude_deg: float = 35.0
    effects: CameraEffects = field(default_factory=CameraEffects)
    params: HazeParams = DEFAULT_PARAMS

    def __post_init__(self) -> None:
        if not (np.isfinite(self.pm25_ugm3) and self.pm25_ugm3 >= 0.0):
            raise HazeInputError(f"pm25_ugm3 must be finite and >= 0, got {self.pm25_ugm3}")
        if not 0.0 <= self.rh <= 1.0:
            raise HazeInputError(f"rh must be a fraction in 0..1, got {self.rh}")
        if not 0.0 <= self.cloudiness <= 1.0:
            raise HazeInputError(f"cloudiness must be in 0..1, got {self.cloudiness}")

    @property
    def hour_local(self) -> float:
        return self.when.hour + self.when.minute / 60.0 + self.when.second / 3600.0

    @property
    def day_of_year(self) -> int:
        return self.when.timetuple().tm_yday


@dataclass(frozen=True)
class RenderedFrame:
    """A frame and the truth behind it (what a reference monitor and a visibility meter say)."""

    image: U8  # HxWx3 BGR uint8, what cv2.imread of the camera's JPEG gives
    pm25_ugm3: float
    rh: float
    beta_per_m: float  # extinction at 550 nm
    visibility_m: float
    mean_transmission_roi: float  # over the non-sky pixels of the scene's ROI, 550 nm
    roi: tuple[int, int, int, int]
    sun_elevation_deg: float
    exposure_gain: float
    when: datetime
    camera_seed: int


def _surface_radiance(scene: Scene, light: Lighting) -> F32:
    """J: albedo × (daylight + street lights) + emitters (lamp heads, lit windows at night)."""
    radiance = cv2.multiply(scene.albedo, _scalar(light.irradiance_rgb))  # type: ignore[call-overload]
    if light.lamps > 0.0:
        lamp_rgb = LAMP_RGB * np.float32(light.lamps * 0.08)
        lamp = cv2.merge([scene.lamp_light * c for c in lamp_rgb])
        radiance += cv2.multiply(scene.albedo, lamp)
        radiance += cv2.merge([scene.emission * c for c in lamp_rgb])
    return np.asarray(radiance, np.float32)


def _scalar(rgb: F32) -> tuple[float, float, float, float]:
    """An OpenCV per-channel scalar (fast per-channel arithmetic, unlike numpy broadcasting)."""
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]), 0.0)


def _sky(scene: Scene, hazy: F32, airlight: F32, beta_rgb: F32, params: HazeParams) -> None:
    """Sky radiance A·(1 − exp(−τ)) with τ from the two layers' scale heights × air mass.

    Clean air gives a blue sky that whitens toward the horizon; aerosol whitens all of it.
    """
    ratio = REFERENCE_WAVELENGTH_NM / np.asarray(params.wavelengths_nm)
    rayleigh = params.rayleigh_per_m * ratio**4
    column = rayleigh * RAYLEIGH_SCALE_HEIGHT_M + (beta_rgb - rayleigh) * AEROSOL_SCALE_HEIGHT_M
    tau = scene.sky_air_mass[:, None] * column.astype(np.float32)[None, :]
    flat = hazy.reshape(-1, 3)  # a view: writes land in ``hazy``
    flat[scene.sky_index] = airlight * (1.0 - np.exp(-tau))


def render_with_truth(
    scene: Scene, conditions: Conditions, seed: int | np.random.Generator = 0
) -> RenderedFrame:
    """Render one frame of ``scene`` under ``conditions``; ``seed`` drives the sensor noise only."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    c, fx, params = conditions, conditions.effects, conditions.params
    light = compute_lighting(
        hour_local=c.hour_local,
        day_of_year=c.day_of_year,
        latitude_deg=c.latitude_deg,
        cloudiness=c.cloudiness,
        pm25_ugm3=c.pm25_ugm3,
        params=params,
    )
    beta_rgb = extinction_rgb(c.pm25_ugm3, c.rh, params).astype(np.float32)
    hazy = apply_haze(_surface_radiance(scene, light), scene.depth_m, light.airlight_rgb, beta_rgb)
    _sky(scene, hazy, light.airlight_rgb, beta_rgb, params)
    radiance = apply_lens_defects(hazy, fx)
    gain = exposure_gain(radiance, fx)
    image = apply_pose_and_codec(encode_bgr(expose(radiance, gain, fx, rng)), fx)

    beta = float(extinction_coefficient(c.pm25_ugm3, c.rh, params))
    x, y, w, h = scene.roi
    roi_depth = scene.depth_m[y : y + h, x : x + w][~scene.sky_mask[y : y + h, x : x + w]]
    mean_t = float(np.exp(-beta * roi_depth.astype(np.float64)).mean()) if roi_depth.size else 0.0
    return RenderedFrame(
        image=image,
        pm25_ugm3=c.pm25_ugm3,
        rh=c.rh,
        beta_per_m=beta,
        visibility_m=float(visibility_m(beta, params)),
        mean_transmission_roi=mean_t,
        roi=scene.roi,
        sun_elevation_deg=light.sun_elevation_deg,
        exposure_gain=gain,
        when=c.when,
        camera_seed=scene.camera_seed,
    )


def render(scene: Scene, conditions: Conditions, seed: int | np.random.Generator = 0) -> U8:
    """Only the BGR uint8 image of :func:`render_with_truth`."""
    return render_with_truth(scene, conditions, seed).image
