"""(b) The agent is SIGKILLed mid-run and restarted: seqs continue and nothing is lost."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from edge_agent.outbox import read_status
from pm25 import topics
from tests.conftest import WATCHER_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.edge_agent.integration.durable_watcher import DurableWatcher
from tests.edge_agent.integration.readings import batches, raw_seqs
from tests.support.mosquitto import MosquittoBroker

DEVICE = "cam-kill"


def test_sigkill_and_restart_loses_nothing(
    mosquitto: MosquittoBroker, tmp_path: Path, fixture_model_dir: Path
) -> None:
    mosquitto.users[DEVICE] = "kill-pw"
    mosquitto.start()
    watcher = DurableWatcher(mosquitto.port, *WATCHER_USER, [topics.readings(DEVICE)]).start()
    data = tmp_path / "data"
    env = agent_env(DEVICE, mosquitto.port, "kill-pw", data, fixture_model_dir)
    log = tmp_path / "agent.log"
    first = start_agent(env, log)
    try:
        wait_for_seq(data, 60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        before = read_status(data / "outbox.db").next_seq
        second = start_agent(env, log)
        wait_for_seq(data, before + 60)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()[-3000:]
        final = read_status(data / "outbox.db")
        expected = set(range(final.next_seq))
        got = watcher.wait_until(lambda m: set(raw_seqs(batches(m))) >= expected, 20)
    finally:
        for proc in (first, locals().get("second")):
            if proc is not None and proc.poll() is None:
                proc.kill()
        watcher.stop()
    seqs = set(raw_seqs(batches(got)))
    assert seqs == expected, (
        f"missing {sorted(expected - seqs)[:10]}, extra {sorted(seqs - expected)[:10]}"
    )
    assert final.next_seq > before + 60 and final.depth == 0
    assert "Traceback" not in log.read_text()
