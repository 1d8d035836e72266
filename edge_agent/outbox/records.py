"""The values the outbox stores and hands out: plain frozen dataclasses, no SQL, no wire format."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class NewReading:
    """A reading as produced by inference, before the outbox gives it a sequence number."""

    t: int  # capture time, unix seconds UTC
    pm25: float
    sd: float
    aqi: int
    flags: int
    model_version: int
    cv: int = 0  # calibration version applied (0: none)


@dataclass(frozen=True, slots=True)
class StoredReading:
    """A reading committed to the outbox, with its per-device sequence number."""

    seq: int
    t: int
    pm25: float
    sd: float
    aqi: int
    flags: int
    model_version: int
    cv: int = 0  # calibration version applied (0: none)


@dataclass(frozen=True, slots=True)
class StoredAggregate:
    """Old raw readings compacted into one record (it has its own seq)."""

    seq: int
    t_from: int
    t_to: int
    n: int
    mean: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class StoredGap:
    """Readings lost for good, or replaced by an aggregate: a seq range and/or time range."""

    id: int
    reason: str
    seq_from: int | None = None
    seq_to: int | None = None
    t_from: int | None = None
    t_to: int | None = None


@dataclass(frozen=True, slots=True)
class Extras:
    """Aggregates and gaps waiting to be sent (they travel in their own batches)."""

    aggregates: tuple[StoredAggregate, ...] = ()
    gaps: tuple[StoredGap, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.aggregates or self.gaps)


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """What ``edge-agent status`` and the heartbeat report about the outbox."""

    depth: int  # raw readings not yet acknowledged by the broker
    extras: int  # aggregates and gaps not yet acknowledged
    oldest_unsent_t: int | None
    last_sync_t: int | None
    next_seq: int
    used_bytes: int
    errors: tuple[str, ...] = field(default=())
