"""The supervisor: lost cameras reopen with backoff, nothing raises out, state for the heartbeat."""

from __future__ import annotations

import itertools
import random
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge_agent.backoff import Backoff
from edge_agent.capture import CameraSupervisor, FolderSource, Frame, OpenCvSource
from edge_agent.capture.folder import FolderCamera
from edge_agent.capture.opencv import OpenCvCamera
from edge_agent.errors import CameraError
from tests.edge_agent.test_capture import _write, write_video


class ScriptedCamera:
    """A camera of our own interface that fails as scripted: 'o' open fails, 'r' read fails."""

    def __init__(self, script: str) -> None:
        self.script = iter(script)
        self.closed = 0

    def open(self) -> None:
        if next(self.script, ".") == "o":
            raise CameraError("device busy")

    def read(self) -> Frame:
        step = next(self.script, ".")
        if step == "r":
            raise CameraError("no frame")
        if step == "x":
            raise RuntimeError("driver bug")
        return Frame(np.zeros((2, 2, 3), np.uint8), datetime.now(UTC), "scripted")

    def close(self) -> None:
        self.closed += 1

    def describe(self) -> str:
        return "scripted"


def fast_backoff() -> Backoff:
    return Backoff(initial_s=0.001, max_s=0.004, jitter=0.5, rng=random.Random(0))


def test_failures_are_retried_and_counted_never_raised() -> None:
    # open fails twice, then: frame, read fails, (reopen) frame, unexpected error, (reopen) frame
    camera = ScriptedCamera("oo.." + "r" + "." + "." + "x" + "." + ".")
    sup = CameraSupervisor(lambda: camera, fast_backoff())
    frames = list(itertools.islice(sup.frames(), 3))
    assert len(frames) == 3
    state = sup.state()
    assert state.failures == 4 and state.opens == 3 and state.camera_ok
    assert state.last_error == "RuntimeError: driver bug"
    assert camera.closed >= 3  # closed after each failure and at the end


def test_factory_that_raises_is_retried() -> None:
    calls = []

    def factory() -> ScriptedCamera:
        calls.append(1)
        if len(calls) < 3:
            raise OSError("no /dev/video0")
        return ScriptedCamera("")

    sup = CameraSupervisor(factory, fast_backoff())
    assert next(sup.frames()).source == "scripted"
    assert sup.state().failures == 2


def test_stop_ends_the_iteration_even_while_failing() -> None:
    stop = threading.Event()
    sup = CameraSupervisor(lambda: ScriptedCamera("o" * 1000), fast_backoff(), stop)
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    assert list(sup.frames()) == []
    assert not sup.state().camera_ok and sup.state().failures > 3


def test_folder_image_deleted_mid_run(tmp_path: Path) -> None:
    for i in range(3):
        _write(tmp_path, f"f_2026010{i + 1}T000000Z.png", 10 * (i + 1))
    sup = CameraSupervisor(lambda: FolderCamera(FolderSource(path=tmp_path)), fast_backoff())
    it = sup.frames()
    assert int(next(it).image[0, 0, 0]) == 10
    (tmp_path / "f_20260102T000000Z.png").unlink()  # vanishes after the listing
    assert int(next(it).image[0, 0, 0]) == 30
    assert sup.state().failures == 1 and "cannot read" in (sup.state().last_error or "")


def test_video_source_that_vanishes_and_comes_back(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_video(video, frames=2)
    stash = tmp_path / "stash.avi"
    shutil.copy(video, stash)
    sup = CameraSupervisor(lambda: OpenCvCamera(OpenCvSource(device=str(video))), fast_backoff())
    it = sup.frames()
    next(it), next(it)
    video.unlink()  # the stream stops delivering and cannot be reopened
    restore = threading.Timer(0.1, shutil.copy, (stash, video))
    restore.start()
    assert next(it).image.shape == (48, 64, 3)  # reopened once the source is back
    restore.join()
    state = sup.state()
    assert state.camera_ok and state.failures >= 2 and state.opens == 2
