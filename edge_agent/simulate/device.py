"""One simulated unit: the agent's own outbox, uplink, sync, heartbeat and command code, no camera.

:class:`FleetUplink` is the agent's :class:`UplinkStage` with a non-blocking step, so one thread
can drive hundreds of them (the agent's step waits up to 50 ms for the socket, fine for one unit).
"""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr

from edge_agent.backoff import BackoffConfig
from edge_agent.commands import CommandHandler
from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.outbox import Outbox
from edge_agent.simulate.config import SimConfig
from edge_agent.simulate.link import NonBlockingLink
from edge_agent.simulate.readings import ReadingSource
from edge_agent.uplink_stage import UplinkStage
from pm25 import topics
from pm25.wire import encode

try:
    AGENT_VERSION = version("pm25vision-edge")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    AGENT_VERSION = "0.0.0"


class _NoConfig:
    """A simulated unit has no configuration to patch: it refuses, as the protocol allows."""

    def apply_patch(self, patch: dict[str, Any]) -> str | None:
        return "simulated unit: configuration patches are not applied"


class FleetUplink(UplinkStage):
    """The uplink stage with a :class:`NonBlockingLink` and a step that never waits."""

    def __init__(self, device_id: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(device_id, *args, **kwargs)
        self.link = NonBlockingLink(device_id, self.link.config, self.link.agent_version, self)
        self.heartbeats = 0

    def step(self) -> None:
        self.link.poll(0.0)
        self.sync.pump()
        now = time.monotonic()
        if self.link.connected and self._health is not None and now >= self._next_hb:
            self._next_hb = now + self._hb_interval
            self.link.publish(topics.heartbeat(self.device_id), encode(self._health()))
            self.heartbeats += 1


class SimDevice:
    """A device id, its outbox (``<data_dir>/<id>/outbox.db``), reading source and uplink."""

    def __init__(
        self, device_id: str, password: SecretStr, index: int, cfg: SimConfig, data_dir: Path
    ) -> None:
        self.device_id = device_id
        home = data_dir / device_id
        home.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(home / "outbox.db")
        self.source = ReadingSource(cfg.seed, index, cfg.model_version)
        self._rng = np.random.default_rng([cfg.seed, index, 1])
        self.interval_s = cfg.interval_s
        # Devices start out of phase, as real units do.
        self.next_reading = time.time() + float(self._rng.uniform(0, cfg.interval_s))
        self.produced = 0
        info = ModelInfo(cfg.model_version, "simulated", "none", "fleet simulator: no model")
        self.health = Health(AGENT_VERSION, home, self.outbox, lambda: info)
        mqtt = MqttConfig(
            host=cfg.host,
            port=cfg.port,
            password=password,
            keepalive_s=60,
            backoff=BackoffConfig(initial_s=0.5, max_s=cfg.reconnect_max_s),
        )
        self.commands = CommandHandler(device_id, _NoConfig(), lambda: None)
        self.uplink = FleetUplink(
            device_id,
            self.outbox,
            mqtt,
            UplinkConfig(max_count=cfg.batch, max_age_s=cfg.batch_age_s),
            HeartbeatConfig(interval_s=cfg.heartbeat_s),
            agent_version=AGENT_VERSION,
            health=self.health.heartbeat,
            commands=self.commands,
            flush_s=cfg.flush_s,
        )
        self.health.add_error_source(lambda: self.uplink.link.errors)
        self.health.add_error_source(lambda: self.outbox.error_codes)

    def produce(self, now: float) -> int:
        """Commit the readings due by ``now`` to the outbox; how many."""
        made = 0
        while now >= self.next_reading:
            t = int(self.next_reading)
            self.outbox.append(self.source.reading(t))
            self.health.frame(accepted=True, latency_ms=float(self._rng.normal(45.0, 6.0)))
            self.next_reading += self.interval_s
            made += 1
        self.produced += made
        return made

    @property
    def unsent(self) -> int:
        return self.outbox.stats().depth

    def drained(self) -> bool:
        return self.uplink.sync.in_flight == 0 and not self.outbox.unsent(limit=1)

    def close(self) -> None:
        self.uplink.link.close()
        self.outbox.close()
