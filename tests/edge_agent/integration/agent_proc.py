"""Runs the real ``edge-agent run`` as a subprocess with the dev profile and env overrides."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from edge_agent.outbox import OutboxStats, read_status

ROOT = Path(__file__).resolve().parents[3]
DEV_PROFILE = ROOT / "firmware_configs" / "dev.yaml"


def agent_env(
    device_id: str, port: int, password: str, data_dir: Path, model: Path, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EDGE_AGENT_DEVICE_ID=device_id,
        EDGE_AGENT_DATA_DIR=str(data_dir),
        EDGE_AGENT_MQTT__PORT=str(port),
        EDGE_AGENT_MQTT__PASSWORD=password,
        EDGE_AGENT_INFERENCE__MODEL=str(model),
        EDGE_AGENT_INFERENCE__PRECISION="fp32",
        EDGE_AGENT_GATE__ENABLED="false",  # the simulated city may be in its night right now
        EDGE_AGENT_CAPTURE__INTERVAL_S="0.02",
        EDGE_AGENT_CAPTURE__SOURCE__WIDTH="320",
        EDGE_AGENT_CAPTURE__SOURCE__HEIGHT="180",
        EDGE_AGENT_UPLINK__MAX_COUNT="20",
        EDGE_AGENT_UPLINK__MAX_AGE_S="0.5",
        EDGE_AGENT_MQTT__BACKOFF__MAX_S="1",
        EDGE_AGENT_MQTT__BACKOFF__INITIAL_S="0.2",
    )
    env.update(extra)
    return env


def start_agent(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "edge_agent", "run", "--config", str(DEV_PROFILE)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )


def wait_for_seq(data_dir: Path, seq: int, timeout_s: float = 30) -> OutboxStats:
    """Wait until the agent's outbox has assigned ``seq`` (read-only status)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            stats = read_status(data_dir / "outbox.db")
            if stats.next_seq > seq:
                return stats
        except Exception:  # not created yet, or mid-migration
            pass
        time.sleep(0.1)
    raise TimeoutError(f"outbox in {data_dir} never reached seq {seq}")
