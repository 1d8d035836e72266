"""The co-located reference monitor: the air its camera sees, measured as a monitor would.

Truth is the same city series the camera renders (same seed, profile and daylight clock); a
beta-attenuation monitor adds about ±2 µg/m³ plus ±5 % noise and reports 0.1 µg/m³ steps.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import numpy as np

from demo.fleet import Unit
from demo.hub import Api
from edge_agent.capture.synthetic import PROFILES, daylight_time
from pm25.pollution import CityPollution

log = logging.getLogger(__name__)
ADDITIVE_SD = 2.0
RELATIVE_SD = 0.05


def true_pm25(unit: Unit, t: float) -> float:
    """The PM2.5 the unit's synthetic camera renders at unix time ``t`` (daylight clock)."""
    city = CityPollution(unit.pollution_seed, PROFILES[unit.profile])
    return city.at(daylight_time(datetime.fromtimestamp(t, UTC))).pm25_ugm3


def measured(truth: float, rng: np.random.Generator) -> float:
    """A monitor's reading of ``truth``: never negative, 0.1 µg/m³ resolution."""
    value = truth * (1.0 + rng.normal(0.0, RELATIVE_SD)) + rng.normal(0.0, ADDITIVE_SD)
    return round(max(0.0, value), 1)


def monitor_id(unit: Unit) -> str:
    return f"ref-{unit.device_id}"


def register(api: Api, unit: Unit) -> str:
    """Register the monitor next to ``unit`` (same coordinates)."""
    mid = monitor_id(unit)
    api.call(
        "POST",
        "/monitors",
        {
            "id": mid,
            "name": f"Reference monitor at {unit.device_id}",
            "lat": unit.lat,
            "lon": unit.lon,
        },
    )
    return mid


def feed(api: Api, unit: Unit, interval_s: float, stop: threading.Event, seed: int = 0) -> None:
    """Post one reading now and every ``interval_s`` until ``stop``; a failed post is logged."""
    rng = np.random.default_rng(seed)
    mid = monitor_id(unit)
    while not stop.is_set():
        t = float(int(datetime.now(UTC).timestamp()))
        try:
            api.call(
                "POST",
                f"/monitors/{mid}/readings",
                [{"t": t, "pm25": measured(true_pm25(unit, t), rng)}],
            )
        except Exception:  # the feeder's outer loop: a hub restart must not end the demo
            log.exception("reference monitor %s: reading not stored", mid)
        stop.wait(interval_s)
