"""The ingest worker against a real Mosquitto with auth and the per-device ACL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from cloud_hub.errors import StoreUnavailable
from cloud_hub.ingest.directory import DeviceAccess, InMemoryDirectory, QuarantineReason
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.ingest.worker import IngestWorker, subscriptions
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.series.base import Selection, StoredAggregate, StoredGap, StoredReading
from cloud_hub.series.sqlite import SqliteSeriesStore
from pm25 import topics
from pm25.wire import Gap, Heartbeat, ReadingBatch, Status, encode
from tests.cloud_hub.ingest_support import T0, Publisher, make_batch, wait_until
from tests.conftest import HUB_USER, WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

DEVICES = {"cam-1": "pw-1", "cam-2": "pw-2", "ghost": "pw-g", "old": "pw-o"}
ALL = Selection(0, 2**32, device_ids=("cam-1", "cam-2"))


@dataclass
class Hub:
    worker: IngestWorker
    store: SqliteSeriesStore
    directory: InMemoryDirectory

    def count(self, reason: QuarantineReason) -> int:
        return sum(1 for q in self.directory.quarantined if q.reason == reason)


@pytest.fixture
def broker(mosquitto: MosquittoBroker) -> MosquittoBroker:
    mosquitto.users.update(DEVICES)
    mosquitto.start()
    return mosquitto


def start_hub(broker: MosquittoBroker, store: SqliteSeriesStore, **kw: object) -> Hub:
    directory = InMemoryDirectory(
        {
            "cam-1": DeviceAccess(registered=True, zone="north"),
            "cam-2": DeviceAccess(registered=True, zone="south"),
            "old": DeviceAccess(registered=True, revoked=True),
        }
    )
    mqtt = MqttSettings(port=broker.port, username=HUB_USER[0], password=SecretStr(HUB_USER[1]))
    settings = IngestSettings(enabled=True, **kw)
    worker = IngestWorker(mqtt, settings, store, directory)
    worker.start()
    return Hub(worker, store, directory)


@pytest.fixture
def hub(broker: MosquittoBroker, tmp_path: Path) -> Iterator[Hub]:
    h = start_hub(broker, SqliteSeriesStore(tmp_path / "series.db"))
    yield h
    h.worker.stop()


def device(broker: MosquittoBroker, name: str) -> Publisher:
    return Publisher(broker.port, name, DEVICES[name])


def test_subscriptions_are_shared_per_device_kind() -> None:
    assert subscriptions("hub") == [
        "$share/hub/pm25/v1/+/readings",
        "$share/hub/pm25/v1/+/heartbeat",
        "$share/hub/pm25/v1/+/status",
        "$share/hub/pm25/v1/+/ack",
        "$share/hub/pm25/v1/+/sample",
    ]


def test_valid_readings_stored_once_and_redelivery_deduped(
    hub: Hub, broker: MosquittoBroker
) -> None:
    cam = device(broker, "cam-1")
    batches = [make_batch("cam-1", s0) for s0 in range(0, 100, 10)]
    items = [(topics.readings("cam-1"), encode(b)) for b in batches]
    cam.publish(items)
    cam.publish(items[:3])  # the device resends: its PUBACKs were lost, say
    metrics = hub.worker.metrics
    assert wait_until(lambda: metrics.readings.labels("duplicate")._value.get() == 30)
    got = hub.store.query_raw(ALL).readings
    assert [r.seq for r in got] == list(range(100))
    assert {r.zone for r in got} == {"north"}
    assert metrics.readings.labels("stored")._value.get() == 100
    assert not hub.directory.quarantined
    cam.close()


def test_gaps_aggregates_heartbeat_and_status_reach_their_places(
    hub: Hub, broker: MosquittoBroker
) -> None:
    cam = device(broker, "cam-2")
    batch = ReadingBatch.from_readings(
        "cam-2", 1, make_batch("cam-2", 0, 3).readings(),
        gaps=[Gap(t_from=T0, t_to=T0, reason="camera_unavailable")],
    )  # fmt: skip
    hb = Heartbeat(
        t=T0, agent="1.0", uptime_s=5, disk_free_b=1, outbox=7, mv=1, model="m",
        backend="onnxruntime_cpu", accepted=3,
    )  # fmt: skip
    cam.publish(
        [
            (topics.readings("cam-2"), encode(batch)),
            (topics.heartbeat("cam-2"), encode(hb)),
            (topics.status("cam-2"), encode(Status.online("1.0", T0))),
        ]
    )
    assert wait_until(lambda: len(hub.directory.statuses) == 1)
    assert hub.directory.heartbeats == [("cam-2", hb)]
    t = int(T0.timestamp())
    assert hub.store.gaps("cam-2", t, t + 1) == [
        StoredGap("cam-2", "camera_unavailable", t_from=t, t_to=t, zone="south")
    ]
    assert len(hub.store.query_raw(ALL).readings) == 3
    cam.close()


def test_a_malformed_haze_section_is_quarantined_and_the_heartbeat_kept(
    hub: Hub, broker: MosquittoBroker
) -> None:
    cam = device(broker, "cam-2")
    hb = Heartbeat(
        t=T0, agent="1.0", uptime_s=5, disk_free_b=1, outbox=7, mv=1, model="m",
        backend="onnxruntime_cpu", accepted=3,
    )  # fmt: skip
    bad = json.dumps(json.loads(encode(hb)) | {"haze": {"edge_density": [1, 2]}}).encode()
    cam.publish([(topics.heartbeat("cam-2"), bad)])
    assert wait_until(lambda: len(hub.directory.heartbeats) == 1)
    assert hub.directory.heartbeats == [("cam-2", hb)]
    [q] = hub.directory.quarantined
    assert q.reason is QuarantineReason.MALFORMED and q.device_id == "cam-2"
    assert "haze section left out, rest stored" in q.detail and "2 counts, need 12" in q.detail
    assert q.payload_excerpt == bad
    cam.close()


def test_device_cannot_publish_as_another_and_spoofed_payload_is_quarantined(
    hub: Hub, broker: MosquittoBroker
) -> None:
    watcher = Watcher(broker.port, *WATCHER_USER, topics=["pm25/v1/#"]).start()
    cam = device(broker, "cam-1")
    # 1. The broker's ACL: cam-1 may not publish under cam-2's topic; the message goes nowhere.
    cam.publish([(topics.readings("cam-2"), encode(make_batch("cam-2", 0)))])
    # 2. Under its own topic, a payload claiming to be cam-2: the hub quarantines it.
    cam.publish([(topics.readings("cam-1"), encode(make_batch("cam-2", 0)))])
    assert wait_until(lambda: hub.count(QuarantineReason.SPOOFED) == 1)
    assert [m.topic for m in watcher.wait_for(1)] == [topics.readings("cam-1")]
    assert hub.store.query_raw(ALL).readings == []
    record = hub.directory.quarantined[0]
    assert record.device_id == "cam-1" and "cam-2" in record.detail
    watcher.stop()
    cam.close()


@pytest.mark.parametrize(
    ("user", "payload", "reason"),
    [
        ("ghost", encode(make_batch("ghost", 0)), QuarantineReason.UNKNOWN_DEVICE),
        ("old", encode(make_batch("old", 0)), QuarantineReason.REVOKED_DEVICE),
        (
            "cam-1",
            json.dumps({"v": 2, "d": "cam-1"}).encode(),
            QuarantineReason.WRONG_SCHEMA_VERSION,
        ),
        ("cam-1", b"{" * 300_000, QuarantineReason.OVERSIZED),
        ("cam-1", b"\x00\x01 not json", QuarantineReason.MALFORMED),
    ],
)
def test_refused_messages_are_quarantined_with_reason(
    hub: Hub, broker: MosquittoBroker, user: str, payload: bytes, reason: QuarantineReason
) -> None:
    cam = device(broker, user)
    cam.publish([(topics.readings(user), payload)])
    counter = hub.worker.metrics.quarantined.labels(reason.value)
    assert wait_until(lambda: counter._value.get() == 1)
    assert len(hub.directory.quarantined) == 1
    record = hub.directory.quarantined[0]
    assert record.reason == reason and record.device_id == user
    assert record.payload_excerpt == payload[:1024] and record.payload_size == len(payload)
    assert hub.store.query_raw(Selection(0, 2**32, device_ids=(user,))).readings == []
    cam.close()


class FlakyStore(SqliteSeriesStore):
    """The real SQLite store that refuses the first ``failures`` writes, like a server outage."""

    failures = 3

    def write(
        self,
        readings: Sequence[StoredReading],
        gaps: Sequence[StoredGap] = (),
        aggregates: Sequence[StoredAggregate] = (),
    ) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise StoreUnavailable("series store down (test)")
        return super().write(readings, gaps, aggregates)


def test_store_outage_delays_but_loses_nothing(broker: MosquittoBroker, tmp_path: Path) -> None:
    hub = start_hub(broker, FlakyStore(tmp_path / "s.db"), retry_backoff_s=0.05)
    cam = device(broker, "cam-1")
    cam.publish([(topics.readings("cam-1"), encode(make_batch("cam-1", s))) for s in (0, 10)])
    assert wait_until(lambda: len(hub.store.query_raw(ALL).readings) == 20)
    assert hub.worker.metrics.write_failures._value.get() >= 3
    hub.worker.stop()
    cam.close()
