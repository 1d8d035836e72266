"""The SQLite series store against real SQLite files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cloud_hub.errors import StoreUnavailable, ValidationFailed
from cloud_hub.series.base import Selection, SeriesStore, StoredAggregate, StoredGap, StoredReading
from cloud_hub.series.sqlite import SqliteSeriesStore

T0 = 1_700_000_000


def reading(device: str, seq: int, t: int, pm: float = 10.0, zone: str = "north") -> StoredReading:
    return StoredReading(device, seq, t, pm, 1.0, 1, 0, 3, zone, t + 5)


@pytest.fixture
def store(tmp_path: Path) -> SqliteSeriesStore:
    return SqliteSeriesStore(tmp_path / "series.db")


def test_is_a_series_store(store: SqliteSeriesStore) -> None:
    assert isinstance(store, SeriesStore)


def test_write_is_idempotent_on_device_and_seq(store: SqliteSeriesStore) -> None:
    batch = [reading("cam-1", s, T0 + 10 * s) for s in range(5)]
    assert store.write(batch) == 5
    assert store.write(batch) == 0
    assert store.write([*batch, reading("cam-1", 5, T0 + 50)]) == 1
    got = store.query_raw(Selection(T0, T0 + 1000, device_ids=("cam-1",))).readings
    assert [r.seq for r in got] == list(range(6))
    assert got[0] == batch[0]


def test_same_seq_other_device_is_another_reading(store: SqliteSeriesStore) -> None:
    assert store.write([reading("cam-1", 1, T0), reading("cam-2", 1, T0)]) == 2


def test_query_by_zone_and_time_range_is_half_open(store: SqliteSeriesStore) -> None:
    store.write(
        [
            reading("a", 1, T0, zone="north"),
            reading("b", 1, T0 + 10, zone="south"),
            reading("c", 1, T0 + 20, zone="north"),
        ]
    )
    got = store.query_raw(Selection(T0, T0 + 20, zone="north")).readings
    assert [(r.device_id, r.captured_at) for r in got] == [("a", T0)]


def test_limit_marks_truncation(store: SqliteSeriesStore) -> None:
    store.write([reading("a", s, T0 + s) for s in range(10)])
    res = store.query_raw(Selection(T0, T0 + 100, device_ids=("a",)), limit=4)
    assert len(res.readings) == 4 and res.truncated
    assert not store.query_raw(Selection(T0, T0 + 100, device_ids=("a",)), limit=10).truncated


def test_downsampled_buckets_include_aggregates(store: SqliteSeriesStore) -> None:
    store.write(
        [reading("a", 1, T0 + 5, pm=10.0), reading("a", 2, T0 + 65, pm=20.0)],
        aggregates=[StoredAggregate("a", 9, T0 + 70, T0 + 100, 3, 30.0, 25.0, 40.0, "north")],
    )
    start = T0 - T0 % 60
    res = store.query_downsampled(Selection(start, start + 600, device_ids=("a",)), 60)
    by_start = {b.start: b for b in res.buckets}
    first, second = by_start[start], by_start[start + 60]
    assert (first.count, first.mean, first.min, first.max) == (1, 10.0, 10.0, 10.0)
    assert second.count == 4
    assert second.mean == pytest.approx((20.0 + 3 * 30.0) / 4)
    assert (second.min, second.max) == (20.0, 40.0)


def test_gaps_are_stored_once_and_returned_with_queries(store: SqliteSeriesStore) -> None:
    gap = StoredGap("a", "outbox_full", 10, 19, T0 + 100, T0 + 190, "north")
    seq_only = StoredGap("a", "clock_reset", 30, 31, zone="north")
    store.write([reading("a", 1, T0)], gaps=[gap, seq_only])
    store.write([], gaps=[gap, seq_only])
    assert store.gaps("a", T0, T0 + 1000) == [seq_only, gap]  # no time range sorts first
    assert store.gaps("a", T0 + 200, T0 + 300) == [seq_only]
    raw = store.query_raw(Selection(T0, T0 + 150, zone="north"))
    assert gap in raw.gaps
    down = store.query_downsampled(Selection(T0, T0 + 150, device_ids=("a",)), 60)
    assert gap in down.gaps


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 10, "end": 10, "zone": "z"}, "empty"),
        ({"start": 0, "end": 10}, "either"),
        ({"start": 0, "end": 10, "zone": "z", "device_ids": ("a",)}, "either"),
    ],
)
def test_bad_selection_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        Selection(**kwargs)  # type: ignore[arg-type]


def test_bad_interval_is_refused(store: SqliteSeriesStore) -> None:
    with pytest.raises(ValidationFailed):
        store.query_downsampled(Selection(0, 10, zone="z"), 0)


def test_unreachable_file_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="series store"):
        SqliteSeriesStore(tmp_path / "no-such-dir" / "x.db")


def test_survives_reopen_and_concurrent_readers(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SqliteSeriesStore(path)
    first.write([reading("a", s, T0 + s) for s in range(100)])
    first.close()
    again = SqliteSeriesStore(path)
    counts: list[int] = []

    def read() -> None:
        sel = Selection(T0, T0 + 1000, device_ids=("a",))
        counts.append(len(again.query_raw(sel).readings))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    again.write([reading("a", 100, T0 + 100)])
    for t in threads:
        t.join()
    assert all(c in (100, 101) for c in counts) and len(counts) == 4
    again.ping()
    again.close()


def test_factory_opens_sqlite_under_data_dir_by_default(tmp_path: Path) -> None:
    from cloud_hub.series.factory import open_series_store
    from cloud_hub.series.settings import SeriesSettings

    store = open_series_store(SeriesSettings(), tmp_path / "data")
    assert isinstance(store, SqliteSeriesStore)
    assert (tmp_path / "data" / "series.db").exists()
    store.close()
