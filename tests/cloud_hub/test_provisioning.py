"""Provisioning against a real Mosquitto: the $7$ hashes we write are accepted, the ACL confines a
device to its own topics, rotation and revocation take effect on SIGHUP; the CLI end to end."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from cloud_hub import cli
from cloud_hub.errors import Conflict, ValidationFailed
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.provisioning import Provisioner, mosquitto
from cloud_hub.registry import Registry, devices
from cloud_hub.settings import BrokerFilesSettings
from pm25 import topics
from tests.conftest import WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher


def _connect(port: int, user: str, password: str) -> mqtt.Client | None:
    """A connected client, or None if the broker refused the login."""
    result: dict[str, int] = {}
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)

    def on_connect(_c: object, _u: object, _f: object, rc: object, _p: object) -> None:
        result["rc"] = int(getattr(rc, "value", rc))  # type: ignore[call-overload]
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert done.wait(10), "no CONNACK"
    if result["rc"] != 0:
        client.loop_stop()
        return None
    return client


def test_hash_format_matches_mosquitto_passwd() -> None:
    # Known vector from mosquitto_passwd 2.0 (salt and hash taken from its output).
    salt = "lqwTbgbGj2kn+Q2Y"
    expected = (
        "$7$101$lqwTbgbGj2kn+Q2Y$i8WxKtqdpeQEUNrh7S2XplWGA4XeEGTzi4nv9W6aLEI1heH/6gEjkzfO3i4hw/"
        "4QJOIYETSQwmtvcfSf4/wgvQ=="
    )
    import base64

    assert mosquitto.hash_password("secret123", salt=base64.b64decode(salt)) == expected


def test_password_file_edits_keep_other_users(tmp_path: Path) -> None:
    f = tmp_path / "passwd"
    mosquitto.set_user(f, "a", "pw-a")
    mosquitto.set_user(f, "b", "pw-b")
    mosquitto.set_user(f, "a", None)
    assert list(mosquitto.read_entries(f)) == ["b"]
    assert oct(f.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ValidationFailed):
        mosquitto.set_user(f, "bad:name", "x")


def test_device_lifecycle_on_real_broker(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    mosquitto.start()
    assert mosquitto.process is not None
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(str(mosquitto.process.pid))
    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    files = BrokerFilesSettings(password_file=mosquitto.workdir / "passwd", pid_file=pid_file)
    prov = Provisioner(registry, files, MqttSettings(port=mosquitto.port))

    creds = prov.add("tester", "cam-1")
    other = prov.add("tester", "cam-2")
    bundle = yaml.safe_load(creds.bundle_yaml)
    assert bundle["mqtt"] == {
        "host": "127.0.0.1",
        "port": mosquitto.port,
        "username": "cam-1",
        "password": creds.mqtt_password,
    }
    watcher = Watcher(mosquitto.port, *WATCHER_USER, topics=["pm25/v1/#"]).start()
    try:
        client = _reconnect_until(mosquitto.port, "cam-1", creds.mqtt_password)
        client.publish(topics.heartbeat("cam-1"), b"own", qos=1).wait_for_publish(5)
        client.publish(topics.heartbeat("cam-2"), b"spoof", qos=1).wait_for_publish(5)
        client.publish(topics.heartbeat("cam-1"), b"marker", qos=1).wait_for_publish(5)
        got = watcher.wait_for(2)
        assert [(m.topic, m.payload) for m in got] == [
            (topics.heartbeat("cam-1"), b"own"),
            (topics.heartbeat("cam-1"), b"marker"),
        ]
        client.disconnect()
        client.loop_stop()

        rotated = prov.rotate("tester", "cam-1")
        assert _eventually_refused(mosquitto.port, "cam-1", creds.mqtt_password)
        _reconnect_until(mosquitto.port, "cam-1", rotated.mqtt_password).disconnect()

        prov.revoke("tester", "cam-2")
        assert _eventually_refused(mosquitto.port, "cam-2", other.mqtt_password)
        with registry.session() as s:
            assert devices.get_device(s, "cam-2").status == "revoked"
        with pytest.raises(Conflict):
            prov.rotate("tester", "cam-2")
    finally:
        watcher.stop()
        registry.close()


def _reconnect_until(port: int, user: str, password: str) -> mqtt.Client:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        client = _connect(port, user, password)
        if client is not None:
            return client
        time.sleep(0.2)  # the broker reloads the password file on SIGHUP, asynchronously
    raise AssertionError(f"{user} could not log in")


def _eventually_refused(port: int, user: str, password: str) -> bool:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        client = _connect(port, user, password)
        if client is None:
            return True
        client.disconnect()
        client.loop_stop()
        time.sleep(0.2)
    return False


def test_invalid_device_id_refused(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    prov = Provisioner(registry, BrokerFilesSettings(), MqttSettings())
    with pytest.raises(ValidationFailed, match="device id"):
        prov.add("tester", "Cam/1")
    registry.close()


def test_cli_add_list_rotate_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLOUD_HUB_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("CLOUD_HUB_BROKER_FILES__PASSWORD_FILE", str(tmp_path / "passwd"))
    out = tmp_path / "cam-9.yaml"
    assert cli.main(["devices", "add", "cam-9", "--name", "Gate", "--out", str(out)]) == 0
    bundle = yaml.safe_load(out.read_text())
    assert bundle["device_id"] == "cam-9" and oct(out.stat().st_mode & 0o777) == "0o600"
    assert "cam-9" in mosquitto.read_entries(tmp_path / "passwd")
    assert cli.main(["devices", "add", "cam-9"]) == 1
    assert "already registered" in capsys.readouterr().err
    assert cli.main(["devices", "rotate", "cam-9"]) == 0
    assert "password:" in capsys.readouterr().out
    assert cli.main(["devices", "revoke", "cam-9"]) == 0
    assert "cam-9" not in mosquitto.read_entries(tmp_path / "passwd")
    capsys.readouterr()
    assert cli.main(["devices", "list"]) == 0
    assert '"status": "revoked"' in capsys.readouterr().out


def test_bundle_is_accepted_by_the_edge_agent_mqtt_section(tmp_path: Path) -> None:
    config_sections = pytest.importorskip("edge_agent.config_sections")
    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    creds = Provisioner(registry, BrokerFilesSettings(), MqttSettings(tls=True, port=8883)).add(
        "tester", "cam-1"
    )
    bundle = yaml.safe_load(creds.bundle_yaml)
    section = config_sections.MqttConfig.model_validate(bundle["mqtt"])
    assert section.port == 8883 and section.username == "cam-1"
    registry.close()


@pytest.mark.parametrize("tls", [False, True])
def test_bundle_loads_as_edge_agent_config(tmp_path: Path, tls: bool) -> None:
    """The bundle `cloud-hub devices add --out` writes is what `edge-agent run --config` reads."""
    from edge_agent.config import load_config

    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    mqtt_settings = MqttSettings(host="hub.example", port=8883 if tls else 1883, tls=tls)
    creds = Provisioner(registry, BrokerFilesSettings(), mqtt_settings).add("tester", "cam-7")
    registry.close()
    path = tmp_path / "cam-7.yaml"
    path.write_text(creds.bundle_yaml)
    config = load_config(path)
    assert (config.device_id, config.mqtt.host, config.mqtt.username) == (
        "cam-7",
        "hub.example",
        "cam-7",
    )
    assert config.mqtt.port == mqtt_settings.port
    assert config.mqtt.password is not None
    assert config.mqtt.password.get_secret_value() == creds.mqtt_password
    assert (config.mqtt.tls is not None) is tls
