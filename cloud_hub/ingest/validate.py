"""Pure ingest decisions: bytes and a topic in, an accepted message or a quarantine reason out.

No I/O here: the worker asks the directory for a device's :class:`DeviceAccess` and passes it in.
Every possible input ends in exactly one of :class:`Accepted` or :class:`Rejected` — nothing
raises — which is what lets the worker promise "stored or quarantined, never dropped".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from cloud_hub.ingest.directory import (
    MAX_EXCERPT_BYTES,
    DeviceAccess,
    QuarantineReason,
    QuarantineRecord,
)
from cloud_hub.series.base import StoredAggregate, StoredGap, StoredReading
from pm25 import topics
from pm25.errors import WireError
from pm25.topics import Kind
from pm25.wire import SCHEMA_VERSION, ReadingBatch, WireMessage, decode, max_payload_bytes

__all__ = [
    "DEVICE_KINDS",
    "Accepted",
    "Rejected",
    "StoredBatch",
    "admit",
    "parse",
    "quarantine_record",
    "to_stored",
]

DEVICE_KINDS: Final = (Kind.READINGS, Kind.HEARTBEAT, Kind.STATUS, Kind.ACK, Kind.SAMPLE)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message that follows the wire contract, from the device its topic names."""

    device_id: str
    kind: Kind
    message: WireMessage
    # A malformed optional section that was left out (the rest stored); quarantined as a note.
    dropped: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message is quarantined, in words an operator can act on."""

    reason: QuarantineReason
    detail: str
    device_id: str | None = None


@dataclass(slots=True)
class StoredBatch:
    """What one readings message adds to the series store."""

    readings: list[StoredReading] = field(default_factory=list)
    gaps: list[StoredGap] = field(default_factory=list)
    aggregates: list[StoredAggregate] = field(default_factory=list)


def parse(topic: str, payload: bytes) -> Accepted | Rejected:
    """Check topic, size, encoding, schema version, schema and device id, in that order."""
    try:
        device_id, kind = topics.parse_topic(topic)
    except WireError as e:
        return Rejected(QuarantineReason.TOPIC_INVALID, str(e))
    if kind not in DEVICE_KINDS:
        return Rejected(QuarantineReason.TOPIC_INVALID, f"{kind} is not sent by devices", device_id)
    limit = max_payload_bytes(kind)
    if len(payload) > limit:
        detail = f"{kind} payload is {len(payload)} bytes, limit {limit}"
        return Rejected(QuarantineReason.OVERSIZED, detail, device_id)
    try:
        message = decode(kind, payload)
    except WireError as e:
        salvaged = _without_haze(payload) if kind is Kind.HEARTBEAT else None
        if salvaged is None:
            return Rejected(_wire_reason(payload), str(e), device_id)
        return Accepted(device_id, kind, salvaged, f"haze section left out, rest stored: {e}")
    if isinstance(message, ReadingBatch) and message.d != device_id:
        detail = f"payload device id {message.d!r} differs from topic device id {device_id!r}"
        return Rejected(QuarantineReason.SPOOFED, detail, device_id)
    return Accepted(device_id, kind, message)


def admit(accepted: Accepted, access: DeviceAccess) -> Rejected | None:
    """``None`` if the registry lets this device send; else why not."""
    if not access.registered:
        detail = f"device {accepted.device_id!r} is not registered"
        return Rejected(QuarantineReason.UNKNOWN_DEVICE, detail, accepted.device_id)
    if access.revoked:
        detail = f"device {accepted.device_id!r} has been revoked"
        return Rejected(QuarantineReason.REVOKED_DEVICE, detail, accepted.device_id)
    return None


def to_stored(batch: ReadingBatch, zone: str | None, received_at: int) -> StoredBatch:
    """Expand the columnar batch straight into stored records (no per-reading pydantic model)."""
    device, t0, n = batch.d, int(batch.t0.timestamp()), len(batch.pm)
    offsets: Sequence[int] = batch.ds or range(n)
    flags: Sequence[int] = batch.fl or (0,) * n
    out = StoredBatch()
    out.readings = [
        StoredReading(
            device, batch.s0 + offsets[i], t0 + batch.dt[i], batch.pm[i], batch.sd[i],
            batch.aqi[i], flags[i], batch.mv, zone, received_at,
        )
        for i in range(n)
    ]  # fmt: skip
    out.aggregates = [
        StoredAggregate(
            device, a.seq, _unix(a.t_from), _unix(a.t_to), a.n, a.mean, a.min, a.max, zone
        )
        for a in batch.agg
    ]
    out.gaps = [
        StoredGap(
            device, g.reason, g.seq_from, g.seq_to,
            None if g.t_from is None else _unix(g.t_from),
            None if g.t_to is None else _unix(g.t_to), zone,
        )
        for g in batch.gaps
    ]  # fmt: skip
    return out


def quarantine_record(
    topic: str, payload: bytes, rejected: Rejected, received_at: datetime
) -> QuarantineRecord:
    """The record to keep: the reason, its detail and the first 1 KiB of the payload."""
    return QuarantineRecord(
        topic=topic[:512],
        reason=rejected.reason,
        detail=rejected.detail[:1000],
        payload_excerpt=bytes(payload[:MAX_EXCERPT_BYTES]),
        payload_size=len(payload),
        received_at=received_at,
        device_id=rejected.device_id,
    )


def _without_haze(payload: bytes) -> WireMessage | None:
    """The heartbeat without its ``haze`` section, if that is all that was wrong: the drift
    histograms are optional, and a bad one must not cost the device its health record."""
    try:
        obj = json.loads(payload)
        if not isinstance(obj, dict) or obj.pop("haze", None) is None:
            return None
        return decode(Kind.HEARTBEAT, json.dumps(obj).encode("utf-8"))
    except (ValueError, RecursionError, WireError):  # decode already named the real problem
        return None


def _wire_reason(payload: bytes) -> QuarantineReason:
    """Tell a foreign schema version apart from plain garbage (only on the failure path)."""
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return QuarantineReason.MALFORMED
    if isinstance(obj, dict) and "v" in obj and obj["v"] != SCHEMA_VERSION:
        return QuarantineReason.WRONG_SCHEMA_VERSION
    return QuarantineReason.MALFORMED


def _unix(t: datetime) -> int:
    return int(t.timestamp())
