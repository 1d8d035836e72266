"""A remote config change reaches a running agent: acked, persisted, stages restarted with it."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from paho.mqtt import publish

from edge_agent.outbox import read_status
from pm25 import topics
from pm25.wire import CommandAck, decode
from tests.conftest import HUB_USER, WATCHER_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

DEVICE = "cam-remote"


def test_config_command_is_applied_by_a_running_agent(
    mosquitto: MosquittoBroker, tmp_path: Path, fixture_model_dir: Path
) -> None:
    mosquitto.users[DEVICE] = "remote-pw"
    mosquitto.start()
    watcher = Watcher(mosquitto.port, *WATCHER_USER, [topics.ack(DEVICE)]).start()
    data = tmp_path / "data"
    log = tmp_path / "agent.log"
    agent = start_agent(
        agent_env(DEVICE, mosquitto.port, "remote-pw", data, fixture_model_dir), log
    )
    try:
        wait_for_seq(data, 20)
        time.sleep(0.5)  # subscribed to its cmd topic
        cmd = {
            "v": 1,
            "id": "cfg-1",
            "issued_at": 1_750_000_000,
            "type": "config",
            "patch": {"heartbeat": {"interval_s": 120}},
        }
        auth: publish.AuthParameter = {"username": HUB_USER[0], "password": HUB_USER[1]}
        publish.single(topics.cmd(DEVICE), json.dumps(cmd), qos=1, port=mosquitto.port, auth=auth)
        [ack] = [decode(CommandAck, m.payload) for m in watcher.wait_for(1, timeout_s=10)]
        before = read_status(data / "outbox.db").next_seq
        wait_for_seq(data, before + 20)  # still producing after the stages restarted
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(30) == 0
    finally:
        if agent.poll() is None:
            agent.kill()
        watcher.stop()
    assert ack.ok, ack.reason
    overlay = json.loads((data / "config-overlay.json").read_text())
    assert overlay == {"heartbeat": {"interval_s": 120}}
    text = log.read_text()
    assert "restarting stages with the new configuration" in text and "Traceback" not in text
