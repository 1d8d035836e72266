"""What the ingest worker needs from the fleet registry: the :class:`DeviceDirectory` Protocol.

The registry (``cloud_hub.registry``) implements it on its database; :class:`InMemoryDirectory`
implements it on dictionaries for unit tests and the standalone ``python -m cloud_hub.ingest``.

Who may speak for a device: the broker's ACL lets the MQTT user ``<id>`` publish only under
``pm25/v1/<id>/...``, so the topic's device id *is* the authenticated sender (MQTT does not tell a
subscriber who published). The directory then says whether that device is registered and not
revoked; the payload's own device id must equal the topic's (checked in ``validate``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol, runtime_checkable

from pm25.wire import CommandAck, Heartbeat, Sample, Status

__all__ = [
    "MAX_EXCERPT_BYTES",
    "DeviceAccess",
    "DeviceDirectory",
    "InMemoryDirectory",
    "QuarantineReason",
    "QuarantineRecord",
]

MAX_EXCERPT_BYTES: Final = 1024


class QuarantineReason(StrEnum):
    """Why a message was not accepted. Stored with it and counted in the metrics."""

    MALFORMED = "malformed"  # not UTF-8, not JSON, or not the schema
    OVERSIZED = "oversized"  # larger than the cap for its kind; not even parsed
    UNKNOWN_DEVICE = "unknown_device"  # the topic's device is not registered
    REVOKED_DEVICE = "revoked_device"  # registered but its credentials were revoked
    WRONG_SCHEMA_VERSION = "wrong_schema_version"  # field 'v' present but not ours
    SPOOFED = "spoofed"  # payload device id differs from the topic's (the sender's)
    TOPIC_INVALID = "topic_invalid"  # not pm25/v1/<id>/<device-to-cloud kind>


@dataclass(frozen=True, slots=True)
class DeviceAccess:
    """What the registry knows about a device id, as far as ingest cares."""

    registered: bool
    revoked: bool = False
    zone: str | None = None


UNKNOWN: Final = DeviceAccess(registered=False)


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """A refused message: the reason, a human detail and at most 1 KiB of the payload."""

    topic: str
    reason: QuarantineReason
    detail: str
    payload_excerpt: bytes
    payload_size: int
    received_at: datetime
    device_id: str | None = None  # the device the topic claims, when the topic could be parsed
    username: str | None = None  # MQTT does not tell subscribers; kept for brokers that do


@runtime_checkable
class DeviceDirectory(Protocol):
    """The registry as ingest sees it. Methods raise ``StoreUnavailable`` when it is down.

    Called from the worker's single processing thread, one batch at a time.
    """

    def authorize(self, device_id: str) -> DeviceAccess:
        """Whether ``device_id`` is registered, revoked, and its zone."""
        ...

    def record_heartbeat(self, device_id: str, heartbeat: Heartbeat, received_at: datetime) -> None:
        """Update last seen, outbox depth, model and backend from a heartbeat."""
        ...

    def record_status(self, device_id: str, status: Status, received_at: datetime) -> None:
        """Mark the device online or offline."""
        ...

    def record_ack(self, device_id: str, ack: CommandAck, received_at: datetime) -> None:
        """Record the device's answer to a command."""
        ...

    def record_sample(self, device_id: str, sample: Sample, received_at: datetime) -> None:
        """Keep a region-of-interest crop the device sent on request."""
        ...

    def quarantine(self, record: QuarantineRecord) -> None:
        """Keep a refused message for operators to inspect."""
        ...


class InMemoryDirectory:
    """A :class:`DeviceDirectory` on dictionaries: for tests and the standalone ingest entry."""

    def __init__(self, devices: dict[str, DeviceAccess] | None = None) -> None:
        self.devices: dict[str, DeviceAccess] = dict(devices or {})
        self.heartbeats: list[tuple[str, Heartbeat]] = []
        self.statuses: list[tuple[str, Status]] = []
        self.acks: list[tuple[str, CommandAck]] = []
        self.samples: list[tuple[str, Sample]] = []
        self.quarantined: list[QuarantineRecord] = []
        self._lock = threading.Lock()

    def authorize(self, device_id: str) -> DeviceAccess:
        return self.devices.get(device_id, UNKNOWN)

    def record_heartbeat(self, device_id: str, heartbeat: Heartbeat, received_at: datetime) -> None:
        with self._lock:
            self.heartbeats.append((device_id, heartbeat))

    def record_status(self, device_id: str, status: Status, received_at: datetime) -> None:
        with self._lock:
            self.statuses.append((device_id, status))

    def record_ack(self, device_id: str, ack: CommandAck, received_at: datetime) -> None:
        with self._lock:
            self.acks.append((device_id, ack))

    def record_sample(self, device_id: str, sample: Sample, received_at: datetime) -> None:
        with self._lock:
            self.samples.append((device_id, sample))

    def quarantine(self, record: QuarantineRecord) -> None:
        with self._lock:
            self.quarantined.append(record)
