"""End to end on this machine: hub (ingest + rollout evaluator) + real Mosquitto + a handful of
devices provisioned over the API, each its own MQTT client under the per-device ACL. Devices answer
``update_notice`` like the edge agent (ack, then heartbeats carrying the ``update`` section); the
rollout is created over the API and its outcome read back over the API."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud_hub.rollouts.fleet_sim import GOOD, WILD, Behaviour, heartbeat
from pm25 import topics
from pm25.topics import Kind
from pm25.wire import CommandAck, UpdateNoticeCommand, decode, encode
from pm25.wire.device import UpdateProgress
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.conftest import HUB_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.ota.helpers import Repo
from tests.ota.server import RepoServer
from tests.support.mosquitto import MosquittoBroker

FLEET = {"cam-a1": "z1", "cam-a2": "z1", "cam-a3": "z1", "cam-b1": "z2", "cam-b2": "z2",
         "cam-c1": "z3"}  # fmt: skip


class Device:
    """One simulated camera unit on its own MQTT login."""

    def __init__(self, device_id: str, password: str, port: int, how: Behaviour) -> None:
        self.id, self.how = device_id, how
        self.mv = 1
        self.progress: UpdateProgress | None = None
        self.notices: list[UpdateNoticeCommand] = []
        self._stop = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(device_id, password)
        self.client.on_connect = lambda c, *_: c.subscribe(topics.cmd(device_id), qos=1)
        self.client.on_message = self._on_message
        deadline = time.monotonic() + 10
        while True:  # the broker reloads its password file on SIGHUP, asynchronously
            try:
                self.client.connect("127.0.0.1", port)
                break
            except (OSError, ValueError):
                assert time.monotonic() < deadline, "device could not log in"
                time.sleep(0.2)
        self.client.loop_start()
        self._beats = threading.Thread(target=self._beat_loop, daemon=True)
        self._beats.start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        cmd = decode(Kind.CMD, bytes(msg.payload))
        if not isinstance(cmd, UpdateNoticeCommand) or self.how == "silent":
            return
        self.notices.append(cmd)
        now = datetime.now(UTC)
        ack = CommandAck(id=cmd.id, ok=True, result={"accepted": True}, t=now)
        self.client.publish(topics.ack(self.id), encode(ack), qos=1)
        if self.how == "fails":
            self.progress = UpdateProgress(
                state="failed", version=cmd.release, rollout=cmd.rollout_id, reason="self-test"
            )
        else:
            shadow = WILD if self.how == "disagrees" else GOOD
            self.mv = cmd.release
            self.progress = UpdateProgress(state="active", version=cmd.release,
                                           rollout=cmd.rollout_id, shadow=shadow)  # fmt: skip
        self._send_heartbeat()

    def _send_heartbeat(self) -> None:
        beat = heartbeat(time.time(), self.mv, self.progress)
        self.client.publish(topics.heartbeat(self.id), encode(beat), qos=1)

    def _beat_loop(self) -> None:
        while not self._stop.wait(0.5):
            if self.how != "silent":
                self._send_heartbeat()

    def close(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def fleet_and_hub(
    tmp_path: Path, mosquitto: MosquittoBroker, behaviour: dict[str, Behaviour]
) -> Iterator[tuple[HubClient, dict[str, Device]]]:
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings: dict[str, Any] = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-rollout-e2e", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "rollouts": {"enabled": True, "interval_s": 0.3},
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        for zone in sorted(set(FLEET.values())):
            assert h.client.post("/api/v1/zones", json={"id": zone, "name": zone},
                                 headers=op).status_code == 201  # fmt: skip
        devices = {}
        for device_id, zone in FLEET.items():
            r = h.client.post(
                "/api/v1/devices", json={"id": device_id, "zone_id": zone}, headers=op
            )
            assert r.status_code == 201, r.text
            how = behaviour.get(device_id, "ok")
            devices[device_id] = Device(device_id, r.json()["mqtt_password"], mosquitto.port, how)
        try:
            yield h, devices
        finally:
            for d in devices.values():
                d.close()


def _wait_for(check: Callable[[], Any], timeout_s: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def _rollout(h: HubClient, **spec: Any) -> str:
    body = {"model_name": "pm25-haze", "version": 2, "spec": spec}
    r = h.client.post("/api/v1/rollouts", json=body, headers=h.headers("operator"))
    assert r.status_code == 201, r.text
    rollout_id: str = r.json()["id"]
    return rollout_id


def _final(h: HubClient, rid: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        got: dict[str, Any] = h.client.get(f"/api/v1/rollouts/{rid}",
                                           headers=h.headers("viewer")).json()  # fmt: skip
        return got if got["state"] != "running" else None

    result: dict[str, Any] = _wait_for(done)
    return result


def test_rollout_completes_as_devices_report(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    with fleet_and_hub(tmp_path, mosquitto, {}) as (h, devices):
        rid = _rollout(h, stages={"fractions": [0.34, 1.0]})
        got = _final(h, rid)
        assert got["state"] == "completed", got["gate"]
        assert {d["state"] for d in got["device_status"]} == {"updated"}
        assert all(len(d.notices) == 1 and d.notices[0].rollout_id == rid for d in devices.values())
        listed = h.client.get("/api/v1/devices", headers=h.headers("viewer")).json()
        assert {d["id"]: d["model_version"] for d in listed} == dict.fromkeys(FLEET, 2)


def test_a_silent_device_fails_the_stage(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    with fleet_and_hub(tmp_path, mosquitto, {"cam-a2": "silent"}) as (h, _devices):
        rid = _rollout(h, stages={"fractions": [1.0]},
                       gates={"silent_timeout_s": 2, "max_failure_rate": 0.1})  # fmt: skip
        got = _final(h, rid)
        assert got["state"] == "paused"
        status = {d["device_id"]: d for d in got["device_status"]}
        assert status["cam-a2"]["state"] == "failed" and "silent" in status["cam-a2"]["reason"]
        assert got["gate"]["verdict"] == "fail"


@pytest.mark.parametrize("on_failure", ["roll_back"])
def test_a_wildly_disagreeing_shadow_stops_the_rollout(
    tmp_path: Path, mosquitto: MosquittoBroker, on_failure: str
) -> None:
    wild: dict[str, Behaviour] = dict.fromkeys(FLEET, "disagrees")
    with fleet_and_hub(tmp_path, mosquitto, wild) as (h, devices):
        rid = _rollout(h, stages={"fractions": [0.34, 1.0]}, on_failure=on_failure)
        got = _final(h, rid)
        assert got["state"] == "rolled_back"
        assert any(r.startswith("shadow agreement") for r in got["gate"]["reasons"])
        told = sum(len(d.notices) for d in devices.values())
        assert 0 < told < len(FLEET)  # the later stage was never told


def test_a_real_agent_updates_through_a_rollout(
    tmp_path: Path, mosquitto: MosquittoBroker, repo: Repo, server: RepoServer
) -> None:
    """The whole flow with a real `edge-agent run`: signed release in a TUF repository → rollout
    over the API → notice over MQTT → TUF download, self-test, shadow run, activation → the agent
    restarts on the new model → its heartbeats complete the rollout."""
    repo.release(2)
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings: dict[str, Any] = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-agent-e2e", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "rollouts": {"enabled": True, "interval_s": 0.3, "repository_url": server.url,
                     "repository_dir": str(repo.store.root)},
    }  # fmt: skip
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        r = h.client.post("/api/v1/devices", json={"id": "cam-real"}, headers=op)
        assert r.status_code == 201, r.text
        data = tmp_path / "agent"
        root = repo.store.root / "metadata" / "1.root.json"  # what the device was provisioned with
        env = agent_env("cam-real", mosquitto.port, r.json()["mqtt_password"], data,
                        repo.template,
                        EDGE_AGENT_HEARTBEAT__INTERVAL_S="0.5",
                        EDGE_AGENT_UPDATE__ENABLED="true",
                        EDGE_AGENT_UPDATE__REPOSITORY_URL=server.url,
                        EDGE_AGENT_UPDATE__TRUSTED_ROOT=str(root),
                        EDGE_AGENT_UPDATE__MODEL_NAME="fixture",
                        EDGE_AGENT_UPDATE__SHADOW_S="1")  # fmt: skip
        log = tmp_path / "agent.log"
        agent = start_agent(env, log)
        try:
            wait_for_seq(data, 10)
            _wait_for(lambda: h.client.get("/api/v1/devices/cam-real", headers=op).json()[
                "model_version"] == 1)  # fmt: skip
            body = {"model_name": "fixture", "version": 2,
                    "spec": {"stages": {"fractions": [1.0]}}}  # fmt: skip
            rid = h.client.post("/api/v1/rollouts", json=body, headers=op).json()["id"]
            got = _final(h, rid)
            before = wait_for_seq(data, 0).next_seq
            wait_for_seq(data, before + 10)  # still producing on the new model
            agent.send_signal(signal.SIGTERM)
            assert agent.wait(30) == 0
        finally:
            if agent.poll() is None:
                agent.kill()
    text = log.read_text()
    assert got["state"] == "completed", (got["gate"], text[-3000:])
    [device] = got["device_status"]
    assert device["state"] == "updated"
    assert device["shadow"]["n"] > 0 and device["shadow"]["within"] == 1.0
    assert "restarting stages" in text and "Traceback" not in text
