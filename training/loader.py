"""Load a dataset folder (real or synthetic, one format) and join frames to reference readings.

Each frame is matched to the reference reading nearest in time, if one lies within the
tolerance. Nothing is dropped silently: frames without a reading, unreadable frames and bad CSV
rows are counted in a `JoinReport` with examples; in strict mode a bad frame or row raises a
`DatasetError` naming the file (and row) instead.
"""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from training.dataset_format import (
    FRAME_SUFFIXES,
    FRAMES_DIR,
    REFERENCE_CSV,
    REQUIRED_COLUMNS,
    is_camera_id,
    parse_frame_time,
    parse_timestamp,
)
from training.errors import DatasetError

MAX_EXAMPLES: Final = 5


@dataclass(frozen=True)
class Reading:
    """One reference-monitor reading."""

    time: datetime
    pm25: float
    rh: float | None


@dataclass(frozen=True)
class Sample:
    """A frame joined to its reading."""

    camera: str
    time: datetime
    path: Path
    pm25: float
    rh: float | None
    lag_s: float


@dataclass
class JoinReport:
    """What could not be used, with counts and a few examples per reason."""

    joined: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append(example)

    def markdown(self) -> str:
        lines = [f"Joined frames: {self.joined}", ""]
        if not self.skipped:
            return "\n".join([*lines, "Nothing skipped."])
        lines += ["| reason | count | examples |", "|---|---|---|"]
        for reason, n in sorted(self.skipped.items()):
            lines.append(f"| {reason} | {n} | {'; '.join(self.examples[reason])} |")
        return "\n".join(lines)


def read_reference(path: Path, strict: bool, report: JoinReport) -> list[Reading]:
    """Read a reference CSV; missing columns always raise, bad rows raise when strict."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else _header(path)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"{path}: cannot read reference CSV: {e}") from e
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}; found {sorted(header)}")
    readings: list[Reading] = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            readings.append(_reading(row))
        except ValueError as e:
            if strict:
                raise DatasetError(f"{path}: row {n}: {e}") from e
            report.skip("bad reference row", f"{path.name} row {n}: {e}")
    return sorted(readings, key=lambda r: r.time)


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def _reading(row: dict[str, str | None]) -> Reading:
    stamp = row.get("timestamp") or ""
    time = parse_timestamp(stamp)
    if time is None:
        raise ValueError(f"bad timestamp {stamp!r} (need ISO 8601 with timezone)")
    pm25 = _number(row.get("pm25"), "pm25")
    if pm25 is None or pm25 < 0.0:
        raise ValueError(f"pm25 must be a number >= 0, got {row.get('pm25')!r}")
    rh = _number(row.get("rh"), "rh")
    if rh is not None:
        rh = rh / 100.0 if rh > 1.0 else rh
        if not 0.0 <= rh <= 1.0:
            raise ValueError(f"rh must be 0..1 or 0..100 %, got {row.get('rh')!r}")
    return Reading(time=time, pm25=pm25, rh=rh)


def _number(text: str | None, name: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        v = float(text)
    except ValueError as e:
        raise ValueError(f"{name} is not a number: {text!r}") from e
    if not math.isfinite(v):
        raise ValueError(f"{name} is not finite: {text!r}")
    return v


def join_camera(
    folder: Path, tolerance: timedelta, strict: bool, report: JoinReport
) -> list[Sample]:
    """Join one camera's frames to its readings by nearest time within `tolerance`."""
    readings = read_reference(folder / REFERENCE_CSV, strict, report)
    times = [r.time for r in readings]
    frames_dir = folder / FRAMES_DIR
    if not frames_dir.is_dir():
        raise DatasetError(f"{frames_dir}: frames folder missing")
    samples: list[Sample] = []
    for path in sorted(frames_dir.iterdir()):
        if path.suffix.lower() not in FRAME_SUFFIXES:
            report.skip("not a frame file", str(path.relative_to(folder.parent)))
            continue
        when = parse_frame_time(path)
        if when is None:
            if strict:
                raise DatasetError(f"{path}: file name carries no capture time (YYYYMMDDTHHMMSSZ)")
            report.skip("no time in file name", str(path.relative_to(folder.parent)))
            continue
        i = bisect.bisect_left(times, when)
        best = min(
            (r for r in readings[max(i - 1, 0) : i + 1]),
            key=lambda r: abs(r.time - when),
            default=None,
        )
        if best is None or abs(best.time - when) > tolerance:
            report.skip("no reading within tolerance", str(path.relative_to(folder.parent)))
            continue
        lag = abs((best.time - when).total_seconds())
        samples.append(Sample(folder.name, when, path, best.pm25, best.rh, lag))
    return samples


def load_dataset(
    root: Path, tolerance: timedelta = timedelta(minutes=5), strict: bool = True
) -> tuple[list[Sample], JoinReport]:
    """All joined samples of a dataset folder and the report; DatasetError when nothing joins."""
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset folder does not exist")
    report = JoinReport()
    samples: list[Sample] = []
    cameras = sorted(p for p in root.iterdir() if p.is_dir())
    for folder in cameras:
        if not is_camera_id(folder.name):
            raise DatasetError(f"{folder}: not a valid camera id (letters, digits, _ . -)")
        samples += join_camera(folder, tolerance, strict, report)
    report.joined = len(samples)
    if not samples:
        raise DatasetError(
            f"{root}: no frame could be joined to a reference reading within {tolerance} "
            f"({len(cameras)} camera folder(s); skipped: {report.skipped or 'none'})"
        )
    return samples, report
