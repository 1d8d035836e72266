"""The Influx series store against real servers started here.

- InfluxDB 1.6 (Debian ``influxdb``): the InfluxQL read path (raw, downsampled, gaps) and the v1
  ``/write`` path, with the same expectations as the SQLite store.
- VictoriaMetrics: the production write path, influxdb-client's v2 write API (line protocol,
  ns precision, retries), verified through its own export API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloud_hub.errors import StoreUnavailable
from cloud_hub.series.base import Selection, SeriesStore, StoredAggregate, StoredGap, StoredReading
from cloud_hub.series.influx import InfluxSeriesStore
from cloud_hub.series.settings import InfluxSettings
from tests.support.influx import InfluxServer
from tests.support.ports import free_port
from tests.support.victoria import VictoriaServer

T0 = 1_700_000_000 - 1_700_000_000 % 3600


def reading(device: str, seq: int, t: int, pm: float = 10.0, zone: str = "north") -> StoredReading:
    return StoredReading(device, seq, t, pm, 1.5, 1, 2, 3, zone)


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path_factory.mktemp("influx"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def store(influx: InfluxServer, request: pytest.FixtureRequest) -> Iterator[InfluxSeriesStore]:
    db = f"t_{abs(hash(request.node.name)) % 10**9}"
    influx.create_database(db)
    s = InfluxSeriesStore(InfluxSettings(url=influx.url, bucket=db, write_api="v1"))
    yield s
    s.close()


def test_is_a_series_store(store: InfluxSeriesStore) -> None:
    assert isinstance(store, SeriesStore)
    store.ping()


def test_rewrite_overwrites_the_same_point(store: InfluxSeriesStore) -> None:
    # Two readings in the same second stay two points (seq tie-break); a rewrite stays one.
    batch = [reading("cam-1", s, T0 + s // 2) for s in range(6)]
    store.write(batch)
    store.write(batch)
    got = store.query_raw(Selection(T0, T0 + 100, device_ids=("cam-1",))).readings
    assert got == batch


def test_query_by_zone_devices_and_half_open_range(store: InfluxSeriesStore) -> None:
    store.write(
        [
            reading("a", 1, T0, zone="north"),
            reading("b", 1, T0 + 10, zone="south"),
            reading("c", 1, T0 + 20, zone="north"),
            reading("d", 1, T0 + 5, zone="north west"),
        ]
    )
    north = store.query_raw(Selection(T0, T0 + 20, zone="north")).readings
    assert [(r.device_id, r.captured_at) for r in north] == [("a", T0)]
    two = store.query_raw(Selection(T0, T0 + 30, device_ids=("b", "c"))).readings
    assert [r.device_id for r in two] == ["b", "c"]
    spaced = store.query_raw(Selection(T0, T0 + 30, zone="north west")).readings
    assert [r.device_id for r in spaced] == ["d"]
    limited = store.query_raw(Selection(T0, T0 + 30, zone="north"), limit=1)
    assert limited.truncated and len(limited.readings) == 1


def test_downsampled_buckets_include_aggregates(store: InfluxSeriesStore) -> None:
    store.write(
        [reading("a", 1, T0 + 5, pm=10.0), reading("a", 2, T0 + 65, pm=20.0)],
        aggregates=[StoredAggregate("a", 9, T0 + 70, T0 + 100, 3, 30.0, 25.0, 40.0, "north")],
    )
    res = store.query_downsampled(Selection(T0, T0 + 600, device_ids=("a",)), 60)
    by_start = {b.start: b for b in res.buckets}
    assert (by_start[T0].count, by_start[T0].mean) == (1, 10.0)
    second = by_start[T0 + 60]
    assert second.count == 4 and second.mean == pytest.approx(27.5)
    assert (second.min, second.max) == (20.0, 40.0)
    raw = store.query_raw(Selection(T0, T0 + 600, device_ids=("a",)))
    assert raw.aggregates == [
        StoredAggregate("a", 9, T0 + 70, T0 + 100, 3, 30.0, 25.0, 40.0, "north")
    ]


def test_gaps_shown_with_queries(store: InfluxSeriesStore) -> None:
    gap = StoredGap("a", "outbox_full", 10, 19, T0 + 100, T0 + 190, "north")
    seq_only = StoredGap("a", "clock_reset", 30, 31, zone="north")
    store.write([reading("a", 1, T0)], gaps=[gap, seq_only])
    store.write([], gaps=[gap])
    assert store.gaps("a", T0, T0 + 1000) == [seq_only, gap]
    assert store.gaps("a", T0 + 200, T0 + 300) == [seq_only]
    assert gap in store.query_raw(Selection(T0, T0 + 150, zone="north")).gaps
    assert gap in store.query_downsampled(Selection(T0, T0 + 150, device_ids=("a",)), 60).gaps


def test_unreachable_server_is_store_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for api in ("v1", "v2"):
        s = InfluxSeriesStore(InfluxSettings(url=url, write_api=api, retries=0, timeout_s=2))
        with pytest.raises(StoreUnavailable):
            s.write([reading("a", 1, T0)])
        with pytest.raises(StoreUnavailable):
            s.ping()
        s.close()


@pytest.fixture(scope="module")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaServer]:
    server = VictoriaServer(tmp_path_factory.mktemp("victoria"))
    server.start()
    yield server
    server.stop()


def test_v2_write_path_into_victoria_metrics(victoria: VictoriaServer) -> None:
    store = InfluxSeriesStore(InfluxSettings(url=victoria.url, write_api="v2", token="t"))
    batch = [reading("cam-v", s, T0 + 10 * s, pm=float(s)) for s in range(50)]
    gap = StoredGap("cam-v", "outbox_full", 100, 120, T0, T0 + 60, "north")
    store.write(batch, gaps=[gap])
    store.write(batch[:10])  # a redelivery rewrites the same points
    series = victoria.export('{__name__="pm25_pm25",device="cam-v"}')
    assert len(series) == 1
    assert series[0]["metric"]["zone"] == "north"
    assert series[0]["values"] == [float(s) for s in range(50)]
    assert series[0]["timestamps"] == [(T0 + 10 * s) * 1000 for s in range(50)]
    seqs = victoria.export('{__name__="pm25_seq",device="cam-v"}')
    assert seqs[0]["values"] == list(range(50))
    gaps = victoria.export('{__name__="pm25_gap_seq_from",device="cam-v"}')
    assert gaps[0]["metric"]["reason"] == "outbox_full" and gaps[0]["values"] == [100]
    store.close()
