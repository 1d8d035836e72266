"""The closed loop's pure decisions: when to sample, ROI checks, label join, calibration, PSI."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from cloud_hub.loop import calibration, drift, labels, samples
from cloud_hub.loop.samples import DeviceView, Reason, decide, roi_problem
from cloud_hub.loop.settings import CalibrationSettings, RoiLimit, SampleSettings
from pm25.wire import Roi

S = SampleSettings(every_s=3600, event_min_gap_s=600, budget_bytes_month=1000, expected_bytes=100)
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp()


def view(**kw: object) -> DeviceView:
    base: dict[str, object] = {
        "device_id": "cam-1", "bytes_last_30d": 0, "last_request_at": None,
        "last_event_request_at": None, "last_sample_at": None,
    }  # fmt: skip
    return DeviceView(**{**base, **kw})  # type: ignore[arg-type]


def test_first_sample_is_scheduled_and_then_waits() -> None:
    assert decide(view(), NOW, S) is Reason.SCHEDULE
    assert decide(view(last_request_at=NOW - 1800), NOW, S) is None
    assert decide(view(last_request_at=NOW - 3600), NOW, S) is Reason.SCHEDULE


def test_budget_stops_every_reason() -> None:
    full = view(bytes_last_30d=901, recent_pm25=100.0, reference_pm25=10.0)
    assert decide(full, NOW, S) is None
    assert decide(view(bytes_last_30d=900), NOW, S) is Reason.SCHEDULE  # 900 + 100 fits exactly


def test_events_come_before_the_schedule_but_respect_the_gap() -> None:
    recent = NOW - 700
    assert decide(view(last_request_at=recent, recent_pm25=60.0, reference_pm25=20.0), NOW, S) is (
        Reason.DISAGREEMENT
    )
    assert decide(
        view(last_request_at=NOW - 60, recent_pm25=60.0, reference_pm25=20.0), NOW, S
    ) is (None)
    small = view(last_request_at=recent, recent_pm25=25.0, reference_pm25=20.0)  # 5 µg/m³ apart
    assert decide(small, NOW, S) is None
    assert decide(view(last_request_at=recent, rejected_ratio=0.5), NOW, S) is Reason.BORDERLINE
    assert decide(view(last_request_at=recent, flagged_ratio=0.4), NOW, S) is Reason.BORDERLINE
    winter = datetime(2026, 1, 10, tzinfo=UTC).timestamp()
    assert decide(view(last_request_at=recent, last_sample_at=winter), NOW, S) is (
        Reason.NEW_SEASON
    )
    assert decide(view(last_request_at=recent, last_sample_at=NOW - 86400), NOW, S) is None


def test_seasons() -> None:
    months = [samples.season(datetime(2026, m, 1, tzinfo=UTC).timestamp()) for m in range(1, 13)]
    assert months == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0]


def test_roi_checks() -> None:
    roi = Roi(x=10, y=10, w=100, h=50)
    limit = RoiLimit(x=0, y=0, w=200, h=100)
    assert roi_problem(roi, 100, 50, limit, 10) is None
    assert "larger than its declared roi" in (roi_problem(roi, 101, 50, limit, 10**6) or "")
    assert "outside the configured roi" in (
        roi_problem(Roi(x=150, y=0, w=100, h=50), 100, 50, limit, 10**6) or ""
    )
    assert "max_pixels" in (roi_problem(roi, 100, 50, None, 4999) or "")
    assert roi_problem(roi, 50, 25, None, 5000) is None


def test_join_statuses() -> None:
    mons = [labels.Monitor("near", 6.25, -75.57), labels.Monitor("far", 6.40, -75.57)]
    reads = {"near": [labels.RefReading(1000.0, 20.0), labels.RefReading(4600.0, 30.0)]}
    got = labels.join(1100.0, 6.251, -75.57, mons, reads, max_km=2, tolerance_s=300)
    assert (got.status, got.monitor_id, got.reading) == (
        labels.JoinStatus.JOINED, "near", labels.RefReading(1000.0, 20.0)
    )  # fmt: skip
    assert got.distance_km is not None and 0.1 < got.distance_km < 0.12
    assert labels.join(2500.0, 6.251, -75.57, mons, reads, max_km=2, tolerance_s=300).status is (
        labels.JoinStatus.NO_READING
    )
    assert labels.join(1100.0, 7.0, -75.57, mons, reads, max_km=2, tolerance_s=300).status is (
        labels.JoinStatus.NO_MONITOR
    )
    assert labels.join(1100.0, None, None, mons, reads, max_km=2, tolerance_s=300).status is (
        labels.JoinStatus.NO_LOCATION
    )


def test_theil_sen_ignores_outliers_and_bounds_refuse() -> None:
    rng = random.Random(3)
    pairs = [(x, 0.5 * x + 4 + rng.gauss(0, 0.5)) for x in (rng.uniform(5, 150) for _ in range(60))]
    pairs += [(10.0, 300.0)] * 8  # a dusty hour at the monitor
    s = CalibrationSettings(min_pairs=20)
    fit = calibration.fit(pairs, s)
    assert isinstance(fit, calibration.Fit)
    assert fit.slope == pytest.approx(0.5, abs=0.03)
    assert fit.intercept == pytest.approx(4, abs=1.5)
    assert calibration.fit(pairs[:5], s) == "5 paired readings, need 20"
    steep = [(x, 9 * x) for x in range(1, 30)]
    assert "slope" in str(calibration.fit(steep, s))
    assert "intercept" in str(calibration.fit([(x, x + 90.0) for x in range(1, 30)], s))
    assert "all device readings are equal" in str(calibration.fit([(5.0, x) for x in range(30)], s))


def test_pairing_averages_device_readings_around_each_reference() -> None:
    dev = [(float(t), float(t)) for t in range(0, 100, 10)]
    assert calibration.pair(dev, [(50.0, 7.0), (500.0, 1.0)], 10) == [(50.0, 7.0)]


def test_psi_shifted_vs_unshifted() -> None:
    rng = random.Random(5)
    base = [rng.lognormvariate(3, 0.5) for _ in range(2000)]
    same = [rng.lognormvariate(3, 0.5) for _ in range(2000)]
    shifted = [rng.lognormvariate(4, 0.5) for _ in range(2000)]
    e = drift.histogram(base, drift.PM25_EDGES)
    assert drift.psi(e, drift.histogram(same, drift.PM25_EDGES)) < 0.05
    assert drift.psi(e, drift.histogram(shifted, drift.PM25_EDGES)) > 1.0
    with pytest.raises(ValueError, match="empty"):
        drift.psi([0, 0], [1, 1])
    with pytest.raises(ValueError, match="bins"):
        drift.psi([1], [1, 1])


def test_flag_histogram_ignores_calibrated() -> None:
    assert drift.flag_histogram([0, 1, 2, 3, 6, 128]) == [2, 3, 0, 0, 0, 0, 0, 1]


def test_sum_haze_skips_what_does_not_fit_and_folds_older_agents_into_the_deciles() -> None:
    hbs: list[dict[str, Any]] = [
        {"haze": {"edge_density": [1] * 12}},
        {"haze": {"edge_density": [2] * 10, "transmission_mean": [1] * 3}},  # older agent; junk
        {"mv": 1},
        {"haze": "garbage"},
    ]
    got = drift.sum_haze(hbs)
    assert set(got) == {"edge_density"}
    # PSI: every frame in the deciles layout (the tail bins folded into their neighbours) ...
    assert got["edge_density"].deciles == [4] + [3] * 8 + [4]
    # ... the out-of-range share: only frames binned with the tail edges.
    assert got["edge_density"].full == [1] * 12


def test_outside_share_counts_bins_the_training_data_barely_reached() -> None:
    training = [5] + [100] * 10 + [5]  # tails: 0.5 % each, like the baseline's reference
    assert drift.outside_share(training, [0] + [10] * 10 + [0], 0.01) == 0.0
    assert drift.outside_share(training, [30] + [7] * 10 + [0], 0.01) == 0.3
    # a retrained model whose data fill the upper tail: frames there are not outside
    wide = [5] + [100] * 10 + [300]
    assert drift.outside_share(wide, [0] * 11 + [50], 0.01) == 0.0
    with pytest.raises(ValueError, match="differ in bins"):
        drift.outside_share(training, [1] * 10, 0.01)
    with pytest.raises(ValueError, match="empty"):
        drift.outside_share(training, [0] * 12, 0.01)
