"""Keeps a camera alive: reopens a lost one with backoff and jitter, never raises out.

The capture stage iterates ``frames()``; whatever the camera does (cannot open, stops
delivering, raises something unexpected), the supervisor logs it, counts it, waits the next
backoff delay (interruptible by the stop event) and tries again. ``state()`` is what the
heartbeat reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from edge_agent.backoff import Backoff
from edge_agent.capture.base import Camera, Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraState:
    """For the heartbeat: is the camera delivering, what went wrong last, how often."""

    camera_ok: bool
    last_error: str | None
    failures: int
    opens: int
    description: str | None


class CameraSupervisor:
    """Yields frames forever (until ``stop`` is set) from cameras made by ``camera_factory``."""

    def __init__(
        self,
        camera_factory: Callable[[], Camera],
        backoff: Backoff,
        stop: threading.Event | None = None,
    ) -> None:
        self._factory = camera_factory
        self._backoff = backoff
        self.stop = stop or threading.Event()
        self._camera: Camera | None = None  # made once; reopened in place (keeps its state)
        self._open = False
        self._ok = False
        self._last_error: str | None = None
        self._failures = 0
        self._opens = 0

    def state(self) -> CameraState:
        """Snapshot for the heartbeat."""
        cam = self._camera
        return CameraState(
            self._ok,
            self._last_error,
            self._failures,
            self._opens,
            cam.describe() if cam is not None else None,
        )

    def frames(self) -> Iterator[Frame]:
        """Frames until stopped; the camera is closed when the iteration ends."""
        try:
            while not self.stop.is_set():
                frame = self._next()
                if frame is not None:
                    yield frame
        finally:
            self._close()

    def _next(self) -> Frame | None:
        try:
            if self._camera is None:
                self._camera = self._factory()
            camera = self._camera
            if not self._open:
                camera.open()
                self._open = True
                self._opens += 1
                log.info("camera: opened %s", camera.describe())
            frame = camera.read()
        except Exception as e:  # the stage's outer loop: the agent never dies of a camera
            self._fail(e)
            return None
        if not self._ok:
            log.info("camera: delivering frames")
        self._ok = True
        self._backoff.reset()
        return frame

    def _fail(self, error: Exception) -> None:
        self._ok = False
        self._failures += 1
        self._last_error = f"{type(error).__name__}: {error}"
        self._close()
        delay = self._backoff.next_delay()
        log.warning("camera: %s; retrying in %.1f s", self._last_error, delay)
        self.stop.wait(delay)

    def _close(self) -> None:
        camera, self._open = self._camera, False
        if camera is not None:
            try:
                camera.close()
            except Exception as e:  # closing a broken device can fail too; nothing to do
                log.warning("camera: close failed: %s", e)
