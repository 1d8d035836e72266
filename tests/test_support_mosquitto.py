"""The test broker enforces auth and the per-device ACL, like production."""

from __future__ import annotations

import subprocess

from tests.conftest import WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher


def _pub(broker: MosquittoBroker, user: str, password: str, topic: str) -> int:
    cmd = ["mosquitto_pub", "-p", str(broker.port), "-u", user, "-P", password, "-t", topic]
    return subprocess.run([*cmd, "-m", "x", "-q", "1"], capture_output=True, check=False).returncode


def test_device_may_publish_only_under_its_own_topics(mosquitto: MosquittoBroker) -> None:
    mosquitto.users["cam-1"] = "secret-1"
    mosquitto.start()
    watcher = Watcher(mosquitto.port, *WATCHER_USER, topics=["pm25/v1/#"]).start()
    try:
        # Mosquitto accepts a publish the ACL denies and drops it: it must never be delivered.
        assert _pub(mosquitto, "cam-1", "secret-1", "pm25/v1/cam-2/readings") == 0
        assert _pub(mosquitto, "cam-1", "secret-1", "pm25/v1/cam-1/readings") == 0
        got = watcher.wait_for(1)
        assert [m.topic for m in got] == ["pm25/v1/cam-1/readings"]
    finally:
        watcher.stop()


def test_wrong_password_is_refused(mosquitto: MosquittoBroker) -> None:
    mosquitto.users["cam-1"] = "secret-1"
    mosquitto.start()
    assert _pub(mosquitto, "cam-1", "wrong", "pm25/v1/cam-1/readings") != 0
