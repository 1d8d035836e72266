"""(a) The broker stops for 30 s and comes back: every reading arrives, exactly once after
dedupe by (device, seq), the backlog in seq order. Real Mosquitto, real SQLite outbox."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.outbox import Outbox
from edge_agent.uplink_stage import UplinkStage
from pm25 import topics
from tests.conftest import WATCHER_USER
from tests.edge_agent.integration.durable_watcher import DurableWatcher
from tests.edge_agent.integration.readings import batches, raw_seqs
from tests.edge_agent.outbox_helpers import reading
from tests.support.mosquitto import MosquittoBroker

DEVICE = "cam-outage"


def test_broker_outage_loses_and_duplicates_nothing(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    mosquitto.users[DEVICE] = "device-pw"
    mosquitto.start()
    watcher = DurableWatcher(mosquitto.port, *WATCHER_USER, [topics.readings(DEVICE)]).start()
    outbox = Outbox(tmp_path / "outbox.db")
    mqtt = MqttConfig(
        port=mosquitto.port,
        password="device-pw",
        backoff={"initial_s": 0.2, "max_s": 1.0},
        connect_timeout_s=3,
    )
    stage = UplinkStage(
        DEVICE,
        outbox,
        mqtt,
        UplinkConfig(max_count=10, max_age_s=0.5, window=5),
        HeartbeatConfig(),
        agent_version="0.1.0",
    )
    stop, produced = threading.Event(), list[int]()
    t_stage = threading.Thread(target=stage.run, args=(stop,))
    t_stage.start()

    def produce(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            produced.append(outbox.append(reading(len(produced))))
            time.sleep(0.02)

    try:
        produce(2.0)
        mosquitto.stop()
        outage_start = len(produced)
        produce(30.0)
        outage = set(produced[outage_start:])
        assert len(outage) > 500
        mosquitto.start()
        produce(3.0)
        stop.set()
        t_stage.join(20)
        got = watcher.wait_until(lambda m: set(raw_seqs(batches(m))) >= set(produced), 20)
    finally:
        stop.set()
        watcher.stop()
    seqs = raw_seqs(batches(got))
    assert sorted(set(seqs)) == sorted(produced), "a reading was lost (or invented)"
    first_arrival = list(dict.fromkeys(seqs))
    backlog_order = [s for s in first_arrival if s in outage]
    assert backlog_order == sorted(backlog_order), "the backlog was not drained oldest first"
    assert outbox.stats().depth == 0, "acked readings should have left the outbox"
    assert stage.link.connects >= 2
