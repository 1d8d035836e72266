"""Capture: cameras behind one small interface, and the supervisor that keeps them alive.

``open_camera(config)`` builds the configured source; picamera2 is imported only when used.
"""

from __future__ import annotations

from edge_agent.capture.base import Camera, Frame
from edge_agent.capture.config import (
    CaptureConfig,
    FolderSource,
    OpenCvSource,
    Picamera2Source,
    SyntheticSource,
)
from edge_agent.capture.supervisor import CameraState, CameraSupervisor

__all__ = [
    "Camera",
    "CameraState",
    "CameraSupervisor",
    "CaptureConfig",
    "FolderSource",
    "Frame",
    "OpenCvSource",
    "Picamera2Source",
    "SyntheticSource",
    "open_camera",
]


def open_camera(config: CaptureConfig) -> Camera:
    """The camera of the configured source (not opened yet: the supervisor opens it)."""
    # Imports per source: a unit loads only the code (and drivers) of its own camera.
    source = config.source
    if isinstance(source, SyntheticSource):
        from edge_agent.capture.synthetic import SyntheticSourceCamera  # noqa: PLC0415

        return SyntheticSourceCamera(source)
    if isinstance(source, OpenCvSource):
        from edge_agent.capture.opencv import OpenCvCamera  # noqa: PLC0415

        return OpenCvCamera(source)
    if isinstance(source, FolderSource):
        from edge_agent.capture.folder import FolderCamera  # noqa: PLC0415

        return FolderCamera(source)
    from edge_agent.capture.picamera2 import Picamera2Camera  # noqa: PLC0415

    return Picamera2Camera(source)
