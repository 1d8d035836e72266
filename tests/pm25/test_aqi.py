"""Tests of the EPA 2024 PM2.5 AQI: every breakpoint edge, truncation, errors, monotonicity."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm25.aqi import (
    WHO_2021_24H,
    WHO_2021_ANNUAL,
    WHO_2021_INTERIM_24H,
    WHO_2021_INTERIM_ANNUAL,
    AqiCategory,
    AqiError,
    aqi,
    category,
)

# (concentration, expected AQI, expected category) on both sides of every edge, from the EPA table.
EDGES = [
    (0.0, 0, AqiCategory.GOOD),
    (9.0, 50, AqiCategory.GOOD),
    (9.1, 51, AqiCategory.MODERATE),
    (35.4, 100, AqiCategory.MODERATE),
    (35.5, 101, AqiCategory.UNHEALTHY_SENSITIVE),
    (55.4, 150, AqiCategory.UNHEALTHY_SENSITIVE),
    (55.5, 151, AqiCategory.UNHEALTHY),
    (125.4, 200, AqiCategory.UNHEALTHY),
    (125.5, 201, AqiCategory.VERY_UNHEALTHY),
    (225.4, 300, AqiCategory.VERY_UNHEALTHY),
    (225.5, 301, AqiCategory.HAZARDOUS),
    (325.4, 500, AqiCategory.HAZARDOUS),
]


@pytest.mark.parametrize(("pm25", "expected", "cat"), EDGES)
def test_breakpoint_edges(pm25: float, expected: int, cat: AqiCategory) -> None:
    assert aqi(pm25) == expected
    assert category(pm25) is cat


@pytest.mark.parametrize(
    ("pm25", "expected"),
    [(9.09, 50), (35.49, 100), (55.49, 150), (125.49, 200), (225.49, 300), (0.09, 0)],
)
def test_truncation_to_tenths_keeps_lower_band(pm25: float, expected: int) -> None:
    assert aqi(pm25) == expected


def test_interpolation_inside_a_band() -> None:
    # 12.0 in Moderate: 51 + (100-51)/(35.4-9.1) * (12.0-9.1) = 56.40 -> 56 (worked by hand).
    assert aqi(12.0) == 56
    # 4.5 in Good: 50/9.0 * 4.5 = 25.0 exactly.
    assert aqi(4.5) == 25
    # 275.4 in Hazardous: 301 + 199/99.9 * 49.9 = 400.40 -> 400.
    assert aqi(275.4) == 400


def test_rounds_to_nearest_not_down() -> None:
    # Good band: 50/90 AQI per tenth. 0.1 -> 0.56 rounds up to 1 (truncation would give 0);
    # 0.2 -> 1.11 rounds down to 1. (No EPA band ever lands exactly on .5, so ties cannot occur.)
    assert aqi(0.1) == 1
    assert aqi(0.2) == 1
    assert aqi(0.3) == 2  # 1.67


def test_above_scale_clamps_to_500() -> None:
    assert aqi(325.5) == 500
    assert aqi(1000.0) == 500
    assert category(5000.0) is AqiCategory.HAZARDOUS


@pytest.mark.parametrize("bad", [-0.1, -100.0, math.nan, math.inf, -math.inf])
def test_bad_concentrations_raise_value_errors(bad: float) -> None:
    with pytest.raises(AqiError):
        aqi(bad)
    with pytest.raises(ValueError):
        category(bad)


def test_category_labels_and_colours() -> None:
    assert [c.value for c in AqiCategory] == [0, 1, 2, 3, 4, 5]
    assert AqiCategory.UNHEALTHY_SENSITIVE.label == "Unhealthy for Sensitive Groups"
    assert AqiCategory.GOOD.label == "Good"
    assert AqiCategory.GOOD.colour == "#00E400"
    assert AqiCategory.HAZARDOUS.colour == "#7E0023"
    colours = {c.colour for c in AqiCategory}
    assert len(colours) == 6
    assert all(len(c) == 7 and c.startswith("#") for c in colours)


def test_who_values() -> None:
    assert (WHO_2021_ANNUAL, WHO_2021_24H) == (5.0, 15.0)
    assert list(WHO_2021_INTERIM_ANNUAL.values()) == [35.0, 25.0, 15.0, 10.0]
    assert list(WHO_2021_INTERIM_24H.values()) == [75.0, 50.0, 37.5, 25.0]


finite = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False, allow_infinity=False)


@given(finite, finite)
def test_aqi_is_monotone_non_decreasing(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert aqi(lo) <= aqi(hi)
    assert category(lo) <= category(hi)


@given(finite)
def test_aqi_range_and_category_agree(pm25: float) -> None:
    index = aqi(pm25)
    assert 0 <= index <= 500
    bounds = [(0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)]
    lo, hi = bounds[category(pm25)]
    assert lo <= index <= hi
