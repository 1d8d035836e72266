"""OpenCV VideoCapture: USB cameras, RTSP/HTTP streams and video files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from edge_agent.capture.base import Frame
from edge_agent.capture.config import OpenCvSource
from edge_agent.errors import CameraError

_APIS = {
    "auto": cv2.CAP_ANY,
    "gstreamer": cv2.CAP_GSTREAMER,
    "ffmpeg": cv2.CAP_FFMPEG,
    "v4l2": cv2.CAP_V4L2,
}


class OpenCvCamera:
    """One VideoCapture; a failed grab is a CameraError (the supervisor reopens)."""

    def __init__(self, config: OpenCvSource) -> None:
        self.config = config
        self._cap: Any = None

    def open(self) -> None:
        self.close()
        cap = cv2.VideoCapture(self.config.device, _APIS[self.config.api])
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self.describe()}: cannot open")
        if self.config.width and self.config.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        self._cap = cap

    def read(self) -> Frame:
        if self._cap is None:
            raise CameraError(f"{self.describe()}: not open")
        ok, image = self._cap.read()
        if not ok and self.config.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok or image is None:
            raise CameraError(f"{self.describe()}: stopped delivering frames")
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        return Frame(np.ascontiguousarray(image[:, :, :3]), datetime.now(UTC), self.describe())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def describe(self) -> str:
        return f"opencv {self.config.device}"
