"""Synthetic PM2.5 and humidity for a city, evaluated deterministically at any time.

``CityPollution(seed).at(when)`` gives the same value for the same seed and time, in any order
and on any machine, so a synthetic camera can ask for "now" and training can ask for a year.
It is built from smooth pieces (no white-noise jumps):

* a seasonal baseline (winter heating and low mixing heights → higher),
* diurnal traffic peaks (~08 h and ~19 h) and an afternoon dip (deep mixed layer),
* day-to-day ventilation as smooth log-normal weather noise (clean days after fronts),
* stagnation episodes of 1–4 days building up to 100–300 µg/m³ and cleared sharply,
* temperature with seasonal and diurnal cycles, and a slowly varying dew point, from which
  relative humidity follows by the Magnus formula (so RH is high at night and anticorrelated
  with temperature, as measured).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_EPOCH = np.datetime64("2000-01-01T00:00:00", "s")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MAGNUS_A, _MAGNUS_B = 17.625, 243.04  # Alduchov & Eskridge 1996


@dataclass(frozen=True)
class CityProfile:
    """What kind of city: pollution level, episode frequency, climate.

    baseline_ugm3: annual typical background (before episodes). seasonal_amplitude: fraction by
    which winter exceeds the mean. diurnal_amplitude: strength of the traffic peaks.
    weather_sigma: log-normal spread of day-to-day ventilation. episodes_per_year: stagnation
    events. dewpoint_depression_c: mean temperature minus dew point (small → humid city).
    utc_offset_hours: used to turn timezone-aware datetimes into the city's local clock.
    """

    baseline_ugm3: float = 18.0
    seasonal_amplitude: float = 0.45
    winter_peak_day: int = 15
    diurnal_amplitude: float = 0.35
    weather_sigma: float = 0.55
    episodes_per_year: float = 9.0
    episode_peak_ugm3: tuple[float, float] = (100.0, 300.0)
    episode_days: tuple[float, float] = (1.0, 4.0)
    mean_temperature_c: float = 15.0
    seasonal_temperature_c: float = 10.0
    diurnal_temperature_c: float = 5.0
    dewpoint_depression_c: float = 6.0
    utc_offset_hours: float = 0.0


HUMID_CITY = CityProfile(dewpoint_depression_c=2.5, mean_temperature_c=24.0, baseline_ugm3=22.0)
CLEAN_CITY = CityProfile(baseline_ugm3=7.0, episodes_per_year=1.0, episode_peak_ugm3=(40.0, 90.0))


@dataclass(frozen=True)
class PollutionSample:
    """The air at one moment: PM2.5 [µg/m³], RH [0..1], temperature [°C], cloudiness [0..1]."""

    pm25_ugm3: float
    rh: float
    temperature_c: float
    cloudiness: float


def _uniform(seed: int, stream: int, k: npt.NDArray[np.int64]) -> FloatArray:
    """Uniform [0, 1) from a splitmix64 hash of (seed, stream, k): order-free determinism."""
    with np.errstate(over="ignore"):
        x = np.uint64(seed * 0x9E3779B1 + stream * 0x85EBCA77) ^ k.astype(np.uint64)
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / float(1 << 53))


def _smooth_noise(seed: int, stream: int, hours: FloatArray, knot_h: float) -> FloatArray:
    """Unit-variance-ish noise, smooth (C¹) between knots ``knot_h`` hours apart."""
    pos = hours / knot_h
    k = np.floor(pos).astype(np.int64)
    frac = pos - k

    def knot(i: npt.NDArray[np.int64]) -> FloatArray:
        # Sum of three uniforms: a cheap bell shape, scaled to unit variance.
        total = sum(_uniform(seed, stream * 3 + j, i) for j in range(3))
        return np.asarray((total - 1.5) * 2.0)

    w = frac * frac * (3.0 - 2.0 * frac)  # smoothstep
    return np.asarray(knot(k) * (1.0 - w) + knot(k + 1) * w)


def _bump(x: FloatArray, centre: float, width: float) -> FloatArray:
    """Gaussian bump on the 24 h circle."""
    d = (x - centre + 12.0) % 24.0 - 12.0
    return np.asarray(np.exp(-0.5 * (d / width) ** 2))


class CityPollution:
    """Deterministic PM2.5 / RH / weather for one city (``seed``) of a given ``profile``."""

    def __init__(self, seed: int, profile: CityProfile | None = None) -> None:
        self.seed = int(seed)
        self.profile = profile or CityProfile()

    def local_hours(self, when: datetime) -> float:
        """Hours since 2000-01-01 on the city's local clock (aware datetimes are converted)."""
        if when.tzinfo is not None:
            utc = when.astimezone(UTC).replace(tzinfo=None)
            when = utc + timedelta(hours=self.profile.utc_offset_hours)
        return (np.datetime64(when, "us") - _EPOCH) / np.timedelta64(3600, "s")

    def at(self, when: datetime) -> PollutionSample:
        """The air over the city at ``when``."""
        pm, rh, temp, cloud = self.evaluate(np.array([self.local_hours(when)]))
        return PollutionSample(float(pm[0]), float(rh[0]), float(temp[0]), float(cloud[0]))

    def evaluate(self, hours: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Vectorised (pm25_ugm3, rh, temperature_c, cloudiness) at local hours since 2000."""
        p, s = self.profile, self.seed
        hours = np.asarray(hours, np.float64)
        hod, doy = hours % 24.0, (hours / 24.0) % 365.2425
        season = np.cos(2 * np.pi * (doy - p.winter_peak_day) / 365.2425)  # +1 in mid-winter
        diurnal = (
            1.0
            + p.diurnal_amplitude * (_bump(hod, 8.0, 1.5) + 0.8 * _bump(hod, 19.0, 2.0))
            - 0.3 * p.diurnal_amplitude * _bump(hod, 14.5, 3.0)
        )
        sigma = p.weather_sigma
        weather = np.exp(sigma * _smooth_noise(s, 1, hours, 24.0) - 0.5 * sigma**2)
        fine = 1.0 + 0.08 * _smooth_noise(s, 2, hours, 2.0)
        base = p.baseline_ugm3 * (1.0 + p.seasonal_amplitude * season) * diurnal * weather * fine
        episode = self._episodes(hours)
        pm = base * (1.0 - episode[1]) + episode[0] * (0.75 + 0.25 * diurnal)

        daily_t = p.mean_temperature_c - p.seasonal_temperature_c * season
        daily_t = daily_t + 2.0 * _smooth_noise(s, 3, hours, 48.0)
        temp = daily_t + p.diurnal_temperature_c * np.cos(2 * np.pi * (hod - 15.0) / 24.0)
        dew = daily_t - p.dewpoint_depression_c * (1.0 - 0.4 * episode[1])
        dew = dew + 1.5 * _smooth_noise(s, 4, hours, 36.0)
        rh = np.exp(_MAGNUS_A * dew / (_MAGNUS_B + dew) - _MAGNUS_A * temp / (_MAGNUS_B + temp))
        cloud = np.clip(0.4 + 0.6 * _smooth_noise(s, 5, hours, 12.0), 0.0, 1.0)
        return np.maximum(pm, 0.0), np.clip(rh, 0.05, 1.0), temp, cloud

    def _episodes(self, hours: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(episode PM level, envelope 0..1): stagnation events that may start on any day."""
        p = self.profile
        level = np.zeros_like(hours)
        envelope = np.zeros_like(hours)
        day = np.floor(hours / 24.0).astype(np.int64)
        for lag in range(int(np.ceil(p.episode_days[1])) + 2):
            k = day - lag
            starts = _uniform(self.seed, 10, k) < p.episodes_per_year / 365.2425
            length_h = 24.0 * (
                p.episode_days[0] + np.diff(p.episode_days)[0] * _uniform(self.seed, 11, k)
            )
            peak = p.episode_peak_ugm3[0] + np.diff(p.episode_peak_ugm3)[0] * _uniform(
                self.seed, 12, k
            )
            x = (hours - (k * 24.0 + 24.0 * _uniform(self.seed, 13, k))) / length_h
            # Slow build-up under an inversion over 85 % of the event, then a front clears it.
            rise = np.sin(0.5 * np.pi * np.clip(x / 0.85, 0.0, 1.0)) ** 2
            fall = np.cos(0.5 * np.pi * np.clip((x - 0.85) / 0.15, 0.0, 1.0)) ** 2
            env = np.where(starts & (x > 0.0) & (x < 1.0), np.where(x < 0.85, rise, fall), 0.0)
            level = np.maximum(level, env * peak)
            envelope = np.maximum(envelope, env)
        return level, envelope


def pm25_series(
    device_seed: int,
    start: datetime,
    end: datetime,
    step_s: float,
    profile: CityProfile | None = None,
) -> tuple[npt.NDArray[np.datetime64], FloatArray, FloatArray]:
    """(times on the city's local clock, PM2.5 µg/m³, RH 0..1) from ``start`` up to ``end``."""
    city = CityPollution(device_seed, profile)
    h0, h1 = city.local_hours(start), city.local_hours(end)
    hours = np.arange(h0, h1, step_s / 3600.0)
    pm, rh, _, _ = city.evaluate(hours)
    times = _EPOCH + np.round(hours * 3600.0).astype(np.int64) * np.timedelta64(1, "s")
    return times, pm, rh
