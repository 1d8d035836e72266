"""Devices that missed their update notice, end to end: a real `edge-agent run`, the hub (ingest +
rollout evaluator) on a real Mosquitto, a signed release served over HTTP.

The device is registered but offline (never connected: no session, so the notice is lost for
good) when its rollout notifies it; only the retained ``desired`` update is left for it. Coming
back it must install the release; if the rollout was aborted meanwhile it must not; and a hostile
``desired`` payload is refused with a reason in the heartbeat while the current model keeps
running.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cloud_hub.mqtt_client import MqttSettings, publish_once
from edge_agent.update.slots import Slots
from pm25 import topics
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.conftest import HUB_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.ota.helpers import Repo
from tests.ota.server import RepoServer
from tests.support.mosquitto import MosquittoBroker

DEVICE = "cam-late"


def _wait_for(check: Callable[[], Any], timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


@contextmanager
def hub_with_offline_device(
    tmp_path: Path, mosquitto: MosquittoBroker, repo: Repo, server: RepoServer
) -> Iterator[tuple[HubClient, str]]:
    repo.release(2)
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings: dict[str, Any] = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-desired-e2e", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "rollouts": {"enabled": True, "interval_s": 0.3, "repository_url": server.url,
                     "repository_dir": str(repo.store.root)},
    }  # fmt: skip
    with running_hub(tmp_path, **settings) as h:
        r = h.client.post("/api/v1/devices", json={"id": DEVICE}, headers=h.headers("operator"))
        assert r.status_code == 201, r.text
        yield h, r.json()["mqtt_password"]


def _start_rollout_while_offline(h: HubClient) -> str:
    body = {"model_name": "fixture", "version": 2, "spec": {"stages": {"fractions": [1.0]}}}
    r = h.client.post("/api/v1/rollouts", json=body, headers=h.headers("operator"))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    _wait_for(
        lambda: [d["state"] for d in _rollout(h, rid)["device_status"]] == ["updating"]
    )  # notified
    return rid


def _rollout(h: HubClient, rid: str) -> dict[str, Any]:
    got: dict[str, Any] = h.client.get(
        f"/api/v1/rollouts/{rid}", headers=h.headers("viewer")
    ).json()
    return got


def _device(h: HubClient) -> dict[str, Any]:
    got: dict[str, Any] = h.client.get(f"/api/v1/devices/{DEVICE}",
                                       headers=h.headers("viewer")).json()  # fmt: skip
    return got


def _agent(tmp_path: Path, port: int, password: str, repo: Repo, server: RepoServer
           ) -> tuple[subprocess.Popen[bytes], Path, Path]:  # fmt: skip
    data = tmp_path / "agent"
    root = repo.store.root / "metadata" / "1.root.json"
    env = agent_env(DEVICE, port, password, data, repo.template,
                    EDGE_AGENT_HEARTBEAT__INTERVAL_S="0.5",
                    EDGE_AGENT_UPDATE__ENABLED="true",
                    EDGE_AGENT_UPDATE__REPOSITORY_URL=server.url,
                    EDGE_AGENT_UPDATE__TRUSTED_ROOT=str(root),
                    EDGE_AGENT_UPDATE__MODEL_NAME="fixture",
                    EDGE_AGENT_UPDATE__SHADOW_S="1",
                    EDGE_AGENT_UPDATE__CHECK_STARTUP_DELAY_S="1",
                    EDGE_AGENT_UPDATE__CHECK_INTERVAL_S="2")  # fmt: skip
    log = tmp_path / "agent.log"
    return start_agent(env, log), data, log


def _stop(agent: subprocess.Popen[bytes]) -> None:
    if agent.poll() is None:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(30)
        except subprocess.TimeoutExpired:
            agent.kill()


def test_a_device_offline_during_its_notice_comes_back_and_updates(
    tmp_path: Path, mosquitto: MosquittoBroker, repo: Repo, server: RepoServer
) -> None:
    with hub_with_offline_device(tmp_path, mosquitto, repo, server) as (h, password):
        rid = _start_rollout_while_offline(h)
        agent, data, log = _agent(tmp_path, mosquitto.port, password, repo, server)
        try:
            got = _wait_for(lambda: (r := _rollout(h, rid))["state"] != "running" and r, 90)
            before = wait_for_seq(data, 0).next_seq
            wait_for_seq(data, before + 10)  # producing on the new model
        finally:
            _stop(agent)
        text = log.read_text()
        assert got["state"] == "completed", (got["gate"], text[-3000:])
        assert got["device_status"][0]["state"] == "updated"
        assert _device(h)["model_version"] == 2
        assert "Traceback" not in text


def test_a_rollout_aborted_while_the_device_was_offline_is_not_installed_and_a_hostile_desired_update_is_refused(  # noqa: E501
    tmp_path: Path, mosquitto: MosquittoBroker, repo: Repo, server: RepoServer
) -> None:
    with hub_with_offline_device(tmp_path, mosquitto, repo, server) as (h, password):
        rid = _start_rollout_while_offline(h)
        r = h.client.post(f"/api/v1/rollouts/{rid}/abort", headers=h.headers("operator"))
        assert r.status_code == 200, r.text
        agent, data, log = _agent(tmp_path, mosquitto.port, password, repo, server)
        try:
            _wait_for(lambda: _device(h).get("model_version") == 1)
            time.sleep(6)  # start-up check (1 s) and two periodic checks (2 s) have run
            assert _device(h)["model_version"] == 1
            assert Slots(data / "models").active() is None  # nothing was ever installed
            hub = MqttSettings(port=mosquitto.port, username=HUB_USER[0],
                               password=HUB_USER[1])  # fmt: skip
            hostile = b'{"v":1,"action":"install","release":2,"target":"../../etc/passwd",' \
                      b'"rollout_id":"r-x","issued_at":1,"rev":99999999999999}'  # fmt: skip
            publish_once(hub, "test-hostile", topics.desired(DEVICE), hostile, retain=True)

            def refused() -> str | None:
                beat = _device(h).get("last_heartbeat") or {}
                notes = {e["code"]: e["msg"] for e in beat.get("errors") or ()}
                return notes.get("desired_update_refused")

            why = _wait_for(refused, 30)
            assert "not this device's model family" in why
            before = wait_for_seq(data, 0).next_seq
            wait_for_seq(data, before + 10)  # the current model keeps producing
            assert _device(h)["model_version"] == 1 and Slots(data / "models").active() is None
        finally:
            _stop(agent)
        assert _rollout(h, rid)["state"] == "aborted"
        assert "Traceback" not in log.read_text()
