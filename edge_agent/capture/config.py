"""Capture section: one source (discriminated by ``kind``), the pacing, the region of interest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge_agent.backoff import BackoffConfig
from pm25.preprocess import Roi


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticSource(_Section):
    """The shared scene simulator: a fixed street (camera_seed) under a city's PM2.5 series."""

    kind: Literal["synthetic"] = Field("synthetic", description="Source type.")
    camera_seed: int = Field(1, ge=0, description="Which simulated street this unit watches.")
    pollution_seed: int | None = Field(
        None, description="Seed of the city's PM2.5 series; the camera seed when unset."
    )
    profile: Literal["default", "humid", "clean"] = Field(
        "default", description="City profile of pm25.pollution (level, episodes, climate)."
    )
    speedup: float = Field(
        1.0, ge=1.0, le=100000.0, description="Simulated seconds per real second (demos)."
    )
    clock: Literal["real", "daylight"] = Field(
        "real",
        description="real: the scene's time of day is the (sped-up) clock; daylight: each UTC "
        "day is squeezed into 09:00-15:00 so the scene is lit whenever it runs (demos).",
    )
    width: int = Field(1280, ge=64, le=4096, description="Frame width in pixels.")
    height: int = Field(720, ge=64, le=4096, description="Frame height in pixels.")
    jpeg_quality: int | None = Field(
        90, ge=10, le=100, description="Simulate JPEG compression at this quality (None: off)."
    )


class OpenCvSource(_Section):
    """OpenCV VideoCapture: a USB camera index, an RTSP/HTTP URL or a video file."""

    kind: Literal["opencv"] = Field("opencv", description="Source type.")
    device: int | str = Field(
        0, description="Camera index (0, 1, ...), stream URL (rtsp://...) or video file path."
    )
    loop: bool = Field(False, description="Restart a video file at its end (demos, tests).")
    api: Literal["auto", "gstreamer", "ffmpeg", "v4l2"] = Field(
        "auto",
        description="OpenCV capture API; 'gstreamer' for a pipeline string (Jetson CSI cameras).",
    )
    width: int | None = Field(None, ge=16, description="Requested capture width (cameras).")
    height: int | None = Field(None, ge=16, description="Requested capture height (cameras).")


class FolderSource(_Section):
    """A folder of images replayed in time order (see docs/edge-agent.md for file names)."""

    kind: Literal["folder"] = Field("folder", description="Source type.")
    path: Path = Field(description="Folder with .jpg/.jpeg/.png images.")
    loop: bool = Field(
        False, description="Start again after the last image; otherwise wait for new ones."
    )


class Picamera2Source(_Section):
    """Raspberry Pi camera through picamera2 (imported only when this source is used)."""

    kind: Literal["picamera2"] = Field("picamera2", description="Source type.")
    width: int = Field(1280, ge=64, le=4608, description="Frame width in pixels.")
    height: int = Field(720, ge=64, le=2592, description="Frame height in pixels.")
    exposure_us: int | None = Field(
        None, ge=10, description="Fixed exposure time, µs; auto-exposure when unset."
    )
    analogue_gain: float | None = Field(
        None, ge=1.0, le=16.0, description="Fixed analogue gain; automatic when unset."
    )


Source = Annotated[
    SyntheticSource | OpenCvSource | FolderSource | Picamera2Source, Field(discriminator="kind")
]


class CaptureConfig(_Section):
    """Where frames come from, how often, and which part of them the model reads."""

    source: Source = Field(default_factory=SyntheticSource, description="The camera.")
    interval_s: float = Field(10.0, gt=0.0, le=86400.0, description="Seconds between captures.")
    roi: Roi = Field(default_factory=Roi, description="Region of interest (normalised x, y, w, h).")
    reopen: BackoffConfig = Field(
        default_factory=lambda: BackoffConfig(initial_s=1.0, max_s=60.0),
        description="Delays between attempts to reopen a lost camera.",
    )
