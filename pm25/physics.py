"""Haze physics: how PM2.5 and humidity turn into extinction, transmission and visibility.

Pure, vectorised functions (numpy in, numpy out, no I/O). Units are in the names: ``pm25_ugm3``
(µg/m³), ``beta_per_m`` (extinction coefficient, 1/m), ``depth_m`` (metres), ``visibility_m``.
1 Mm⁻¹ = 1e-6 m⁻¹. Every constant, its range and its source is in ``docs/physics.md``.

The model (single scattering, homogeneous haze, Koschmieder 1924):

    I = J·t + A·(1 − t),   t = exp(−β·d)
    β = β_Rayleigh + MEE · f(RH) · PM2.5,   f(RH) = (1 − RH)^−γ
    V = −ln(ε)/β = 3.912/β   (ε = 2 % contrast threshold)

Haze is applied to *linear* light: scattering adds photons, so the blend I = J·t + A·(1 − t) is only
true for radiance, not for gamma-encoded sRGB values (blending sRGB would darken the veil).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from pm25.errors import Pm25Error

FloatArray = npt.NDArray[np.floating]
ArrayLike = float | npt.ArrayLike

UGM3_TO_GM3 = 1e-6
"""µg/m³ → g/m³; MEE [m²/g] × PM [g/m³] gives extinction in 1/m."""


class HazeInputError(Pm25Error, ValueError):
    """A physical quantity outside its valid domain (negative PM, RH outside 0..1, β ≤ 0)."""


@dataclass(frozen=True)
class HazeParams:
    """Constants of the haze model; defaults are mid-range literature values at 550 nm.

    rayleigh_per_m: molecular (clean-air) scattering at 550 nm, ≈ 11.6 Mm⁻¹ at sea level
        (range 10–12 Mm⁻¹ with altitude and temperature; Bucholtz 1995; IMPROVE uses 10 Mm⁻¹).
    mee_m2_per_g: dry mass extinction efficiency of PM2.5, 3.7 m²/g (range ≈ 3–5;
        Hand & Malm 2007, Malm & Hand 2007, IMPROVE network).
    hygroscopic_gamma: exponent of f(RH) = (1 − RH)^−γ, 0.4 (range 0.2–0.6 for urban
        aerosol; Kasten 1969 form, values from Kotchenruther et al. 1999 / Titos et al. 2016).
    rh_cap: RH is clipped here because f(RH) diverges at RH → 1; above ≈ 95 % droplets
        activate into fog, which this aerosol model does not describe.
    contrast_threshold: Koschmieder's ε, 0.02 (2 %) → V = 3.912/β (WMO uses 5 % for MOR).
    angstrom_exponent: wavelength dependence of aerosol extinction, β ∝ λ^−α, 1.3 for
        fine-mode urban aerosol (range 1–2; Ångström 1929, AERONET climatologies).
    wavelengths_nm: effective wavelengths of the R, G, B camera channels.
    """

    rayleigh_per_m: float = 11.6e-6
    mee_m2_per_g: float = 3.7
    hygroscopic_gamma: float = 0.4
    rh_cap: float = 0.95
    contrast_threshold: float = 0.02
    angstrom_exponent: float = 1.3
    wavelengths_nm: tuple[float, float, float] = (610.0, 550.0, 465.0)

    @property
    def koschmieder_constant(self) -> float:
        """−ln(ε): 3.912 for ε = 2 %."""
        return -math.log(self.contrast_threshold)


DEFAULT_PARAMS = HazeParams()
REFERENCE_WAVELENGTH_NM = 550.0


def _as_float(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def humidity_growth(rh: ArrayLike, params: HazeParams = DEFAULT_PARAMS) -> FloatArray:
    """Hygroscopic growth factor f(RH) = (1 − RH)^−γ, RH in 0..1 (clipped at ``rh_cap``).

    Water uptake swells soluble particles (sulphate, nitrate), so the same dry mass scatters more.
    """
    rh_arr = _as_float(rh)
    if np.any(rh_arr < 0.0) or np.any(rh_arr > 1.0):
        raise HazeInputError("relative humidity must be a fraction in 0..1")
    capped = np.minimum(rh_arr, params.rh_cap)
    return np.asarray((1.0 - capped) ** (-params.hygroscopic_gamma))


def extinction_coefficient(
    pm25_ugm3: ArrayLike, rh: ArrayLike = 0.0, params: HazeParams = DEFAULT_PARAMS
) -> FloatArray:
    """Extinction coefficient β [1/m] at 550 nm for a PM2.5 mass concentration and humidity."""
    pm = _as_float(pm25_ugm3)
    if np.any(pm < 0.0) or not np.all(np.isfinite(pm)):
        raise HazeInputError("PM2.5 concentration must be finite and non-negative")
    aerosol = params.mee_m2_per_g * humidity_growth(rh, params) * pm * UGM3_TO_GM3
    return np.asarray(params.rayleigh_per_m + aerosol)


def extinction_rgb(
    pm25_ugm3: float, rh: float = 0.0, params: HazeParams = DEFAULT_PARAMS
) -> FloatArray:
    """β per camera channel (R, G, B) [1/m]: Rayleigh ∝ λ⁻⁴, aerosol ∝ λ^−α (Ångström).

    Blue is attenuated more than red, which is why distant objects turn bluish in clean air and
    grey-white in haze (aerosol is less wavelength-selective than air molecules).
    """
    beta_550 = float(extinction_coefficient(pm25_ugm3, rh, params))
    aerosol_550 = beta_550 - params.rayleigh_per_m
    ratio = REFERENCE_WAVELENGTH_NM / np.asarray(params.wavelengths_nm)
    rayleigh = params.rayleigh_per_m * ratio**4
    return np.asarray(rayleigh + aerosol_550 * ratio**params.angstrom_exponent)


def transmission(beta_per_m: ArrayLike, depth_m: ArrayLike) -> FloatArray:
    """Beer–Lambert transmission t = exp(−β·d) along a horizontal path of length ``depth_m``."""
    beta = _as_float(beta_per_m)
    if np.any(beta <= 0.0):
        raise HazeInputError("extinction coefficient must be positive")
    return np.asarray(np.exp(-beta * _as_float(depth_m)))


def visibility_m(beta_per_m: ArrayLike, params: HazeParams = DEFAULT_PARAMS) -> FloatArray:
    """Koschmieder visual range V = −ln(ε)/β [m]: where a black target's contrast falls to ε."""
    beta = _as_float(beta_per_m)
    if np.any(beta <= 0.0):
        raise HazeInputError("extinction coefficient must be positive")
    return np.asarray(params.koschmieder_constant / beta)


