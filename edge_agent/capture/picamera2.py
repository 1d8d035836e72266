"""Raspberry Pi camera through picamera2; imported only when a picamera2 source is configured."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from edge_agent.capture.base import Frame
from edge_agent.capture.config import Picamera2Source
from edge_agent.errors import CameraError


class Picamera2Camera:
    """Still-capture loop on a Picamera2 in BGR888 (which is B, G, R order in memory)."""

    def __init__(self, config: Picamera2Source) -> None:
        self.config = config
        self._cam: Any = None

    def open(self) -> None:
        try:
            from picamera2 import Picamera2  # noqa: PLC0415 (Raspberry Pi only)
        except ImportError as e:
            raise CameraError("picamera2 is not installed (pip install '.[picamera2]')") from e
        c = self.config
        try:
            cam = Picamera2()
            size = (c.width, c.height)
            cam.configure(cam.create_still_configuration(main={"size": size, "format": "BGR888"}))
            controls: dict[str, float] = {}
            if c.exposure_us is not None:
                controls["ExposureTime"] = c.exposure_us
            if c.analogue_gain is not None:
                controls["AnalogueGain"] = c.analogue_gain
            if controls:
                cam.set_controls(controls)
            cam.start()
        except Exception as e:  # libcamera errors have no common base class
            raise CameraError(f"{self.describe()}: cannot open: {e}") from e
        self._cam = cam

    def read(self) -> Frame:
        if self._cam is None:
            raise CameraError(f"{self.describe()}: not open")
        try:
            image = self._cam.capture_array("main")
        except Exception as e:
            raise CameraError(f"{self.describe()}: capture failed: {e}") from e
        return Frame(np.ascontiguousarray(image[:, :, :3]), datetime.now(UTC), self.describe())

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.close()
            finally:
                self._cam = None

    def describe(self) -> str:
        return f"picamera2 {self.config.width}x{self.config.height}"
