"""Pure: stored records to InfluxDB line protocol, with a stable point identity.

Identity of a point in Influx is measurement + tag set + timestamp; writing the same identity
again overwrites the fields. We make a reading's identity depend only on ``(device, seq)``:
tags ``device`` and ``zone``, timestamp = capture time in ns plus ``seq mod 1e6`` ns. Two
readings captured in the same second get different timestamps (the tie-break), and a
redelivered reading lands on its own point again: the write is idempotent.
Caveat: moving a device to another zone changes the tag set, so a reading rewritten after the
move would be a second point; the registry refuses nothing here, so document it (series-store.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from cloud_hub.series.base import StoredAggregate, StoredGap, StoredReading

__all__ = [
    "AGGREGATES",
    "GAPS",
    "NO_TIME",
    "READINGS",
    "lines",
    "point_time_ns",
]

READINGS: Final = "pm25"
AGGREGATES: Final = "pm25_agg"
GAPS: Final = "pm25_gap"
NO_TIME: Final = 2**32 - 1  # t_to of a gap known only by seq: sorts after every real time
_NS: Final = 1_000_000_000
_TIE: Final = 1_000_000


def point_time_ns(unix_s: int, seq: int) -> int:
    """The point's timestamp: capture second plus a sub-second tie-break from the seq."""
    return unix_s * _NS + seq % _TIE


def _tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _tags(device: str, zone: str | None, extra: str = "") -> str:
    zone_tag = f",zone={_tag(zone)}" if zone else ""
    return f"device={_tag(device)}{zone_tag}{extra}"


def _reading(r: StoredReading) -> str:
    return (
        f"{READINGS},{_tags(r.device_id, r.zone)} pm25={float(r.pm25)!r},sd={float(r.pm25_sd)!r},"
        f"aqi={r.aqi}i,flags={r.flags}i,mv={r.model_version}i,seq={r.seq}i "
        f"{point_time_ns(r.captured_at, r.seq)}"
    )


def _aggregate(a: StoredAggregate) -> str:
    return (
        f"{AGGREGATES},{_tags(a.device_id, a.zone)} seq={a.seq}i,t_to={a.t_to}i,n={a.n}i,"
        f"mean={float(a.mean)!r},total={float(a.mean) * a.n!r},min={float(a.min)!r},"
        f"max={float(a.max)!r} {point_time_ns(a.t_from, a.seq)}"
    )


def _gap(g: StoredGap) -> str:
    seq_fields = "" if g.seq_from is None else f",seq_from={g.seq_from}i,seq_to={g.seq_to}i"
    t_from = 0 if g.t_from is None else g.t_from
    t_to = NO_TIME if g.t_to is None else g.t_to
    timed = "true" if g.t_from is not None else "false"
    return (
        f"{GAPS},{_tags(g.device_id, g.zone, f',reason={_tag(g.reason)}')} "
        f"t_to={t_to}i,timed={timed}{seq_fields} {point_time_ns(t_from, g.seq_from or 0)}"
    )


def lines(
    readings: Iterable[StoredReading],
    gaps: Iterable[StoredGap] = (),
    aggregates: Iterable[StoredAggregate] = (),
) -> Iterator[str]:
    """Every record as one line of line protocol (ns precision)."""
    yield from map(_reading, readings)
    yield from map(_aggregate, aggregates)
    yield from map(_gap, gaps)
