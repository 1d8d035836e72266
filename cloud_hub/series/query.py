"""Pure: InfluxQL statements for a selection, and turning /query answers into records.

InfluxQL, not Flux: it is the query language InfluxDB 1.x, 2.x (through the v1-compatible
``/query`` endpoint and a DBRP mapping) and 3.x (natively) all speak; Flux does not exist in
InfluxDB 3. See docs/series-store.md.
"""

from __future__ import annotations

from typing import Any

from cloud_hub.series.base import Bucket, Selection, StoredAggregate, StoredGap, StoredReading
from cloud_hub.series.lineproto import AGGREGATES, GAPS, NO_TIME, READINGS

__all__ = [
    "downsample_statements",
    "gaps_statement",
    "merge_buckets",
    "parse_aggregates",
    "parse_gaps",
    "parse_readings",
    "raw_statements",
    "rows",
]

_READING_FIELDS = "pm25, sd, aqi, flags, mv, seq, device, zone"
_AGG_FIELDS = "seq, t_to, n, mean, min, max, device, zone"


def literal(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _who(selection: Selection) -> str:
    if selection.zone is not None:
        return f"zone = {literal(selection.zone)}"
    return "(" + " OR ".join(f"device = {literal(d)}" for d in selection.device_ids) + ")"


def _span(start: int, end: int) -> str:
    return f"time >= {start}s AND time < {end}s"


def raw_statements(selection: Selection, limit: int) -> tuple[str, str]:
    """Readings (one more than ``limit`` to detect truncation) and aggregates of a selection."""
    where = f"{_who(selection)} AND {_span(selection.start, selection.end)}"
    return (
        f"SELECT {_READING_FIELDS} FROM {READINGS} WHERE {where} ORDER BY time LIMIT {limit + 1}",
        f"SELECT {_AGG_FIELDS} FROM {AGGREGATES} WHERE {where} ORDER BY time",
    )


def downsample_statements(selection: Selection, interval_s: int) -> tuple[str, str]:
    where = f"{_who(selection)} AND {_span(selection.start, selection.end)}"
    group = f"GROUP BY time({interval_s}s) fill(none)"
    return (
        f"SELECT count(pm25), sum(pm25), min(pm25), max(pm25) FROM {READINGS} "
        f"WHERE {where} {group}",
        f"SELECT sum(n), sum(total), min(min), max(max) FROM {AGGREGATES} WHERE {where} {group}",
    )


def gaps_statement(who: str, start: int, end: int) -> str:
    """Gaps overlapping [start, end): start before end and end at or after start.

    A gap known only by seq sits at time 0 with ``t_to`` = NO_TIME, so it matches every range.
    """
    return (
        f"SELECT reason, device, zone, seq_from, seq_to, t_to, timed FROM {GAPS} "
        f"WHERE {who} AND time < {end}s AND t_to >= {start} ORDER BY time"
    )


def device_filter(device_id: str) -> str:
    return f"device = {literal(device_id)}"


def selection_filter(selection: Selection) -> str:
    return _who(selection)


def rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the first statement of a /query answer as dicts; raises ValueError on an error."""
    results = answer.get("results") or [{}]
    first = results[0]
    if "error" in first:
        raise ValueError(str(first["error"]))
    out: list[dict[str, Any]] = []
    for series in first.get("series", []):
        cols = series["columns"]
        out.extend(dict(zip(cols, values, strict=True)) for values in series.get("values", []))
    return out


def parse_readings(data: list[dict[str, Any]]) -> list[StoredReading]:
    return [
        StoredReading(
            r["device"], int(r["seq"]), int(r["time"]), float(r["pm25"]), float(r["sd"]),
            int(r["aqi"]), int(r["flags"]), int(r["mv"]), r.get("zone") or None,
        )
        for r in data
    ]  # fmt: skip


def parse_aggregates(data: list[dict[str, Any]]) -> list[StoredAggregate]:
    return [
        StoredAggregate(
            r["device"], int(r["seq"]), int(r["time"]), int(r["t_to"]), int(r["n"]),
            float(r["mean"]), float(r["min"]), float(r["max"]), r.get("zone") or None,
        )
        for r in data
    ]  # fmt: skip


def parse_gaps(data: list[dict[str, Any]]) -> list[StoredGap]:
    out = []
    for r in data:
        timed = bool(r["timed"])
        out.append(
            StoredGap(
                r["device"], r["reason"],
                None if r.get("seq_from") is None else int(r["seq_from"]),
                None if r.get("seq_to") is None else int(r["seq_to"]),
                int(r["time"]) if timed else None,
                int(r["t_to"]) if timed and r["t_to"] != NO_TIME else None,
                r.get("zone") or None,
            )
        )  # fmt: skip
    return out


def merge_buckets(readings: list[dict[str, Any]], aggregates: list[dict[str, Any]]) -> list[Bucket]:
    """Combine per-interval reading and aggregate statistics into one bucket list."""
    acc: dict[int, list[float]] = {}
    for r in readings:
        acc[int(r["time"])] = [r["count"], r["sum"], r["min"], r["max"]]
    for a in aggregates:
        t = int(a["time"])
        n, total, lo, hi = a["sum"], a["sum_1"], a["min"], a["max"]
        if t in acc:
            c = acc[t]
            acc[t] = [c[0] + n, c[1] + total, min(c[2], lo), max(c[3], hi)]
        else:
            acc[t] = [n, total, lo, hi]
    return [
        Bucket(t, int(c[0]), c[1] / c[0], float(c[2]), float(c[3]))
        for t, c in sorted(acc.items())
        if c[0]
    ]
