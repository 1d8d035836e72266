"""What every series store offers: the records it keeps and the :class:`SeriesStore` Protocol.

Times are integer unix seconds UTC, like the wire: cheap to compare, index and convert, and the
wire has no finer resolution. Readings are identified by ``(device_id, seq)``; writing the same
one again is a no-op (SQLite) or overwrites the identical point (Influx), so a redelivered MQTT
message never makes a second reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cloud_hub.errors import ValidationFailed

__all__ = [
    "Bucket",
    "Downsampled",
    "RawSeries",
    "Selection",
    "SeriesStore",
    "StoredAggregate",
    "StoredGap",
    "StoredReading",
]


@dataclass(frozen=True, slots=True)
class StoredReading:
    """One reading as the hub keeps it: the wire reading plus its zone and arrival time."""

    device_id: str
    seq: int
    captured_at: int
    pm25: float
    pm25_sd: float
    aqi: int
    flags: int
    model_version: int
    zone: str | None = None
    received_at: int | None = None


@dataclass(frozen=True, slots=True)
class StoredAggregate:
    """Readings the device compacted into one record (``n`` of them, ``t_from``..``t_to``)."""

    device_id: str
    seq: int
    t_from: int
    t_to: int
    n: int
    mean: float
    min: float
    max: float
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class StoredGap:
    """Readings a device lost for good, by sequence range, time range or both."""

    device_id: str
    reason: str
    seq_from: int | None = None
    seq_to: int | None = None
    t_from: int | None = None
    t_to: int | None = None
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which readings a query wants: some devices or one zone, and a half-open time range."""

    start: int
    end: int
    device_ids: tuple[str, ...] = ()
    zone: str | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationFailed(f"time range is empty: end {self.end} <= start {self.start}")
        if bool(self.device_ids) == (self.zone is not None):
            raise ValidationFailed("select either device ids or a zone, not both or neither")


@dataclass(frozen=True, slots=True)
class Bucket:
    """One interval of a downsampled series; aggregates count with their ``n`` readings."""

    start: int
    count: int
    mean: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class RawSeries:
    """Readings in time order (at most the limit asked for) and the gaps that overlap the range."""

    readings: list[StoredReading]
    aggregates: list[StoredAggregate] = field(default_factory=list)
    gaps: list[StoredGap] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Downsampled:
    """Buckets of ``interval_s`` seconds (empty buckets left out) and the gaps in the range."""

    interval_s: int
    buckets: list[Bucket]
    gaps: list[StoredGap] = field(default_factory=list)


@runtime_checkable
class SeriesStore(Protocol):
    """Time series of readings. Every method raises :class:`StoreUnavailable` on I/O failure."""

    def write(
        self,
        readings: Sequence[StoredReading],
        gaps: Sequence[StoredGap] = (),
        aggregates: Sequence[StoredAggregate] = (),
    ) -> int:
        """Store everything in one go, idempotently; return how many readings were new.

        A store that cannot tell new from rewritten (Influx overwrites) returns ``len(readings)``.
        Returning means durable: the caller acknowledges the messages afterwards.
        """
        ...

    def query_raw(self, selection: Selection, limit: int = 10_000) -> RawSeries:
        """Readings of the selection in capture-time order, plus aggregates and gaps."""
        ...

    def query_downsampled(self, selection: Selection, interval_s: int) -> Downsampled:
        """Count, mean, min and max per interval (aligned to the unix epoch), plus gaps."""
        ...

    def gaps(self, device_id: str, start: int, end: int) -> list[StoredGap]:
        """Gaps of one device whose time range overlaps ``[start, end)`` (or have no time range)."""
        ...

    def ping(self) -> None:
        """Return if the store answers; raise :class:`StoreUnavailable` otherwise."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...


def check_interval(interval_s: int) -> int:
    """A downsampling interval must be a positive number of seconds."""
    if interval_s < 1:
        raise ValidationFailed(f"interval must be at least 1 s, got {interval_s}")
    return interval_s
