"""The fleet: builds the devices, drives them from a few threads, flushes and reports.

Each driver thread owns a shard of devices and passes over it every ``tick_s``: commit the
readings that are due, give each MQTT client a non-blocking turn (connect, read, write, keep
alive), publish what the batching policy says is due. Paho's ``loop_start`` would need one thread
per client; a thousand threads waking 20 times a second cost more CPU than the work itself.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_agent.simulate.config import Credentials, SimConfig
from edge_agent.simulate.device import SimDevice

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FleetReport:
    """What the fleet did; ``unsent`` readings are still in the outboxes at the end."""

    devices: int
    produced: int
    acked: int
    unsent: int
    heartbeats: int
    connects: int
    connect_attempts: int
    commands: int
    elapsed_s: float
    cpu_s: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class Fleet:
    """N simulated devices sharing ``config.threads`` driver threads."""

    def __init__(self, config: SimConfig, credentials: Credentials, data_dir: Path) -> None:
        self.config = config
        self.devices = [
            SimDevice(device_id, password, i, config, data_dir)
            for i, (device_id, password) in enumerate(credentials.devices)
        ]
        self._producing = threading.Event()
        self._producing.set()

    def run(self, stop: threading.Event) -> FleetReport:
        """Run until ``stop`` is set or ``duration_s`` has passed; flush, disconnect, report."""
        started, cpu0 = time.monotonic(), time.process_time()
        shards = [self.devices[i :: self.config.threads] for i in range(self.config.threads)]
        threads = [
            threading.Thread(target=self._drive, args=(s, stop), name=f"sim-{i}", daemon=True)
            for i, s in enumerate(shards)
            if s
        ]
        for t in threads:
            t.start()
        stop.wait(self.config.duration_s)
        self._producing.clear()  # no new readings; drivers keep sending what is left
        deadline = time.monotonic() + self.config.flush_s
        while time.monotonic() < deadline and not all(d.drained() for d in self.devices):
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
        report = self.report(time.monotonic() - started, time.process_time() - cpu0)
        for d in self.devices:
            d.close()
        return report

    def report(self, elapsed_s: float, cpu_s: float) -> FleetReport:
        return FleetReport(
            devices=len(self.devices),
            produced=sum(d.produced for d in self.devices),
            acked=sum(d.uplink.sync.acked_readings for d in self.devices),
            unsent=sum(d.unsent for d in self.devices),
            heartbeats=sum(d.uplink.heartbeats for d in self.devices),
            connects=sum(d.uplink.link.connects for d in self.devices),
            connect_attempts=sum(d.uplink.link.attempts for d in self.devices),
            commands=sum(d.commands.handled for d in self.devices),
            elapsed_s=round(elapsed_s, 3),
            cpu_s=round(cpu_s, 3),
        )

    def _drive(self, shard: list[SimDevice], stop: threading.Event) -> None:
        while not stop.is_set():
            for device in shard:
                try:
                    if self._producing.is_set():
                        device.produce(time.time())
                    else:
                        device.uplink.sync.pump(flush=True)
                    device.uplink.step()
                except Exception:  # the outer loop of a stage: one device must not stop the rest
                    log.exception("simulated device %s failed a step", device.device_id)
            stop.wait(self.config.tick_s)
