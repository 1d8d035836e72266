"""PM2.5 → US EPA Air Quality Index (2024 breakpoints) and WHO 2021 guideline values.

The EPA procedure: truncate the 24-hour concentration to 0.1 µg/m³, find the band whose
[C_lo, C_hi] contains it, interpolate linearly to [I_lo, I_hi], round to the nearest integer.

Decision above the scale: concentrations above 325.4 µg/m³ are clamped to AQI 500. The EPA
defines the index only up to 500 ("beyond the AQI" above it), so extrapolating the last band
would invent numbers no public display understands; the category stays HAZARDOUS, and the raw
concentration is always reported next to the index anyway.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Final, NamedTuple

from pm25.errors import Pm25Error

__all__ = [
    "AQI_MAX",
    "BREAKPOINTS",
    "WHO_2021_24H",
    "WHO_2021_ANNUAL",
    "WHO_2021_INTERIM_24H",
    "WHO_2021_INTERIM_ANNUAL",
    "AqiCategory",
    "AqiError",
    "Breakpoint",
    "aqi",
    "category",
]


class AqiError(Pm25Error, ValueError):
    """A concentration that has no AQI: negative, NaN or infinite."""


class AqiCategory(IntEnum):
    """The six EPA AQI categories, ordered from cleanest to worst."""

    GOOD = 0
    MODERATE = 1
    UNHEALTHY_SENSITIVE = 2
    UNHEALTHY = 3
    VERY_UNHEALTHY = 4
    HAZARDOUS = 5

    @property
    def label(self) -> str:
        """The EPA's human-readable name of the category."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """The EPA's standard colour of the category as "#RRGGBB"."""
        return _COLOURS[self]


_LABELS: Final[dict[AqiCategory, str]] = {
    AqiCategory.GOOD: "Good",
    AqiCategory.MODERATE: "Moderate",
    AqiCategory.UNHEALTHY_SENSITIVE: "Unhealthy for Sensitive Groups",
    AqiCategory.UNHEALTHY: "Unhealthy",
    AqiCategory.VERY_UNHEALTHY: "Very Unhealthy",
    AqiCategory.HAZARDOUS: "Hazardous",
}

# EPA Technical Assistance Document for the Reporting of Daily Air Quality (2024), RGB values.
_COLOURS: Final[dict[AqiCategory, str]] = {
    AqiCategory.GOOD: "#00E400",
    AqiCategory.MODERATE: "#FFFF00",
    AqiCategory.UNHEALTHY_SENSITIVE: "#FF7E00",
    AqiCategory.UNHEALTHY: "#FF0000",
    AqiCategory.VERY_UNHEALTHY: "#8F3F97",
    AqiCategory.HAZARDOUS: "#7E0023",
}


class Breakpoint(NamedTuple):
    """One AQI band; concentrations in tenths of µg/m³ so lookups are exact integer arithmetic."""

    c_lo_tenths: int
    c_hi_tenths: int
    i_lo: int
    i_hi: int
    category: AqiCategory


# US EPA PM2.5 breakpoints, final rule of 7 February 2024 (89 FR 16202).
BREAKPOINTS: Final[tuple[Breakpoint, ...]] = (
    Breakpoint(0, 90, 0, 50, AqiCategory.GOOD),
    Breakpoint(91, 354, 51, 100, AqiCategory.MODERATE),
    Breakpoint(355, 554, 101, 150, AqiCategory.UNHEALTHY_SENSITIVE),
    Breakpoint(555, 1254, 151, 200, AqiCategory.UNHEALTHY),
    Breakpoint(1255, 2254, 201, 300, AqiCategory.VERY_UNHEALTHY),
    Breakpoint(2255, 3254, 301, 500, AqiCategory.HAZARDOUS),
)
AQI_MAX: Final = 500

# WHO global air quality guidelines 2021, PM2.5 in µg/m³.
WHO_2021_ANNUAL: Final = 5.0
WHO_2021_24H: Final = 15.0
WHO_2021_INTERIM_ANNUAL: Final[dict[str, float]] = {
    "IT-1": 35.0,
    "IT-2": 25.0,
    "IT-3": 15.0,
    "IT-4": 10.0,
}
WHO_2021_INTERIM_24H: Final[dict[str, float]] = {
    "IT-1": 75.0,
    "IT-2": 50.0,
    "IT-3": 37.5,
    "IT-4": 25.0,
}


def _tenths(pm25_ugm3: float) -> int:
    """Truncate a concentration to whole tenths of µg/m³, rejecting values with no AQI."""
    value = float(pm25_ugm3)
    if not math.isfinite(value) or value < 0.0:
        raise AqiError(f"PM2.5 must be a finite, non-negative concentration, got {pm25_ugm3!r}")
    # The small epsilon undoes binary representation error (9.1 * 10 == 90.99999...), which
    # would otherwise truncate a concentration written as 9.1 into the band below.
    return math.floor(value * 10.0 + 1e-9)


def _band(tenths: int) -> Breakpoint:
    """The band holding a truncated concentration; the last band for anything above the scale."""
    for band in BREAKPOINTS:
        if tenths <= band.c_hi_tenths:
            return band
    return BREAKPOINTS[-1]


def aqi(pm25_ugm3: float) -> int:
    """The US EPA AQI (0..500) of a 24-hour PM2.5 concentration in µg/m³.

    Raises AqiError for negative, NaN or infinite input. Above 325.4 µg/m³ the index is 500.
    """
    tenths = _tenths(pm25_ugm3)
    band = _band(tenths)
    if tenths > band.c_hi_tenths:
        return AQI_MAX
    slope = (band.i_hi - band.i_lo) / (band.c_hi_tenths - band.c_lo_tenths)
    # Round half up, as the EPA does, rather than Python's round-half-to-even.
    return math.floor(band.i_lo + slope * (tenths - band.c_lo_tenths) + 0.5)


def category(pm25_ugm3: float) -> AqiCategory:
    """The EPA AQI category of a PM2.5 concentration in µg/m³ (same rules as `aqi`)."""
    return _band(_tenths(pm25_ugm3)).category
