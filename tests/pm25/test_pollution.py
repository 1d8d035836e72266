"""The synthetic city air looks like a city's: diurnal peaks, episodes, clean days, humid nights."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pm25.pollution import HUMID_CITY, CityPollution, CityProfile, pm25_series

START, END = datetime(2024, 1, 1), datetime(2025, 1, 1)


@pytest.fixture(scope="module")
def year():
    return pm25_series(7, START, END, 600)  # 10-minute steps, 144 per day


def _by_hour(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    hours = (times.astype("datetime64[m]").astype(np.int64) // 60) % 24
    return np.array([values[hours == h].mean() for h in range(24)])


def test_non_negative_and_finite(year):
    _, pm, rh = year
    assert np.all(np.isfinite(pm)) and np.all(pm >= 0.0)
    assert np.all((rh >= 0.0) & (rh <= 1.0))


def test_deterministic_and_order_free(year):
    times, pm, _ = year
    again = pm25_series(7, START, END, 600)[1]
    assert np.array_equal(pm, again)
    city = CityPollution(7)
    idx = 20_000
    when = times[idx].astype(datetime)
    assert city.at(when).pm25_ugm3 == pytest.approx(pm[idx])
    assert not np.allclose(pm25_series(8, START, END, 600)[1], pm)  # other city, other air


def test_diurnal_traffic_peaks(year):
    times, pm, _ = year
    profile = _by_hour(times, pm)
    morning = int(np.argmax(profile[4:12])) + 4
    evening = int(np.argmax(profile[15:23])) + 15
    assert 6 <= morning <= 10 and 17 <= evening <= 21
    assert profile[morning] > profile[3] and profile[evening] > profile[14]


def test_episodes_and_clean_days(year):
    _, pm, _ = year
    daily = pm.reshape(-1, 144).mean(axis=1)
    assert (daily > 100.0).sum() >= 1  # at least one stagnation episode day
    assert 100.0 < pm.max() < 400.0
    assert (daily < 10.0).sum() >= 5  # clean days after fronts / in summer
    # Episodes last days, not minutes: hours above 100 come in runs.
    above = pm > 100.0
    runs = np.diff(np.flatnonzero(np.diff(above.astype(int)) != 0))
    assert runs.max() >= 6 * 12  # some run of at least 12 hours


def test_winter_dirtier_than_summer(year):
    times, pm, _ = year
    month = times.astype("datetime64[M]").astype(int) % 12
    assert pm[np.isin(month, [0, 1, 11])].mean() > pm[np.isin(month, [5, 6, 7])].mean()


def test_smooth(year):
    _, pm, _ = year
    jumps = np.abs(np.diff(pm))
    assert np.all(jumps < 0.3 * pm[:-1] + 5.0)  # no white-noise spikes between 10-min steps


def test_humidity_high_at_night_anticorrelated_with_temperature():
    city = CityPollution(3)
    hours = np.arange(0.0, 24.0 * 60, 0.5) + 24.0 * 100
    _, rh, temp, _ = city.evaluate(hours)
    by_hour = rh.reshape(-1, 48).mean(axis=0)
    assert by_hour[10] > by_hour[30]  # 05:00 more humid than 15:00
    assert np.corrcoef(rh, temp)[0, 1] < -0.3


def test_humid_profile_is_more_humid():
    hours = np.arange(0.0, 24.0 * 365, 1.0)
    dry = CityPollution(1, CityProfile()).evaluate(hours)[1].mean()
    humid = CityPollution(1, HUMID_CITY).evaluate(hours)[1].mean()
    assert humid > dry + 0.1


def test_aware_datetimes_use_city_clock():
    city = CityPollution(2, CityProfile(utc_offset_hours=8.0))
    local = datetime(2024, 3, 1, 8, 0)
    aware = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    assert city.at(aware).pm25_ugm3 == pytest.approx(city.at(local).pm25_ugm3)
    assert city.at(local + timedelta(hours=1)).pm25_ugm3 != city.at(local).pm25_ugm3
