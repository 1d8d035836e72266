"""The on-disk dataset format shared by real and synthetic data (described in docs/datasets.md).

    <root>/<camera_id>/frames/<YYYYMMDDTHHMMSSZ>.jpg   one JPEG per capture, UTC time in the name
    <root>/<camera_id>/reference.csv                   timestamp,pm25[,rh][,truth columns...]

`timestamp` is ISO 8601 with a timezone (``2024-03-01T11:00:00Z``); pm25 in µg/m³ (≥ 0);
rh in 0..1 or percent (> 1 is read as percent), empty when the site has no humidity sensor.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

FRAMES_DIR: Final = "frames"
REFERENCE_CSV: Final = "reference.csv"
REQUIRED_COLUMNS: Final = ("timestamp", "pm25")
FRAME_SUFFIXES: Final = (".jpg", ".jpeg", ".png")
_FRAME_NAME: Final = re.compile(r"^(\d{8}T\d{6})Z?(?:[_-].*)?$")
_CAMERA_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def frame_name(when: datetime) -> str:
    """File name of a frame captured at `when` (aware; converted to UTC)."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + ".jpg"


def parse_frame_time(path: Path) -> datetime | None:
    """Capture time from a frame's file name, or None when the name does not carry one."""
    m = _FRAME_NAME.match(path.stem)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_timestamp(text: str) -> datetime | None:
    """An aware ISO 8601 timestamp in UTC, or None if unparsable or without a timezone."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return t.astimezone(UTC)


def is_camera_id(name: str) -> bool:
    """Whether a folder name is a valid camera id."""
    return _CAMERA_ID.match(name) is not None
