"""10,000 malformed payloads through a real broker as a device: nothing crashes, all quarantined.

Half are random bytes, half are mutations of a valid batch (truncated, a byte flipped to a
non-JSON byte, a field retyped, the version changed, keys added). They come from a seeded
``random.Random`` so a failure reproduces; hypothesis covers the same decisions in
``test_ingest_validate.py`` where shrinking helps. Each payload is also checked against the pure
``parse`` first, so the test knows that every one of them is invalid.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from pydantic import SecretStr

from cloud_hub.ingest.directory import DeviceAccess, InMemoryDirectory, QuarantineReason
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.ingest.validate import Rejected, parse
from cloud_hub.ingest.worker import IngestWorker
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.series.base import Selection
from cloud_hub.series.sqlite import SqliteSeriesStore
from pm25 import topics
from pm25.wire import encode
from tests.cloud_hub.ingest_support import Publisher, make_batch, wait_until
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker

COUNT = 10_000
VALID = encode(make_batch("cam-1", 0, 30))
TOPIC_KINDS = (topics.readings, topics.heartbeat, topics.status, topics.ack)


def mutate(rng: random.Random) -> bytes:
    obj = json.loads(VALID)
    choice = rng.randrange(5)
    if choice == 0:
        return VALID[: rng.randrange(len(VALID))]
    if choice == 1:
        i = rng.randrange(len(VALID))
        other = rng.choice([b for b in b'\x00\xff{["\\' if b != VALID[i]])
        return VALID[:i] + bytes([other]) + VALID[i + 1 :]
    if choice == 2:
        key = rng.choice(sorted(obj))
        obj[key] = rng.choice([None, "x", -1, [], {}, 1e308, [None]])
    elif choice == 3:
        obj["v"] = rng.choice([0, 2, 99, "1", None, 1.5])
    else:
        obj[f"x{rng.randrange(100)}"] = rng.randrange(10)
    return json.dumps(obj).encode()


def payloads(seed: int = 20261130) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for i in range(COUNT):
        body = rng.randbytes(rng.randrange(300)) if i % 2 else mutate(rng)
        out.append((rng.choice(TOPIC_KINDS)("cam-1"), body))
    return out


def test_fuzz_10000_malformed_payloads_all_quarantined(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    items = payloads()
    assert all(isinstance(parse(t, p), Rejected) for t, p in items)
    mosquitto.users["cam-1"] = "pw-1"
    mosquitto.start()
    directory = InMemoryDirectory({"cam-1": DeviceAccess(registered=True)})
    store = SqliteSeriesStore(tmp_path / "s.db")
    mqtt = MqttSettings(port=mosquitto.port, username=HUB_USER[0], password=SecretStr(HUB_USER[1]))
    worker = IngestWorker(mqtt, IngestSettings(enabled=True), store, directory)
    worker.start()
    cam = Publisher(mosquitto.port, "cam-1", "pw-1")
    try:
        cam.publish(items)
        assert wait_until(lambda: len(directory.quarantined) >= COUNT, 120)
        assert len(directory.quarantined) == COUNT
        reg = worker.metrics.registry
        counted = sum(
            reg.get_sample_value("hub_ingest_quarantined_total", {"reason": r.value}) or 0
            for r in QuarantineReason
        )
        assert counted == COUNT
        assert store.query_raw(Selection(0, 2**32, device_ids=("cam-1",))).readings == []
        # and the worker still works: a valid batch after the storm is stored
        cam.publish([(topics.readings("cam-1"), VALID)])
        sel = Selection(0, 2**32, device_ids=("cam-1",))
        assert wait_until(lambda: len(store.query_raw(sel).readings) == 30)
    finally:
        cam.close()
        worker.stop()
