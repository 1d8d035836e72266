"""A folder of images replayed in time order, each with the time it was taken.

Timestamp of an image: a UTC stamp in its file name, ``YYYYMMDDTHHMMSSZ`` (optionally with
milliseconds ``YYYYMMDDTHHMMSS.fffZ``), anywhere in the name, e.g. ``cam7_20261130T081500Z.jpg``;
otherwise the file's modification time. Images are replayed oldest first. Without ``loop``, a
replay that has run out raises CameraError and, when the supervisor reopens the camera, goes
on with images newer than the last one delivered (a drop folder); with ``loop`` it starts over.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from edge_agent.capture.base import Frame
from edge_agent.capture.config import FolderSource
from edge_agent.errors import CameraError

SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
_STAMP = re.compile(r"(\d{8}T\d{6})(\.\d{1,6})?Z")


def timestamp_of(path: Path) -> datetime:
    """The capture time of an image file: from its name if stamped, else its mtime (UTC)."""
    match = _STAMP.search(path.name)
    if match:
        try:
            when = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass  # a digit run that is not a date: fall back to the mtime
        else:
            fraction = float(match.group(2) or 0.0)
            return when.replace(microsecond=round(fraction * 1e6) % 1_000_000)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class FolderCamera:
    """Replays the images of a folder; unreadable files are skipped with a CameraError."""

    def __init__(self, config: FolderSource) -> None:
        self.config = config
        self._queue: list[tuple[datetime, Path]] = []
        self._last: tuple[datetime, str] | None = None

    def open(self) -> None:
        folder = self.config.path
        if not folder.is_dir():
            raise CameraError(f"{self.describe()}: not a folder")
        items = []
        for p in folder.iterdir():
            if p.suffix.lower() in SUFFIXES:
                try:
                    items.append((timestamp_of(p), p))
                except OSError:
                    continue  # vanished between listing and stat
        items.sort(key=lambda item: (item[0], item[1].name))
        if self._last is not None and not self.config.loop:
            items = [it for it in items if (it[0], it[1].name) > self._last]
        if not items:
            raise CameraError(f"{self.describe()}: no new images")
        self._queue = items[::-1]  # pop() from the end: oldest first

    def read(self) -> Frame:
        if not self._queue:
            if not self.config.loop:
                raise CameraError(f"{self.describe()}: replay finished, waiting for new images")
            self.open()
        when, path = self._queue.pop()
        self._last = (when, path.name)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise CameraError(f"{self.describe()}: cannot read {path.name}")
        return Frame(np.asarray(image, np.uint8), when, f"folder {path}")

    def close(self) -> None:
        self._queue = []

    def describe(self) -> str:
        return f"folder {self.config.path}"
