"""``clock: daylight``: the synthetic camera is lit whenever it runs; readings keep real time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from edge_agent.capture.config import SyntheticSource
from edge_agent.capture.synthetic import SyntheticSourceCamera, daylight_time

SMALL = {"width": 320, "height": 180}
MIDNIGHT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("minutes", [0, 1, 180, 719, 720, 1439])
def test_daylight_time_stays_in_the_window_on_the_same_day(minutes: int) -> None:
    when = MIDNIGHT + timedelta(minutes=minutes)
    mapped = daylight_time(when)
    assert mapped.date() == when.date()
    assert 9.0 <= mapped.hour + mapped.minute / 60 < 15.0


def test_daylight_time_is_monotonic_and_continuous_within_a_day() -> None:
    times = [MIDNIGHT + timedelta(seconds=s) for s in range(0, 86400, 600)]
    mapped = [daylight_time(t) for t in times]
    steps = {(b - a).total_seconds() for a, b in itertools.pairwise(mapped)}
    assert steps == {150.0}  # 600 s of wall time is 150 s of scene time (24 h -> 6 h)


def test_daylight_time_accepts_other_zones() -> None:
    local = datetime(2026, 12, 1, 6, 0, tzinfo=timezone(timedelta(hours=5)))  # 01:00 UTC
    assert daylight_time(local) == datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


def test_night_frames_are_dark_unless_the_clock_is_daylight() -> None:
    night = (MIDNIGHT + timedelta(hours=2)).timestamp()  # 02:00 UTC
    real = SyntheticSourceCamera(SyntheticSource(camera_seed=1, **SMALL), lambda: night)
    lit = SyntheticSourceCamera(
        SyntheticSource(camera_seed=1, clock="daylight", **SMALL), lambda: night
    )
    dark_frame, day_frame = real.read(), lit.read()
    assert float(np.mean(day_frame.image)) > 2 * float(np.mean(dark_frame.image))
    # The reading's timestamp is the real clock either way.
    assert day_frame.captured_at == dark_frame.captured_at == MIDNIGHT + timedelta(hours=2)
    assert "daylight" in lit.describe() and "daylight" not in real.describe()


def test_clock_is_validated() -> None:
    with pytest.raises(ValueError, match="clock"):
        SyntheticSource.model_validate({"clock": "noon"})
