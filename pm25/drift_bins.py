"""Drift signals and their fixed bins: one definition for the device, training and the hub.

The device bins its haze features into the heartbeat, training bins the release's training frames
into ``drift-reference.json``, and the hub's drift watch compares the two by PSI. Histograms can
only be compared bin for bin, so the edges live here and every side imports them.

Signals (``edges`` are inner edges: n edges make n + 1 bins, a value on an edge goes right):
- ``pm25``: predictions, log-spaced edges at the AQI breakpoints and beyond;
- ``sd``: the model's uncertainty per reading;
- ``flags``: quality-gate outcome per reading: none, or the lowest quality flag set (bits 1..7;
  bit 0, CALIBRATED, is not a quality outcome);
- four haze features of ``pm25.features`` (the ones most related to PM2.5 on the baseline's
  training frames, one per physical cue; see docs/closed-loop.md): DCP transmission, edge
  density, far/near contrast ratio and the airlight's blue/red ratio. Their inner edges are the
  deciles of the 5,000 frames of the baseline training set (training/configs/small.yaml), so
  each inner bin holds about a tenth of the training data; two tail edges at the 0.5 % and
  99.5 % quantiles of the same frames add a bin at each end, so "outside what the model was
  trained on" is measurable (12 bins). Builds before the tail edges sent and wrote 10 bins (the
  deciles only): ``deciles()`` folds a 12-bin histogram into that layout exactly, so old
  heartbeats and old references stay comparable.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pm25.features import FEATURE_NAMES

__all__ = [
    "DECILE_BINS",
    "FLAG_BINS",
    "HAZE_DECILES",
    "HAZE_EDGES",
    "HAZE_SIGNALS",
    "HAZE_TAILS",
    "MAX_COUNT",
    "PM25_EDGES",
    "READING_SIGNALS",
    "REFERENCE_FILE",
    "SD_EDGES",
    "SIGNALS",
    "bins",
    "check_counts",
    "deciles",
    "edges",
    "flag_histogram",
    "haze_histograms",
    "histogram",
    "parse_reference",
    "reference_json",
]

PM25_EDGES: Final = (5.0, 9.0, 15.0, 25.0, 35.4, 55.4, 80.0, 125.4, 225.4)
SD_EDGES: Final = (2.0, 4.0, 6.0, 9.0, 13.0, 20.0, 30.0, 50.0)
FLAG_BINS: Final = 8  # none + bits 1..7
HAZE_DECILES: Final[Mapping[str, tuple[float, ...]]] = {
    "transmission_mean": (0.552, 0.579, 0.597, 0.611, 0.624, 0.635, 0.646, 0.658, 0.672),
    "edge_density": (0.315, 0.343, 0.363, 0.379, 0.394, 0.408, 0.422, 0.437, 0.457),
    "contrast_top_bottom_ratio": (0.907, 1.035, 1.136, 1.233, 1.332, 1.443, 1.574, 1.738, 1.923),
    "airlight_blue_red": (0.82, 0.866, 0.898, 0.923, 0.946, 0.968, 0.992, 1.048, 1.136),
}
# 0.5 % and 99.5 % quantiles of the same frames, rounded outwards to 3 decimals (each tail bin
# holds 0.5 % of them: 25 of 5,000).
HAZE_TAILS: Final[Mapping[str, tuple[float, float]]] = {
    "transmission_mean": (0.46, 0.715),
    "edge_density": (0.244, 0.54),
    "contrast_top_bottom_ratio": (0.463, 2.401),
    "airlight_blue_red": (0.634, 1.319),
}
HAZE_EDGES: Final[Mapping[str, tuple[float, ...]]] = {
    s: (HAZE_TAILS[s][0], *d, HAZE_TAILS[s][1]) for s, d in HAZE_DECILES.items()
}
DECILE_BINS: Final = 10  # a haze histogram without the tail bins (builds before them)
READING_SIGNALS: Final = ("pm25", "sd", "flags")
HAZE_SIGNALS: Final = tuple(HAZE_EDGES)
SIGNALS: Final = (*READING_SIGNALS, *HAZE_SIGNALS)
REFERENCE_FILE: Final = "drift-reference.json"  # next to manifest.json in a release
MAX_COUNT: Final = 10**9  # per bin; far above any real count, it bounds what a peer may send

assert set(HAZE_SIGNALS) <= set(FEATURE_NAMES)
_EDGES: Final[Mapping[str, tuple[float, ...]]] = {
    "pm25": PM25_EDGES, "sd": SD_EDGES, **HAZE_EDGES,
}  # fmt: skip


def edges(signal: str) -> tuple[float, ...]:
    """The inner edges of a binned signal (``flags`` has none: its bins are categories)."""
    return _EDGES[signal]


def bins(signal: str) -> int:
    """Number of bins of a signal; KeyError for an unknown one."""
    return FLAG_BINS if signal == "flags" else len(_EDGES[signal]) + 1


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_right(edges, v)] += 1
    return counts


def flag_histogram(flags: Sequence[int]) -> list[int]:
    counts = [0] * FLAG_BINS
    for f in flags:
        low = f & 0xFE
        counts[0 if low == 0 else (low & -low).bit_length() - 1] += 1
    return counts


def haze_histograms(features: Mapping[str, Sequence[float]]) -> dict[str, list[int]]:
    """Histograms of the haze signals present in ``features`` (name -> values)."""
    return {s: histogram(features[s], HAZE_EDGES[s]) for s in HAZE_SIGNALS if s in features}


def deciles(counts: Sequence[int]) -> list[int]:
    """A haze histogram in the deciles-only layout: the tail bins folded into their neighbours
    (exact, the deciles are a subset of the edges); a 10-bin histogram is returned as it is."""
    if len(counts) == DECILE_BINS:
        return list(counts)
    if len(counts) != DECILE_BINS + 2:
        raise ValueError(f"{len(counts)} counts are not a haze histogram")
    return [counts[0] + counts[1], *counts[2:-2], counts[-2] + counts[-1]]


def check_counts(signal: str, counts: Sequence[int]) -> str | None:
    """Why ``counts`` is not a histogram of ``signal``, or None if it is one (zeros allowed).
    A haze signal may also come in the deciles-only layout of older builds."""
    if signal not in SIGNALS:
        return f"unknown signal {signal!r} (known: {', '.join(SIGNALS)})"
    if len(counts) != bins(signal) and not (signal in HAZE_EDGES and len(counts) == DECILE_BINS):
        older = f" (or {DECILE_BINS}, deciles only)" if signal in HAZE_EDGES else ""
        return f"signal {signal!r}: {len(counts)} counts, need {bins(signal)}{older}"
    if any(type(c) is not int or not 0 <= c <= MAX_COUNT for c in counts):
        return f"signal {signal!r}: counts must be integers 0..{MAX_COUNT}"
    return None


def reference_json(name: str, version: int, counts: Mapping[str, Sequence[int]]) -> bytes:
    """The bytes of a release's ``drift-reference.json``: sorted keys, no timestamps, so the
    same training frames give the same bytes. The edges go along so a reader can tell a file
    binned with other edges from one it may compare with."""
    doc = {
        "v": 1,
        "name": name,
        "version": version,
        "edges": {s: _expected_edges(s, len(v)) for s, v in counts.items() if s in _EDGES},
        "counts": {s: [int(c) for c in v] for s, v in counts.items()},
    }
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode("utf-8")


def _expected_edges(signal: str, n: int) -> list[float]:
    """The edges a histogram of ``n`` counts of a binned signal was made with (a haze signal's
    10 counts: the deciles only, as older builds wrote them)."""
    if signal in HAZE_DECILES and n == DECILE_BINS:
        return list(HAZE_DECILES[signal])
    return list(_EDGES[signal])


def parse_reference(data: bytes, version: int) -> tuple[dict[str, list[int]], list[str]]:
    """The usable histograms of a ``drift-reference.json`` for release ``version``, and why
    the rest were not usable (a signal binned with other edges, unknown, empty, malformed)."""
    try:
        doc = json.loads(data)
    except ValueError as e:
        return {}, [f"not JSON: {e}"]
    if not isinstance(doc, dict) or doc.get("v") != 1 or not isinstance(doc.get("counts"), dict):
        return {}, ["not a version 1 drift reference (needs v: 1 and counts)"]
    if doc.get("version") != version:
        return {}, [f"made for version {doc.get('version')!r}, not {version}"]
    given = doc.get("edges")
    given_edges: dict[str, Any] = given if isinstance(given, dict) else {}
    good: dict[str, list[int]] = {}
    problems: list[str] = []
    for signal, counts in sorted(doc["counts"].items()):
        problem = check_counts(signal, counts) if isinstance(counts, list) else "not a list"
        if problem is None and sum(counts) == 0:
            problem = f"signal {signal!r}: all counts are zero"
        if (
            problem is None
            and signal in _EDGES
            and given_edges.get(signal) != _expected_edges(signal, len(counts))
        ):
            problem = f"signal {signal!r}: binned with other edges than this build's"
        if problem is None:
            good[signal] = counts
        else:
            problems.append(problem)
    return good, problems