def beta_from_visibility(visibility: ArrayLike, params: HazeParams = DEFAULT_PARAMS) -> FloatArray:
    """Inverse of :func:`visibility_m`."""
    return visibility_m(visibility, params)  # the relation β·V = const is its own inverse


def pm25_from_extinction(
    beta_per_m: ArrayLike, rh: ArrayLike = 0.0, params: HazeParams = DEFAULT_PARAMS
) -> FloatArray:
    """PM2.5 [µg/m³] that explains an extinction β at humidity RH (inverse of the forward model).

    β at or below the Rayleigh floor means no measurable aerosol and maps to 0.
    """
    beta = _as_float(beta_per_m)
    aerosol = np.maximum(beta - params.rayleigh_per_m, 0.0)
    return np.asarray(aerosol / (params.mee_m2_per_g * humidity_growth(rh, params) * UGM3_TO_GM3))


def apply_haze(
    clear_linear_rgb: FloatArray,
    depth_m: FloatArray,
    airlight_rgb: ArrayLike,
    beta_per_m: ArrayLike,
) -> FloatArray:
    """Koschmieder blend I = J·t + A·(1 − t) per pixel, in linear light.

    clear_linear_rgb: HxWx3 haze-free radiance J. depth_m: HxW distance per pixel.
    airlight_rgb: A, shape (3,). beta_per_m: scalar or per-channel (3,) extinction.
    """
    depth = np.ascontiguousarray(depth_m, dtype=np.float32)
    clear = np.ascontiguousarray(clear_linear_rgb, dtype=np.float32)
    if depth.ndim != 2 or clear.shape != (*depth.shape, 3):
        raise HazeInputError("expected clear image HxWx3 and depth HxW of the same size")
    beta = np.broadcast_to(np.asarray(beta_per_m, dtype=np.float32).reshape(-1), (3,))
    a = (*(float(v) for v in np.asarray(airlight_rgb, dtype=np.float64).reshape(3)), 0.0)
    # OpenCV per-channel ops: numpy broadcasting over a last axis of 3 is several times slower,
    # and a 1280x720 frame must render in tens of milliseconds.
    t = cv2.merge([cv2.exp(depth * -b) for b in beta])
    veiled = cv2.multiply(cv2.subtract(clear, a), t)  # type: ignore[call-overload]
    return np.asarray(cv2.add(veiled, a), dtype=np.float32)  # type: ignore[call-overload]


def srgb_to_linear(srgb: ArrayLike) -> FloatArray:
    """IEC 61966-2-1 sRGB decoding, values in 0..1."""
    s = _as_float(srgb)
    return np.asarray(np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4))


def linear_to_srgb(linear: ArrayLike) -> FloatArray:
    """IEC 61966-2-1 sRGB encoding, values clipped to 0..1."""
    x = np.clip(_as_float(linear), 0.0, 1.0)
    return np.asarray(np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055))


# --- the documentation table (docs/physics.md embeds its output; a test keeps them equal) ---

TABLE_PM25_UGM3: tuple[float, ...] = (5.0, 15.0, 35.0, 150.0)
TABLE_DISTANCES_M: tuple[float, ...] = (100.0, 1000.0, 10000.0)


def transmission_table_markdown(
    pm_values: Sequence[float] = TABLE_PM25_UGM3,
    distances_m: Sequence[float] = TABLE_DISTANCES_M,
    rh: float = 0.0,
    params: HazeParams = DEFAULT_PARAMS,
) -> str:
    """Markdown table of β, visibility and transmission at given distances for PM levels."""
    dist_cols = " | ".join(f"t @ {d / 1000:g} km" for d in distances_m)
    lines = [
        f"| PM2.5 µg/m³ | β Mm⁻¹ | visibility km | {dist_cols} |",
        "|" + "---|" * (3 + len(distances_m)),
    ]
    for pm in pm_values:
        beta = float(extinction_coefficient(pm, rh, params))
        ts = " | ".join(f"{float(transmission(beta, d)):.3f}" for d in distances_m)
        vis = float(visibility_m(beta, params)) / 1000
        lines.append(f"| {pm:g} | {beta * 1e6:.1f} | {vis:.1f} | {ts} |")
    return "\n".join(lines)


if __name__ == "__main__":  # regenerate the tables for docs/physics.md
    print(transmission_table_markdown(rh=0.0))
    print()
    print(transmission_table_markdown(rh=0.8))
