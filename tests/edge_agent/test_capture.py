"""Cameras: synthetic (simulator), folder replay with timestamps, OpenCV video files, factory."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge_agent.capture import (
    CaptureConfig,
    FolderSource,
    Frame,
    OpenCvSource,
    Picamera2Source,
    SyntheticSource,
    open_camera,
)
from edge_agent.capture.folder import FolderCamera, timestamp_of
from edge_agent.capture.opencv import OpenCvCamera
from edge_agent.capture.picamera2 import Picamera2Camera
from edge_agent.capture.synthetic import SyntheticSourceCamera
from edge_agent.errors import CameraError

SMALL = {"width": 320, "height": 180}


def test_frame_requires_utc_and_bgr() -> None:
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="UTC"):
        Frame(img, datetime(2026, 1, 1), "x")
    with pytest.raises(ValueError, match="uint8"):
        Frame(np.zeros((4, 4), np.uint8), datetime.now(UTC), "x")


def test_synthetic_frames_carry_truth_and_differ_per_camera() -> None:
    clock = [1_780_000_000.0]
    cam = SyntheticSourceCamera(
        SyntheticSource(camera_seed=1, speedup=3600, **SMALL), lambda: clock[0]
    )
    cam.open()
    first = cam.read()
    clock[0] += 2.0  # two real seconds = two simulated hours
    later = cam.read()
    assert first.image.shape == (180, 320, 3) and first.captured_at.tzinfo is not None
    assert (later.captured_at - first.captured_at).total_seconds() == pytest.approx(7200)
    assert set(first.truth) == {"pm25", "rh"} and first.truth["pm25"] >= 0
    other = SyntheticSourceCamera(SyntheticSource(camera_seed=2, **SMALL), lambda: 1_780_000_000.0)
    assert not np.array_equal(other.read().image, first.image)


def _write(folder: Path, name: str, value: int) -> Path:
    path = folder / name
    cv2.imwrite(str(path), np.full((48, 64, 3), value, np.uint8))
    return path


def test_folder_replays_in_time_order_with_timestamps(tmp_path: Path) -> None:
    _write(tmp_path, "b_20261130T081500Z.png", 20)
    _write(tmp_path, "a_20261130T091500.250Z.png", 30)
    plain = _write(tmp_path, "plain.png", 10)
    os.utime(plain, (1_700_000_000, 1_700_000_000))  # 2023: oldest
    (tmp_path / "notes.txt").write_text("ignored")
    cam = FolderCamera(FolderSource(path=tmp_path))
    cam.open()
    frames = [cam.read() for _ in range(3)]
    assert [int(f.image[0, 0, 0]) for f in frames] == [10, 20, 30]
    assert frames[1].captured_at == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    assert frames[2].captured_at == datetime(2026, 11, 30, 9, 15, 0, 250_000, tzinfo=UTC)
    with pytest.raises(CameraError, match="replay finished"):
        cam.read()
    cam.close()
    with pytest.raises(CameraError, match="no new images"):
        cam.open()
    _write(tmp_path, "c_20261130T101500Z.png", 40)  # a new image in the drop folder
    cam.open()
    assert int(cam.read().image[0, 0, 0]) == 40


def test_folder_loop_and_unreadable_image(tmp_path: Path) -> None:
    _write(tmp_path, "a_20260101T000000Z.png", 1)
    (tmp_path / "b_20260101T000100Z.jpg").write_bytes(b"not a jpeg")
    cam = FolderCamera(FolderSource(path=tmp_path, loop=True))
    cam.open()
    assert int(cam.read().image[0, 0, 0]) == 1
    with pytest.raises(CameraError, match="cannot read b_"):
        cam.read()
    assert int(cam.read().image[0, 0, 0]) == 1  # looped


def test_folder_missing(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="not a folder"):
        FolderCamera(FolderSource(path=tmp_path / "nope")).open()


def test_timestamp_not_a_date_falls_back_to_mtime(tmp_path: Path) -> None:
    path = _write(tmp_path, "x_20261399T999999Z.png", 1)
    assert timestamp_of(path) == datetime.fromtimestamp(path.stat().st_mtime, UTC)


def write_video(path: Path, frames: int = 5) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()


def test_opencv_video_file_ends_or_loops(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_video(video)
    cam = OpenCvCamera(OpenCvSource(device=str(video)))
    cam.open()
    assert [cam.read().image.shape for _ in range(5)] == [(48, 64, 3)] * 5
    with pytest.raises(CameraError, match="stopped delivering"):
        cam.read()
    looping = OpenCvCamera(OpenCvSource(device=str(video), loop=True))
    looping.open()
    assert len([looping.read() for _ in range(12)]) == 12
    looping.close()
    looping.close()


def test_opencv_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="cannot open"):
        OpenCvCamera(OpenCvSource(device=str(tmp_path / "missing.avi"))).open()
    with pytest.raises(CameraError, match="not open"):
        OpenCvCamera(OpenCvSource()).read()


def test_picamera2_absent_is_a_camera_error() -> None:
    import importlib.util

    if importlib.util.find_spec("picamera2") is not None:
        pytest.skip("picamera2 installed")
    with pytest.raises(CameraError, match="picamera2 is not installed"):
        Picamera2Camera(Picamera2Source()).open()


def test_factory_builds_the_configured_source(tmp_path: Path) -> None:
    assert isinstance(open_camera(CaptureConfig()), SyntheticSourceCamera)
    folder = CaptureConfig.model_validate({"source": {"kind": "folder", "path": str(tmp_path)}})
    assert isinstance(open_camera(folder), FolderCamera)
    assert isinstance(open_camera(CaptureConfig(source=OpenCvSource(device=0))), OpenCvCamera)


@pytest.mark.parametrize(
    "bad",
    [
        {"source": {"kind": "webcam"}},
        {"source": {"kind": "synthetic", "fps": 3}},
        {"interval_s": 0},
        {"roi": {"x": 0.8, "w": 0.5}},
    ],
)
def test_invalid_capture_config_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CaptureConfig.model_validate(bad)
