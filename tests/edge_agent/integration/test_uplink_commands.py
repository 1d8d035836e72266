"""Commands, heartbeats, status and refused credentials through a real Mosquitto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from paho.mqtt import publish

from edge_agent.commands import CommandHandler
from edge_agent.config import AgentConfig, load_config
from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.config_store import ConfigStore
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.outbox import Outbox
from edge_agent.uplink_stage import UplinkStage
from pm25 import topics
from pm25.wire import CommandAck, Heartbeat, Status, decode
from tests.conftest import HUB_USER, WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

DEVICE = "cam-cmd"


def _stage(tmp_path: Path, port: int, password: str) -> tuple[UplinkStage, list[AgentConfig]]:
    config = tmp_path / "agent.yaml"
    config.write_text(f"device_id: {DEVICE}\ndata_dir: {tmp_path / 'data'}\n")
    changes: list[AgentConfig] = []
    store = ConfigStore(config, load_config(config), changes.append)
    outbox = Outbox(tmp_path / "outbox.db")
    health = Health("0.1.0", tmp_path, outbox, lambda: ModelInfo(2, "haze", "onnxruntime_cpu"))
    mqtt = MqttConfig(port=port, password=password, auth_retry_s=30, backoff={"initial_s": 0.2})
    stage = UplinkStage(
        DEVICE,
        outbox,
        mqtt,
        UplinkConfig(),
        HeartbeatConfig(interval_s=3600),
        agent_version="0.1.0",
        health=health.heartbeat,
        commands=CommandHandler(DEVICE, store, lambda: None),
    )
    return stage, changes


@pytest.fixture
def running(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> Iterator[tuple[UplinkStage, list[AgentConfig], Watcher]]:
    mosquitto.users[DEVICE] = "cmd-pw"
    mosquitto.start()
    watcher = Watcher(mosquitto.port, *WATCHER_USER, [f"pm25/v1/{DEVICE}/#"]).start()
    stage, changes = _stage(tmp_path, mosquitto.port, "cmd-pw")
    stop = threading.Event()
    thread = threading.Thread(target=stage.run, args=(stop,))
    thread.start()
    yield stage, changes, watcher
    stop.set()
    thread.join(20)
    watcher.stop()


def _send(port: int, payload: dict[str, object] | bytes) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    auth: publish.AuthParameter = {"username": HUB_USER[0], "password": HUB_USER[1]}
    publish.single(topics.cmd(DEVICE), body, qos=1, hostname="127.0.0.1", port=port, auth=auth)


def _acks(watcher: Watcher, n: int) -> list[CommandAck]:
    acks: list[CommandAck] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msgs = watcher.wait_for(0, 0)
        acks = [decode(CommandAck, m.payload) for m in msgs if m.topic == topics.ack(DEVICE)]
        if len(acks) >= n:
            return acks
        time.sleep(0.05)
    return acks


def test_status_heartbeat_and_commands(
    running: tuple[UplinkStage, list[AgentConfig], Watcher], mosquitto: MosquittoBroker
) -> None:
    stage, changes, watcher = running
    deadline = time.monotonic() + 10
    while not stage.link.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # SUBACK for the cmd topic
    issued = 1_750_000_000
    _send(mosquitto.port, {"v": 1, "id": "p1", "issued_at": issued, "type": "ping"})
    _send(
        mosquitto.port,
        {
            "v": 1,
            "id": "c1",
            "issued_at": issued,
            "type": "config",
            "patch": {"uplink": {"max_count": 7}},
        },
    )
    _send(
        mosquitto.port,
        {
            "v": 1,
            "id": "c2",
            "issued_at": issued,
            "type": "config",
            "patch": {"uplink": {"max_count": -1}},
        },
    )
    _send(mosquitto.port, b'{"v":1,"id":"bad1","type":"nope"}')
    _send(mosquitto.port, b"\x00garbage")
    acks = {a.id: a for a in _acks(watcher, 4)}
    assert acks["p1"].ok and acks["c1"].ok
    assert not acks["c2"].ok and "uplink.max_count" in (acks["c2"].reason or "")
    assert not acks["bad1"].ok
    assert [c.uplink.max_count for c in changes] == [7]
    msgs = watcher.wait_for(0, 0)
    statuses = [decode(Status, m.payload) for m in msgs if m.topic == topics.status(DEVICE)]
    assert statuses and statuses[0].state == "online"
    assert any(m.topic == topics.heartbeat(DEVICE) for m in msgs)
    decode(Heartbeat, next(m.payload for m in msgs if m.topic == topics.heartbeat(DEVICE)))


def test_refused_credentials_give_a_clear_status(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    mosquitto.users[DEVICE] = "right-pw"
    mosquitto.start()
    stage, _ = _stage(tmp_path, mosquitto.port, "wrong-pw")
    deadline = time.monotonic() + 10
    while "broker_auth_failed" not in stage.link.errors and time.monotonic() < deadline:
        stage.step()
    assert "broker_auth_failed" in stage.link.errors
    assert not stage.link.connected
    attempts = stage.link.attempts
    for _ in range(20):  # slow retry (auth_retry_s): no hammering the broker
        stage.step()
    assert stage.link.attempts == attempts and stage.link.state == "disconnected"
