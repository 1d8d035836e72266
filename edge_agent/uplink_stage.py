"""The uplink stage: one thread owning the MQTT link, moving outbox readings, heartbeats and
command answers. Capture never waits for it: readings are already safe in the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.outbox import Outbox
from edge_agent.sync import OutboxSync
from edge_agent.uplink import MqttLink
from pm25 import topics
from pm25.wire import Heartbeat, encode

log = logging.getLogger(__name__)

Outgoing = tuple[str, bytes]


class CommandSink(Protocol):
    """Handles one incoming command payload; returns the messages to publish (ack, sample)."""

    def handle(self, topic: str, payload: bytes) -> Iterable[Outgoing]: ...


class UplinkStage:
    """Composes the link (transport), the sync (outbox bookkeeping), heartbeats and commands."""

    name = "uplink"

    def __init__(
        self,
        device_id: str,
        outbox: Outbox,
        mqtt: MqttConfig,
        uplink: UplinkConfig,
        heartbeat: HeartbeatConfig,
        *,
        agent_version: str,
        health: Callable[[], Heartbeat] | None = None,
        commands: CommandSink | None = None,
        flush_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.device_id = device_id
        self.sync = OutboxSync(device_id, outbox, uplink, self._publish, clock=clock)
        self.link = MqttLink(device_id, mqtt, agent_version, self)
        self._health = health
        self._commands = commands
        self._hb_interval = heartbeat.interval_s
        self._next_hb = 0.0
        self._flush_s = flush_s
        self.malformed_commands = 0

    # -- LinkEvents ----------------------------------------------------------------------------

    def on_connected(self, session_present: bool) -> None:
        self.sync.on_connected()
        self._next_hb = 0.0  # a heartbeat right after each connect

    def on_disconnected(self) -> None:
        self.sync.on_disconnected()

    def on_acked(self, mid: int, ok: bool) -> None:
        self.sync.on_acked(mid, ok)

    def on_message(self, topic: str, payload: bytes) -> None:
        if self._commands is None:
            return
        for out_topic, out_payload in self._commands.handle(topic, payload):
            self.link.publish(out_topic, out_payload)

    # -- the loop -------------------------------------------------------------------------------

    def _publish(self, topic: str, payload: bytes) -> int | None:
        return self.link.publish(topic, payload)

    def step(self) -> None:
        self.link.poll(0.05)
        self.sync.pump()
        now = time.monotonic()
        if self.link.connected and self._health is not None and now >= self._next_hb:
            self._next_hb = now + self._hb_interval
            self.link.publish(topics.heartbeat(self.device_id), encode(self._health()))

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, then flush what can be sent within ``flush_s``."""
        while not stop.is_set():
            self.step()
        self.shutdown()

    def shutdown(self) -> None:
        deadline = time.monotonic() + self._flush_s
        while self.link.connected and time.monotonic() < deadline:
            self.sync.pump(flush=True)
            if self.sync.in_flight == 0 and not self.sync.outbox.unsent(limit=1):
                break
            self.link.poll(0.05)
        self.link.close()
