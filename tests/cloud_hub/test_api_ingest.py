"""End to end through create_app with ingest on: provision a device over the API against a real
Mosquitto, publish as that device, and read the result back over the API."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from pm25 import topics
from pm25.wire import Status, encode
from tests.cloud_hub.hub_support import running_hub
from tests.conftest import HUB_USER
from tests.pm25 import wire_examples
from tests.support.mosquitto import MosquittoBroker


def _device_client(port: int, user: str, password: str) -> mqtt.Client:
    deadline = time.monotonic() + 10
    while True:  # the broker reloads its password file on SIGHUP, asynchronously
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.username_pw_set(user, password)
        try:
            client.connect("127.0.0.1", port)
            client.loop_start()
            online = Status(state="online", t=wire_examples.T, agent="0.1.0")
            info = client.publish(topics.status(user), encode(online), qos=1, retain=True)
            info.wait_for_publish(2)
            if info.is_published():
                return client
        except (OSError, RuntimeError, ValueError):
            pass
        client.loop_stop()
        if time.monotonic() > deadline:
            raise AssertionError("device could not log in")
        time.sleep(0.2)


def _wait(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_provision_publish_and_query(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-e2e", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        creds = h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op).json()
        assert h.client.get("/ready").json()["checks"]["broker"] == "ok"
        device = _device_client(mosquitto.port, "cam-1", creds["mqtt_password"])
        msgs = wire_examples.messages()
        device.publish(topics.readings("cam-1"), encode(msgs["readings"]), qos=1)
        device.publish(topics.heartbeat("cam-1"), encode(msgs["heartbeat"]), qos=1)

        def online() -> bool:
            d = h.client.get("/api/v1/devices/cam-1", headers=op).json()
            return bool(d["last_heartbeat"])

        _wait(online)
        t0 = int(wire_examples.T.timestamp())
        r = h.client.get(
            "/api/v1/devices/cam-1/readings", params={"start": t0 - 10, "end": t0 + 60}, headers=op
        )
        assert [x["seq"] for x in r.json()["readings"]] == [100, 101, 102]
        device.publish(topics.heartbeat("cam-1"), b"{not json", qos=1)
        _wait(lambda: bool(h.client.get("/api/v1/quarantine", headers=op).json()))
        [q] = h.client.get("/api/v1/quarantine", headers=op).json()
        assert (q["device_id"], q["reason"], q["payload"]) == ("cam-1", "malformed", "{not json")
        assert "hub_ingest_quarantined_total" in h.client.get("/metrics").text
        device.disconnect()
        device.loop_stop()
