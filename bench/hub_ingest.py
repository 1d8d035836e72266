"""Hub ingest from a real Mosquitto into each series store, and capture-to-queryable latency.

Throughput: ``MESSAGES`` readings batches of 60 readings (1,000 device ids) are published at QoS 1
to the broker while the worker is away; the broker queues them in the worker's persistent session
(the crash-recovery path). Then the worker (one process, one processing thread) starts and we
time the drain until every reading is stored. Baseline, same run: the store's own ``write`` of the
same readings in the worker's batch size without MQTT or validation (the store's ceiling).

Latency: 1,000 simulated devices send one reading a second each, for ``LATENCY_S`` seconds,
through one superuser connection on each device's own topic (the broker's per-device ACL is not
exercised; the hub's work per message is the same). A poller sees each reading in the SQLite
store; latency = first seen by a query - published. Capture times are whole seconds and devices
here publish at capture: in the field the device's batching age adds to this.

``python -m bench.hub_ingest``: prints tables, writes ``bench/results/hub_ingest.json``.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pydantic import SecretStr

from bench.report import print_table, write_json
from cloud_hub.ingest.directory import DeviceAccess, InMemoryDirectory
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.ingest.validate import Accepted, parse, to_stored
from cloud_hub.ingest.worker import IngestWorker
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.series.base import SeriesStore, StoredReading
from cloud_hub.series.influx import InfluxSeriesStore
from cloud_hub.series.settings import InfluxSettings
from cloud_hub.series.sqlite import SqliteSeriesStore
from pm25 import topics
from pm25.wire import ReadingBatch, encode
from tests.cloud_hub.ingest_support import Publisher, wait_until
from tests.support.mosquitto import MosquittoBroker
from tests.support.victoria import VictoriaServer

MESSAGES: Final = 2000
PER_MESSAGE: Final = 60
DEVICES: Final = 1000
LATENCY_S: Final = 5
HUB = ("hub", "bench-hub-password")
T0: Final = 1_767_225_600


def _payloads() -> list[tuple[str, bytes]]:
    out = []
    for i in range(MESSAGES):
        dev = f"cam-{i % DEVICES:04d}"
        s0 = (i // DEVICES) * PER_MESSAGE
        batch = ReadingBatch(
            d=dev, mv=1, s0=s0, t0=datetime.fromtimestamp(T0 + s0 * 10, UTC),
            dt=tuple(range(0, 10 * PER_MESSAGE, 10)),
            pm=tuple(float(10 + j % 40) + 0.1 for j in range(PER_MESSAGE)),
            sd=(1.5,) * PER_MESSAGE, aqi=(1,) * PER_MESSAGE,
        )  # fmt: skip
        out.append((topics.readings(dev), encode(batch)))
    return out


def _directory() -> InMemoryDirectory:
    return InMemoryDirectory(
        {f"cam-{i:04d}": DeviceAccess(registered=True, zone=f"z{i % 10}") for i in range(DEVICES)}
    )


def _worker(broker: MosquittoBroker, store: SeriesStore, client_id: str) -> IngestWorker:
    mqtt = MqttSettings(port=broker.port, username=HUB[0], password=SecretStr(HUB[1]))
    # One group per worker: Mosquitto keeps giving an offline member of a shared group its share
    # (queued in its session), so workers of earlier runs must not be in this one's group.
    settings = IngestSettings(
        enabled=True, client_id=client_id, group=client_id, batch_linger_s=0.02
    )
    return IngestWorker(mqtt, settings, store, _directory())


def _drain(broker: MosquittoBroker, store: SeriesStore, name: str, items: list[Any]) -> float:
    """Seconds from worker start until every published reading is stored."""
    worker = _worker(broker, store, f"bench-{name}")
    worker.start()
    worker.stop()  # the session and its subscriptions stay on the broker
    pub = Publisher(broker.port, *HUB, client_id=f"bench-pub-{name}")
    pub.publish(items, timeout_s=120)
    pub.close()
    worker = _worker(broker, store, f"bench-{name}")
    stored = worker.metrics.readings.labels("stored")
    started = time.perf_counter()
    worker.start()
    wait_until(lambda: stored._value.get() >= MESSAGES * PER_MESSAGE, 300)
    elapsed = time.perf_counter() - started
    worker.stop()
    return elapsed


def _direct(store: SeriesStore, items: list[tuple[str, bytes]]) -> float:
    """The store's own ceiling: write the pre-expanded readings in 500-message batches."""
    batches: list[list[StoredReading]] = []
    for k in range(0, len(items), 500):
        rows: list[StoredReading] = []
        for t, p in items[k : k + 500]:
            d = parse(t, p)
            assert isinstance(d, Accepted)
            rows += to_stored(d.message, "z", 0).readings  # type: ignore[arg-type]
        batches.append(rows)
    started = time.perf_counter()
    for rows in batches:
        store.write(rows)
    return time.perf_counter() - started


