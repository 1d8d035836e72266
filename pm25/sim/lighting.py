"""Sun, sky and street lights: how much light falls on the scene and what colour the haze veil has.

Simple closed-form models, good to tens of percent, which is all a camera with auto-exposure needs:
solar elevation from the standard declination / hour-angle formula (Cooper 1969), global irradiance
∝ sin(elevation)^1.15 with a twilight tail down to −6° (civil twilight), cloud attenuation
1 − 0.75·c^3.4 (Kasten & Czeplak 1980), and sunlight colour from Rayleigh optical depth along the
air mass (Kasten & Young 1989), which makes dawn and dusk warm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pm25.physics import DEFAULT_PARAMS, REFERENCE_WAVELENGTH_NM, HazeParams

FloatArray = npt.NDArray[np.floating]

# Rayleigh optical depth of the atmosphere, τ(λ) = 0.0088·λ[µm]^−4.05 (Hansen & Travis 1974).
_RAYLEIGH_TAU_COEF = 0.0088
# Aerosol optical depth of a typical polluted boundary layer column at 550 nm, per µg/m³ of surface
# PM2.5 (mixing height ≈ 1 km × MEE 3.7 m²/g ≈ 0.004); reddens and dims the sun on haze days.
_AOD_PER_UGM3 = 0.004
NIGHT_AMBIENT = 0.0015  # moon/sky-glow relative to noon; cameras at night see mostly street lights
SKY_GLOW_RGB = np.array([1.0, 0.85, 0.7])
LAMP_RGB = np.array([1.0, 0.72, 0.38], dtype=np.float32)  # high-pressure sodium: orange


@dataclass(frozen=True)
class Lighting:
    """Illumination of one frame, linear RGB, noon sun ≈ 1.0.

    sun_elevation_deg: solar elevation. irradiance_rgb: light falling on surfaces (sun + sky).
    airlight_rgb: the haze veil colour A that an infinitely long path saturates to.
    lamps: 0..1 street-light intensity (on when the sun is below ≈ 2°).
    """

    sun_elevation_deg: float
    irradiance_rgb: FloatArray
    airlight_rgb: FloatArray
    lamps: float


def solar_elevation_deg(hour_local: float, day_of_year: int, latitude_deg: float) -> float:
    """Solar elevation [deg] at local solar time ``hour_local`` (0..24) on a day of the year."""
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + day_of_year) / 365.0)
    hour_angle = math.radians(15.0 * (hour_local - 12.0))
    lat = math.radians(latitude_deg)
    sin_el = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_el))))


def _air_mass(elevation_deg: float) -> float:
    """Kasten & Young 1989 relative optical air mass (finite at the horizon)."""
    el = max(elevation_deg, 0.0)
    return float(1.0 / (math.sin(math.radians(el)) + 0.50572 * (el + 6.07995) ** -1.6364))


def _sun_colour(elevation_deg: float, pm25_ugm3: float, params: HazeParams) -> FloatArray:
    """Relative spectral transmission of the direct sun through the air, normalised to green."""
    lam_um = np.asarray(params.wavelengths_nm) / 1000.0
    tau = _RAYLEIGH_TAU_COEF * lam_um**-4.05
    ratio = REFERENCE_WAVELENGTH_NM / np.asarray(params.wavelengths_nm)
    tau = tau + _AOD_PER_UGM3 * pm25_ugm3 * ratio**params.angstrom_exponent
    trans = np.exp(-tau * _air_mass(elevation_deg))
    # Skylight fills in blue, so surfaces never get the full reddening of the direct beam.
    colour = 0.75 * trans / trans[1] + 0.25 * np.array([0.85, 1.0, 1.25])
    return np.asarray(colour / colour[1])


def daylight(elevation_deg: float, cloudiness: float) -> float:
    """Global irradiance relative to a clear noon with the sun at zenith."""
    if elevation_deg > 0.0:
        level = math.sin(math.radians(elevation_deg)) ** 1.15
        level = max(level, 0.02)  # low sun: the twilight sky dominates (continuous at 0°)
    else:
        level = 0.02 * math.exp(elevation_deg / 1.2)  # fades ~3 decades by civil dusk (−6°)
    return float(level * (1.0 - 0.75 * min(max(cloudiness, 0.0), 1.0) ** 3.4))


def compute_lighting(
    *,
    hour_local: float,
    day_of_year: int,
    latitude_deg: float,
    cloudiness: float,
    pm25_ugm3: float,
    params: HazeParams = DEFAULT_PARAMS,
) -> Lighting:
    """Illumination and airlight for a time, place and sky state."""
    elev = solar_elevation_deg(hour_local, day_of_year, latitude_deg)
    colour = _sun_colour(elev, pm25_ugm3, params)
    grey = min(max(cloudiness, 0.0), 1.0)
    colour = (1.0 - 0.7 * grey) * colour + 0.7 * grey  # overcast light is neutral
    # Below the horizon the sun's colour means nothing; the floor is urban sky glow (orange-grey).
    irradiance = (daylight(elev, cloudiness) * colour + NIGHT_AMBIENT * SKY_GLOW_RGB).astype(
        np.float32
    )
    # Airlight A: sunlight scattered into the line of sight, the colour of the illumination (the
    # blue of clean air comes from the per-channel β, not from A). Slightly brighter than a
    # mid-grey surface, as the horizon sky is in photos.
    airlight = (0.8 * irradiance).astype(np.float32)
    lamps = float(np.clip((2.0 - elev) / 4.0, 0.0, 1.0))
    return Lighting(elev, irradiance, airlight, lamps)
