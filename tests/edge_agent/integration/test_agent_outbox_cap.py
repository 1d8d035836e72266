"""(c) A long outage fills the outbox past its cap: old readings are compacted into aggregates,
gap records say which seqs they replaced, and after the outage every seq the agent produced is
accounted for at the subscriber: delivered raw, or covered by a gap record."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from edge_agent.outbox import read_status
from pm25 import topics
from tests.conftest import WATCHER_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.edge_agent.integration.durable_watcher import DurableWatcher
from tests.edge_agent.integration.readings import batches, covered_seqs, raw_seqs
from tests.support.mosquitto import MosquittoBroker

DEVICE = "cam-cap"
CAP = 64 * 1024


def test_outbox_cap_compacts_and_nothing_vanishes(
    mosquitto: MosquittoBroker, tmp_path: Path, fixture_model_dir: Path
) -> None:
    mosquitto.users[DEVICE] = "cap-pw"
    mosquitto.start()
    watcher = DurableWatcher(mosquitto.port, *WATCHER_USER, [topics.readings(DEVICE)]).start()
    data = tmp_path / "data"
    env = agent_env(
        DEVICE,
        mosquitto.port,
        "cap-pw",
        data,
        fixture_model_dir,
        EDGE_AGENT_OUTBOX__MAX_BYTES=str(CAP),
        EDGE_AGENT_OUTBOX__COMPACTION_INTERVAL_S="60",
        EDGE_AGENT_CAPTURE__INTERVAL_S="0.002",
    )
    log = tmp_path / "agent.log"
    agent = start_agent(env, log)
    try:
        wait_for_seq(data, 10)
        mosquitto.stop()
        deadline = time.monotonic() + 90
        while read_status(data / "outbox.db").extras < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert read_status(data / "outbox.db").used_bytes <= CAP
        mosquitto.start()
        time.sleep(2)
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(30) == 0, log.read_text()[-3000:]
        final = read_status(data / "outbox.db")

        def accounted(msgs: list) -> bool:  # type: ignore[type-arg]
            got = batches(msgs)
            return set(range(final.next_seq)) <= set(raw_seqs(got)) | covered_seqs(got) | {
                a.seq for b in got for a in b.agg
            }

        got = batches(watcher.wait_until(accounted, 20))
    finally:
        if agent.poll() is None:
            agent.kill()
        watcher.stop()
    aggregates = [a for b in got for a in b.agg]
    reasons = {g.reason for b in got for g in b.gaps}
    assert aggregates and "compacted" in reasons
    delivered = set(raw_seqs(got)) | covered_seqs(got) | {a.seq for a in aggregates}
    missing = set(range(final.next_seq)) - delivered
    assert not missing, f"seqs that silently vanished: {sorted(missing)[:20]}"
    assert final.depth == 0 and final.extras == 0