def _latency(broker: MosquittoBroker, db: Path) -> list[float]:
    store = SqliteSeriesStore(db)
    worker = _worker(broker, store, "bench-latency")
    worker.start()
    published: dict[tuple[str, int], float] = {}
    seen: dict[tuple[str, int], float] = {}
    done = threading.Event()

    def poll() -> None:
        conn = sqlite3.connect(db)
        while not done.is_set():
            now = time.perf_counter()
            for dev, seq in conn.execute("SELECT device, seq FROM readings WHERE seq >= 1000000"):
                seen.setdefault((dev, seq), now)
            time.sleep(0.02)
        conn.close()

    poller = threading.Thread(target=poll)
    poller.start()
    pub = Publisher(broker.port, *HUB, client_id="bench-pub-latency")
    for second in range(LATENCY_S):
        tick = time.perf_counter()
        capture = datetime.fromtimestamp(int(time.time()), UTC)
        for i in range(DEVICES):
            dev, seq = f"cam-{i:04d}", 1_000_000 + second
            batch = ReadingBatch(
                d=dev, mv=1, s0=seq, t0=capture, dt=(0,), pm=(12.3,), sd=(1.0,), aqi=(1,)
            )
            published[(dev, seq)] = time.perf_counter()
            pub.client.publish(topics.readings(dev), encode(batch), qos=1)
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
    wait_until(lambda: len(seen) >= len(published), 60)
    done.set()
    poller.join()
    pub.close()
    worker.stop()
    store.close()
    return sorted(seen[k] - published[k] for k in published if k in seen)


def run() -> dict[str, object]:
    results: dict[str, object] = {"messages": MESSAGES, "readings_per_message": PER_MESSAGE}
    rows = []
    items = _payloads()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = MosquittoBroker(workdir=work / "mq", users={HUB[0]: HUB[1]}, superusers=(HUB[0],))
        vm = VictoriaServer(work / "vm")
        broker.start()
        vm.start()
        try:
            stores: dict[str, Any] = {
                "sqlite": lambda n: SqliteSeriesStore(work / f"{n}.db"),
                "victoriametrics": lambda n: InfluxSeriesStore(
                    InfluxSettings(url=vm.url, bucket=n, token="t")
                ),
            }
            for name, make in stores.items():
                secs = _drain(broker, make(f"{name}-mqtt"), name, items)
                base = _direct(make(f"{name}-direct"), items)
                n = MESSAGES * PER_MESSAGE
                entry = {
                    "readings_per_s": n / secs, "messages_per_s": MESSAGES / secs,
                    "direct_write_readings_per_s": n / base, "ratio_to_direct": base / secs,
                }  # fmt: skip
                results[name] = entry
                rows.append([name, *entry.values()])
            lat = _latency(broker, work / "latency.db")
            q = statistics.quantiles(lat, n=100)
            results["latency_sqlite"] = {
                "devices": DEVICES, "seconds": LATENCY_S, "samples": len(lat),
                "p50_s": q[49], "p99_s": q[98], "max_s": lat[-1],
            }  # fmt: skip
        finally:
            vm.stop()
            broker.stop()
    print_table(
        f"Hub ingest: {MESSAGES} messages x {PER_MESSAGE} readings from Mosquitto, one process",
        ["store", "readings/s", "messages/s", "direct write readings/s", "ingest/direct"],
        rows,
    )
    lat_r = results["latency_sqlite"]
    assert isinstance(lat_r, dict)
    print_table(
        f"Capture-to-queryable latency, SQLite, {DEVICES} devices x 1 reading/s",
        ["samples", "p50 s", "p99 s", "max s"],
        [[lat_r["samples"], lat_r["p50_s"], lat_r["p99_s"], lat_r["max_s"]]],
    )
    write_json("hub_ingest", results)
    return results


if __name__ == "__main__":
    run()
