"""The hub's MQTT publisher on a real Mosquitto: a batch (a wave, a fleet-wide hold) goes over one
connection with every PUBACK awaited; a broker that is down or refuses the hub is a clear
StoreUnavailable, and a rollout action then answers 503 and changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud_hub.app import MqttPublisher
from cloud_hub.errors import StoreUnavailable
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.registry import devices
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import SimFleet
from pm25 import topics
from pm25.wire import decode
from tests.cloud_hub.hub_support import running_hub
from tests.conftest import HUB_USER, WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher
from tests.support.ports import free_port


def _settings(port: int, password: str = HUB_USER[1]) -> MqttSettings:
    return MqttSettings(port=port, username=HUB_USER[0], password=password)


def _publisher_logins(broker: MosquittoBroker) -> int:
    """Connections the broker accepted from the hub's publisher (Mosquitto's notice log)."""
    log = broker.log_path.read_text(errors="replace")
    lines = log.splitlines()
    return sum(1 for x in lines if "New client connected" in x and "cloud-hub-pub-" in x)


def test_a_batch_goes_over_one_connection_and_every_message_arrives(
    mosquitto: MosquittoBroker,
) -> None:
    mosquitto.start()
    batch = [(topics.desired(f"cam-{i:03d}"), f"hold {i}".encode(), True) for i in range(300)]
    MqttPublisher(_settings(mosquitto.port)).many(batch)
    assert _publisher_logins(mosquitto) == 1
    # Retained, so a subscriber arriving afterwards still gets every one of them.
    watcher = Watcher(mosquitto.port, *WATCHER_USER, ["pm25/v1/+/desired"]).start()
    try:
        got = watcher.wait_for(300)
    finally:
        watcher.stop()
    assert sorted((m.topic, m.payload) for m in got) == sorted((t, p) for t, p, _ in batch)
    assert all(m.retain for m in got)


def test_a_single_message_is_a_batch_of_one(mosquitto: MosquittoBroker) -> None:
    mosquitto.start()
    watcher = Watcher(mosquitto.port, *WATCHER_USER, ["pm25/v1/cam-1/cmd"]).start()
    try:
        MqttPublisher(_settings(mosquitto.port))(topics.cmd("cam-1"), b"ping")
        (got,) = watcher.wait_for(1)
    finally:
        watcher.stop()
    assert (got.payload, got.retain) == (b"ping", False)


def test_a_broker_that_is_down_is_a_clear_error_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="broker unreachable"):
        MqttPublisher(_settings(free_port())).many([(topics.cmd("cam-1"), b"x", False)])
    assert time.monotonic() - started < 5


def test_a_broker_that_refuses_the_hub_is_a_clear_error(mosquitto: MosquittoBroker) -> None:
    mosquitto.start()
    with pytest.raises(StoreUnavailable, match="refused the hub's login"):
        MqttPublisher(_settings(mosquitto.port, "wrong")).many([(topics.cmd("c"), b"x", False)])


def test_an_empty_batch_opens_no_connection(mosquitto: MosquittoBroker) -> None:
    mosquitto.start()
    MqttPublisher(_settings(mosquitto.port)).many([])
    assert _publisher_logins(mosquitto) == 0


def test_aborting_on_a_real_broker_holds_every_device_over_one_connection(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """Broker down: 503 and the rollout runs on; broker back: one connection, every hold."""
    hub_mqtt = {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]}
    with running_hub(tmp_path, mqtt=hub_mqtt) as h:
        with h.hub.registry.session() as s:
            for i in range(40):
                devices.create_device(s, "test", f"cam-{i:02d}")
        body = {"model_name": "fixture", "version": 2, "spec": {"stages": {"fractions": [1.0]}}}
        op = h.headers("operator")
        rid = h.client.post("/api/v1/rollouts", json=body, headers=op).json()["id"]
        fleet = SimFleet(RegistryDirectory(h.hub.registry))  # the wave itself, captured
        RolloutEvaluator(h.hub.registry, fleet.publish, h.hub.settings.rollouts).run_once()
        told = sorted(topics.parse_topic(t)[0] for t, _ in fleet.outbox if t.endswith("/desired"))
        assert len(told) == 40

        r = h.client.post(f"/api/v1/rollouts/{rid}/abort", headers=op)  # broker not started
        assert r.status_code == 503 and "broker unreachable" in r.text
        got = h.client.get(f"/api/v1/rollouts/{rid}", headers=h.headers("viewer")).json()
        assert got["state"] == "running"

        mosquitto.start()
        assert h.client.post(f"/api/v1/rollouts/{rid}/abort", headers=op).status_code == 200
        assert _publisher_logins(mosquitto) == 1
        watcher = Watcher(mosquitto.port, *WATCHER_USER, ["pm25/v1/+/desired"]).start()
        try:
            held = watcher.wait_for(40)
        finally:
            watcher.stop()
        assert sorted(topics.parse_topic(m.topic)[0] for m in held) == told
        for m in held:
            hold = decode("desired", m.payload)
            assert (hold.action, hold.rollout_id, hold.reason) == ("hold", rid, "rollout aborted")
