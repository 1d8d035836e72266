"""Pure compaction policy: which old raw readings become which aggregates. No I/O.

When the outbox reaches its byte cap, the oldest raw readings are replaced by one aggregate per
``interval_s`` window (count, mean, min, max), and a gap record with reason ``compacted`` tells the
cloud which sequence numbers the aggregate stands for, so nothing vanishes silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge_agent.outbox.records import StoredReading


@dataclass(frozen=True, slots=True)
class AggregatePlan:
    """One aggregate to write: the raw seqs it replaces and its statistics."""

    seqs: tuple[int, ...]
    t_from: int
    t_to: int
    mean: float
    min: float
    max: float

    @property
    def n(self) -> int:
        return len(self.seqs)


def compaction_share(depth: int, fraction: float = 0.25, minimum: int = 16) -> int:
    """How many of the oldest raw readings to compact in one step when the outbox is full."""
    return min(depth, max(minimum, int(depth * fraction)))


def plan_aggregates(rows: Sequence[StoredReading], interval_s: int) -> list[AggregatePlan]:
    """Group ``rows`` (oldest first) into one aggregate per ``interval_s`` window of capture time.

    Windows never mix model versions (an aggregate of two models' outputs means little).
    """
    if interval_s < 1:
        raise ValueError("interval_s must be at least 1")
    groups: list[list[StoredReading]] = []
    for row in sorted(rows, key=lambda r: r.seq):
        last = groups[-1][-1] if groups else None
        same = (
            last is not None
            and last.t // interval_s == row.t // interval_s
            and last.model_version == row.model_version
        )
        if same:
            groups[-1].append(row)
        else:
            groups.append([row])
    return [_aggregate(g) for g in groups]


def _aggregate(group: Sequence[StoredReading]) -> AggregatePlan:
    values = [r.pm25 for r in group]
    lo, hi = min(values), max(values)
    # Round like the wire does (0.1) and keep min <= mean <= max after rounding.
    mean = min(max(round(sum(values) / len(values), 1), round(lo, 1)), round(hi, 1))
    return AggregatePlan(
        seqs=tuple(r.seq for r in group),
        t_from=min(r.t for r in group),
        t_to=max(r.t for r in group),
        mean=mean,
        min=round(lo, 1),
        max=round(hi, 1),
    )
