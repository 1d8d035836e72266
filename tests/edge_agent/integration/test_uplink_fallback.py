"""MQTT 5 refused by the broker → the link falls back to 3.1.1 and readings still arrive."""

from __future__ import annotations

import threading
from pathlib import Path

from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.outbox import Outbox
from edge_agent.uplink_stage import UplinkStage
from pm25 import topics
from tests.conftest import WATCHER_USER
from tests.edge_agent.integration.readings import batches, raw_seqs
from tests.edge_agent.integration.v311_proxy import V311OnlyProxy, protocol_level
from tests.edge_agent.outbox_helpers import reading
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

DEVICE = "cam-old-broker"


def test_falls_back_to_mqtt_311(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    mosquitto.users[DEVICE] = "pw"
    mosquitto.start()
    proxy = V311OnlyProxy(mosquitto.port)
    watcher = Watcher(mosquitto.port, *WATCHER_USER, [topics.readings(DEVICE)]).start()
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append_many([reading(i) for i in range(25)])
    mqtt = MqttConfig(port=proxy.port, password="pw", backoff={"initial_s": 0.1, "max_s": 0.5})
    stage = UplinkStage(
        DEVICE, outbox, mqtt, UplinkConfig(max_count=10), HeartbeatConfig(), agent_version="0.1.0"
    )
    stop = threading.Event()
    thread = threading.Thread(target=stage.run, args=(stop,))
    thread.start()
    try:
        got = watcher.wait_for(1, timeout_s=15)
    finally:
        stop.set()
        thread.join(20)
        watcher.stop()
        proxy.close()
    assert proxy.refused_v5 >= 1 and stage.link.protocol == "3.1.1"
    assert sorted(set(raw_seqs(batches(got)))) == list(range(25))


def test_protocol_level_parsing() -> None:
    v5 = bytes([0x10, 0x10, 0x00, 0x04]) + b"MQTT" + bytes([0x05, 0x02, 0x00, 0x3C])
    v4 = bytes([0x10, 0x0C, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x3C])
    assert (protocol_level(v5), protocol_level(v4)) == (5, 4)
