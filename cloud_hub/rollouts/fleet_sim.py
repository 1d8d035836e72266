"""In-process simulated devices for rollout tests and the benchmark.

Each device answers an ``update_notice`` the way the edge agent does (ack, then heartbeats with
an ``update`` section) and reports through the registry's ingest path
(:class:`RegistryDirectory`), so the evaluator sees exactly what ingest would store. Behaviour
per device: ``ok`` (updates, agrees in shadow), ``silent`` (never answers), ``fails`` (reports a
failed self-test), ``disagrees`` (updates but its shadow run disagrees wildly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from cloud_hub.registry.directory import RegistryDirectory
from pm25 import topics
from pm25.topics import Kind
from pm25.wire import CommandAck, Heartbeat, UpdateNoticeCommand, decode
from pm25.wire.device import ShadowAgreement, UpdateProgress

Behaviour = Literal["ok", "silent", "fails", "disagrees"]
GOOD = ShadowAgreement(n=120, mad=0.8, bias=0.1, r=0.98, within=0.96)
WILD = ShadowAgreement(n=120, mad=45.0, bias=40.0, r=0.1, within=0.05)


def heartbeat(at: float, mv: int, update: UpdateProgress | None = None) -> Heartbeat:
    return Heartbeat(
        t=datetime.fromtimestamp(int(at), tz=UTC), agent="0.1.0", uptime_s=60,
        disk_free_b=10**9, outbox=0, mv=mv, model="pm25-haze", backend="onnxruntime_cpu",
        accepted=10, update=update,
    )  # fmt: skip


@dataclass
class SimFleet:
    """Devices that react to the notices a publisher captured."""

    directory: RegistryDirectory
    behaviour: Mapping[str, Behaviour] = field(default_factory=dict)
    model_version: dict[str, int] = field(default_factory=dict)
    outbox: list[tuple[str, bytes]] = field(default_factory=list)
    notices: int = 0
    notice_bytes: int = 0
    progress: dict[str, UpdateProgress] = field(default_factory=dict)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Stands in for the broker: keeps what the hub sent."""
        self.outbox.append((topic, payload))

    def deliver(self, now: float) -> None:
        """Every device answers the commands sent to it so far, then sends a heartbeat."""
        sent, self.outbox = self.outbox, []
        received = datetime.fromtimestamp(now, tz=UTC)
        for topic, payload in sent:
            device_id, kind = topics.parse_topic(topic)
            if kind != Kind.CMD:
                continue
            cmd = decode(Kind.CMD, payload)
            if not isinstance(cmd, UpdateNoticeCommand):
                continue
            self.notices += 1
            self.notice_bytes += len(payload)
            how = self.behaviour.get(device_id, "ok")
            if how == "silent":
                continue
            ack = CommandAck(id=cmd.id, ok=True, result={"accepted": True}, t=received)
            self.directory.record_ack(device_id, ack, received)
            beat = self.answer(device_id, cmd, how, now)
            if beat.update is not None:
                self.progress[device_id] = beat.update
            self.directory.record_heartbeat(device_id, beat, received)

    def answer(
        self, device_id: str, cmd: UpdateNoticeCommand, how: Behaviour, now: float
    ) -> Heartbeat:
        old = self.model_version.setdefault(device_id, 1)
        if how == "fails":
            why = "self-test: golden output off by 31 µg/m³"
            progress = UpdateProgress(
                state="failed", version=cmd.release, rollout=cmd.rollout_id, reason=why
            )
            return heartbeat(now, old, progress)
        shadow = WILD if how == "disagrees" else GOOD
        self.model_version[device_id] = cmd.release
        progress = UpdateProgress(state="active", version=cmd.release, rollout=cmd.rollout_id,
                                  shadow=shadow)  # fmt: skip
        return heartbeat(now, cmd.release, progress)

    def tick(self, now: float) -> None:
        """A periodic heartbeat from every answering device that has been told something."""
        received = datetime.fromtimestamp(now, tz=UTC)
        for device_id, mv in self.model_version.items():
            beat = heartbeat(now, mv, self.progress.get(device_id))
            self.directory.record_heartbeat(device_id, beat, received)
