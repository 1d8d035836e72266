"""Readings: the friendly :class:`Reading` and the compact columnar :class:`ReadingBatch` wire form.

A batch sends its header once (device ``d``, model version ``mv``, base sequence ``s0``, base time
``t0``) and then parallel arrays, one entry per reading. At 60 readings a batch this costs about
18 bytes per reading all-in (``python -m bench.wire_bytes``), within a 5 MB/month cellular budget at
one reading every 10 s, while staying plain JSON that any consumer can read (docs/protocol.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import IntFlag
from typing import Annotated, Final, Self

from pydantic import Field, model_validator

from pm25.aqi import AqiCategory
from pm25.errors import WireError
from pm25.wire.common import (
    MAX_SEQ,
    Code,
    DeviceId,
    Message,
    Pm25Value,
    Seq,
    UtcTime,
    WireModel,
)

__all__ = [
    "MAX_BATCH_READINGS",
    "MAX_FLAGS",
    "Aggregate",
    "AqiCategory",
    "Gap",
    "QualityFlag",
    "Reading",
    "ReadingBatch",
]

MAX_BATCH_READINGS: Final = 1000
MAX_FLAGS: Final = 0xFFFF  # 16 bits reserved for quality flags; unknown bits are kept, not refused
MAX_DT: Final = 7 * 24 * 3600  # a batch spans at most a week; more suggests a broken clock
_MAX_EXTRAS: Final = 1000  # aggregates or gaps in one batch


class QualityFlag(IntFlag):
    """Why a reading may be less trustworthy. A bitmask: several can be set at once.

    Bits 0-7 are defined; bits 8-15 are reserved for future flags and must be preserved (not
    refused) by consumers so an old consumer does not drop readings from a newer device.
    """

    NONE = 0
    # CALIBRATED is bit 0 because most readings of a calibrated unit carry it: as the value 1 it
    # costs 2 bytes a reading in the fl column instead of 4 as 128 ("1," vs "128,").
    CALIBRATED = 1 << 0  # a site calibration against a reference monitor was applied
    LOW_LIGHT = 1 << 1  # scene too dark for a confident estimate (night, heavy overcast)
    BLUR = 1 << 2  # frame motion-blurred or out of focus
    LOW_CONTRAST_ROI = 1 << 3  # the region of interest shows little contrast (fog, glare)
    PARTIAL_OBSTRUCTION = 1 << 4  # part of the region of interest is covered (vehicle, drops)
    HIGH_HUMIDITY = 1 << 5  # relative humidity high: hygroscopic growth inflates the estimate
    CAMERA_SHIFT_SUSPECT = 1 << 6  # the view seems to have moved away from the calibrated scene
    MODEL_OOD = 1 << 7  # input looks out of the model's training distribution


Flags = Annotated[int, Field(ge=0, le=MAX_FLAGS)]
Offset = Annotated[int, Field(ge=0, le=MAX_DT)]
SeqOffset = Annotated[int, Field(ge=0, le=MAX_SEQ)]
Category = Annotated[int, Field(ge=0, le=len(AqiCategory) - 1)]


class Reading(WireModel):
    """One PM2.5 estimate, in the form applications use (not itself sent: see ReadingBatch)."""

    device_id: DeviceId = Field(description="The camera unit that made the estimate.")
    seq: Seq = Field(description="Per-device sequence number, monotonic across restarts.")
    captured_at: UtcTime = Field(description="When the frame was captured (UTC, whole seconds).")
    pm25: Pm25Value = Field(description="Estimated PM2.5 concentration, µg/m³, rounded to 0.1.")
    pm25_sd: Pm25Value = Field(description="Uncertainty: standard deviation of pm25, µg/m³.")
    aqi: AqiCategory = Field(description="US EPA 2024 AQI category, 0 (good) .. 5 (hazardous).")
    flags: QualityFlag = Field(default=QualityFlag.NONE, description="Quality flags (bitmask).")
    model_version: int = Field(ge=0, description="Version of the model that made the estimate.")


class Aggregate(WireModel):
    """Several old raw readings compacted into one record when the device's outbox was full."""

    seq: Seq = Field(description="Sequence number of this aggregate (deduplicates like a reading).")
    t_from: UtcTime = Field(description="Capture time of the first reading aggregated.")
    t_to: UtcTime = Field(description="Capture time of the last reading aggregated.")
    n: int = Field(ge=1, description="How many readings were aggregated.")
    mean: Pm25Value = Field(description="Mean PM2.5 of the aggregated readings, µg/m³.")
    min: Pm25Value = Field(description="Smallest PM2.5 of the aggregated readings, µg/m³.")
    max: Pm25Value = Field(description="Largest PM2.5 of the aggregated readings, µg/m³.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.t_from > self.t_to:
            raise ValueError("t_from must not be after t_to")
        if not self.min <= self.mean <= self.max:
            raise ValueError("expected min <= mean <= max")
        return self


class Gap(WireModel):
    """Readings that were lost for good, by sequence range, time range, or both."""

    seq_from: Seq | None = Field(default=None, description="First lost sequence number.")
    seq_to: Seq | None = Field(default=None, description="Last lost sequence number (inclusive).")
    t_from: UtcTime | None = Field(default=None, description="Start of the lost time range.")
    t_to: UtcTime | None = Field(default=None, description="End of the lost time range.")
    reason: Code = Field(description="Why, e.g. outbox_full, camera_unavailable, clock_reset.")

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if (self.seq_from is None) != (self.seq_to is None):
            raise ValueError("seq_from and seq_to must be given together")
        if (self.t_from is None) != (self.t_to is None):
            raise ValueError("t_from and t_to must be given together")
        if self.seq_from is not None and self.seq_to is not None and self.seq_from > self.seq_to:
            raise ValueError("seq_from must not be after seq_to")
        if self.t_from is not None and self.t_to is not None and self.t_from > self.t_to:
            raise ValueError("t_from must not be after t_to")
        if self.seq_from is None and self.t_from is None:
            raise ValueError("a gap needs a sequence range, a time range, or both")
        return self


class ReadingBatch(Message):
    """The ``readings`` message: a batch of readings in columnar form.

    Reading ``i`` is: seq ``s0 + ds[i]`` (``s0 + i`` when ``ds`` is absent), capture time
    ``t0 + dt[i]`` seconds, ``pm[i]``, ``sd[i]``, ``aqi[i]``, ``fl[i]`` (0 when ``fl`` is absent).
    All per-reading arrays have the same length.
    """

    d: DeviceId = Field(description="Device id (equals the device id in the topic).")
    mv: int = Field(ge=0, description="Model version that made every reading of the batch.")
    cv: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Site calibration version applied to every reading of the batch; absent: none.",
    )
    s0: Seq = Field(description="Base sequence number: the first reading's seq.")
    t0: UtcTime = Field(description="Base time, unix seconds UTC: the earliest capture time.")
    dt: tuple[Offset, ...] = Field(
        default=(), max_length=MAX_BATCH_READINGS, description="Capture time minus t0, seconds."
    )
    ds: tuple[SeqOffset, ...] = Field(
        default=(),
        max_length=MAX_BATCH_READINGS,
        description="Seq minus s0, strictly increasing; omitted when the seqs are s0, s0+1, ...",
    )
    pm: tuple[Pm25Value, ...] = Field(
        default=(), max_length=MAX_BATCH_READINGS, description="PM2.5, µg/m³ (0.1 resolution)."
    )
    sd: tuple[Pm25Value, ...] = Field(
        default=(), max_length=MAX_BATCH_READINGS, description="Standard deviation of pm, µg/m³."
    )
    aqi: tuple[Category, ...] = Field(
        default=(), max_length=MAX_BATCH_READINGS, description="AQI category index 0..5."
    )
    fl: tuple[Flags, ...] = Field(
        default=(), max_length=MAX_BATCH_READINGS, description="Quality flags; omitted if all 0."
    )
    agg: tuple[Aggregate, ...] = Field(
        default=(), max_length=_MAX_EXTRAS, description="Aggregates of compacted old readings."
    )
    gaps: tuple[Gap, ...] = Field(
        default=(), max_length=_MAX_EXTRAS, description="Readings lost for good."
    )

    @model_validator(mode="after")
    def _columns(self) -> Self:
        n = len(self.pm)
        for name in ("dt", "sd", "aqi"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"array {name} has {len(getattr(self, name))} items, pm has {n}")
        for name in ("ds", "fl"):
            if len(getattr(self, name)) not in (0, n):
                raise ValueError(f"array {name} has {len(getattr(self, name))} items, pm has {n}")
        if any(b <= a for a, b in itertools.pairwise(self.ds)):
            raise ValueError("array ds must be strictly increasing")
        if self.s0 + (self.ds[-1] if self.ds else n - 1) > MAX_SEQ:
            raise ValueError(f"sequence numbers exceed {MAX_SEQ}")
        if n == 0 and not self.agg and not self.gaps:
            raise ValueError("a batch needs at least one reading, aggregate or gap")
        return self

    @classmethod
    def from_readings(
        cls,
        device_id: str,
        model_version: int,
        readings: Iterable[Reading],
        aggregates: Iterable[Aggregate] = (),
        gaps: Iterable[Gap] = (),
    ) -> ReadingBatch:
        """Build the wire form. Readings are ordered by seq; all must share device and model.

        Raises :class:`WireError` for mixed devices or model versions (the outbox must split
        batches at a model swap), duplicate seqs, or anything the batch itself refuses.
        """
        rows = sorted(readings, key=lambda r: r.seq)
        aggs, lost = tuple(aggregates), tuple(gaps)
        _check_uniform(device_id, model_version, rows)
        s0 = rows[0].seq if rows else min((a.seq for a in aggs), default=0)
        t0 = min((r.captured_at for r in rows), default=None) or _earliest(aggs, lost)
        seqs = [r.seq - s0 for r in rows]
        flags = [int(r.flags) for r in rows]
        try:
            return cls(
                d=device_id,
                mv=model_version,
                s0=s0,
                t0=t0,
                dt=tuple(int((r.captured_at - t0).total_seconds()) for r in rows),
                ds=() if seqs == list(range(len(rows))) else tuple(seqs),
                pm=tuple(r.pm25 for r in rows),
                sd=tuple(r.pm25_sd for r in rows),
                aqi=tuple(int(r.aqi) for r in rows),
                fl=tuple(flags) if any(flags) else (),
                agg=aggs,
                gaps=lost,
            )
        except ValueError as e:  # pydantic's ValidationError is a ValueError
            raise WireError(f"cannot build readings batch: {e}") from e

    def readings(self) -> list[Reading]:
        """Expand the columns into one :class:`Reading` per entry, in wire order."""
        seq_offsets: Sequence[int] = self.ds or range(len(self.pm))
        flags: Sequence[int] = self.fl or [0] * len(self.pm)
        return [
            Reading(
                device_id=self.d,
                seq=self.s0 + seq_offsets[i],
                captured_at=self.t0 + timedelta(seconds=self.dt[i]),
                pm25=self.pm[i],
                pm25_sd=self.sd[i],
                aqi=AqiCategory(self.aqi[i]),
                flags=QualityFlag(flags[i]),
                model_version=self.mv,
            )
            for i in range(len(self.pm))
        ]


def _check_uniform(device_id: str, model_version: int, rows: Sequence[Reading]) -> None:
    for r in rows:
        if r.device_id != device_id:
            raise WireError(f"reading seq {r.seq} is from {r.device_id!r}, batch is {device_id!r}")
        if r.model_version != model_version:
            raise WireError(
                f"reading seq {r.seq} has model version {r.model_version}, batch has "
                f"{model_version}: split batches at a model swap"
            )
    for a, b in itertools.pairwise(rows):
        if a.seq == b.seq:
            raise WireError(f"duplicate sequence number {a.seq} in one batch")


def _earliest(aggs: Sequence[Aggregate], gaps: Sequence[Gap]) -> datetime:
    # A batch without readings still needs t0; it is informative only, so take the earliest
    # time the batch mentions, or the unix epoch when it mentions none.
    times = [a.t_from for a in aggs] + [g.t_from for g in gaps if g.t_from is not None]
    return min(times, default=datetime.fromtimestamp(0, tz=UTC))
