"""Pure batching decisions for the uplink: when a batch is due, which stream goes next, and the
wire form of a batch. No I/O and no clock: the caller passes ``now``.

After an outage the readings pending at connect time are the *backlog*, drained oldest first; new
readings are *live*. When both are ready the scheduler alternates, so a long backlog never delays
fresh readings by more than one batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from edge_agent.outbox import Extras, StoredReading
from pm25.wire import Aggregate, Gap, ReadingBatch

Stream = Literal["backlog", "live", "extras"]


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """A live batch is due with ``max_count`` readings or when its oldest is ``max_age_s`` old."""

    max_count: int
    max_age_s: float

    def due(self, count: int, oldest_t: int | None, now: float) -> bool:
        if count == 0 or oldest_t is None:
            return False
        return count >= self.max_count or now - oldest_t >= self.max_age_s


@dataclass(slots=True)
class StreamScheduler:
    """Chooses the stream of the next batch. Extras (aggregates, gaps) first: they are rare and
    tell the cloud about readings it will never get; then backlog and live alternate."""

    last: Stream = field(default="live")

    def choose(self, *, extras: bool, backlog: bool, live_due: bool) -> Stream | None:
        if extras:
            return "extras"
        if backlog and live_due:
            self.last = "live" if self.last == "backlog" else "backlog"
            return self.last
        if backlog:
            self.last = "backlog"
            return "backlog"
        if live_due:
            self.last = "live"
            return "live"
        return None


def same_model_prefix(rows: Sequence[StoredReading]) -> list[StoredReading]:
    """The leading rows that share the first row's model and calibration versions (a batch
    never spans a model swap or a calibration change)."""
    if not rows:
        return []
    mv, cv = rows[0].model_version, rows[0].cv
    return list(itertools.takewhile(lambda r: (r.model_version, r.cv) == (mv, cv), rows))


def readings_batch(device_id: str, rows: Sequence[StoredReading]) -> ReadingBatch:
    """The wire batch of ``rows`` (ordered by seq, one model version, at least one row)."""
    s0, t0 = rows[0].seq, min(r.t for r in rows)
    offsets = [r.seq - s0 for r in rows]
    flags = [r.flags for r in rows]
    return ReadingBatch(
        d=device_id,
        mv=rows[0].model_version,
        cv=rows[0].cv or None,
        s0=s0,
        t0=_utc(t0),
        dt=tuple(r.t - t0 for r in rows),
        ds=() if offsets == list(range(len(rows))) else tuple(offsets),
        pm=tuple(r.pm25 for r in rows),
        sd=tuple(r.sd for r in rows),
        aqi=tuple(r.aqi for r in rows),
        fl=tuple(flags) if any(flags) else (),
    )


def extras_batch(device_id: str, model_version: int, extras: Extras) -> ReadingBatch:
    """A batch with only aggregates and gaps."""
    aggs = tuple(
        Aggregate(
            seq=a.seq,
            t_from=_utc(a.t_from),
            t_to=_utc(a.t_to),
            n=a.n,
            mean=a.mean,
            min=a.min,
            max=a.max,
        )
        for a in extras.aggregates
    )
    gaps = tuple(
        Gap(
            seq_from=g.seq_from,
            seq_to=g.seq_to,
            t_from=None if g.t_from is None else _utc(g.t_from),
            t_to=None if g.t_to is None else _utc(g.t_to),
            reason=g.reason,
        )
        for g in extras.gaps
    )
    s0 = min((a.seq for a in extras.aggregates), default=0)
    times = [a.t_from for a in extras.aggregates] + [g.t_from for g in extras.gaps if g.t_from]
    return ReadingBatch(
        d=device_id, mv=model_version, s0=s0, t0=_utc(min(times, default=0)), agg=aggs, gaps=gaps
    )


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)
