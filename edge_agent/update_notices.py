"""Glue between update notices, the OTA updater and the heartbeat (the rollout's device side).

- :class:`NoticeRunner` takes an ``update_notice`` from the command handler, runs the
  :class:`~edge_agent.update.manager.UpdateManager` once in a background thread (the ack must not
  wait for a download), and keeps the progress the heartbeat reports in its ``update`` section.
- :class:`ShadowTap` runs the candidate model on the same frames as the active one for a set time
  (the producer offers it each accepted frame) and returns the agreement statistics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy.typing as npt

from edge_agent.errors import ConfigError
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator
from edge_agent.predict import estimate_frame
from edge_agent.update.manager import UpdateManager, UpdateReport
from edge_agent.update.shadow import ShadowStats, agreement
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile
from edge_agent.update.updater import TufClient
from edge_agent.update_config import UpdateConfig
from pm25.preprocess import Roi
from pm25.wire import UpdateNoticeCommand
from pm25.wire.device import ShadowAgreement, UpdateProgress

log = logging.getLogger(__name__)

# UpdateReport outcome -> the state the hub reads (failure states end a device's part).
_OUTCOME_STATE = {
    "installed": "active", "confirmed": "active", "refused": "refused", "failed": "failed",
    "gave_up": "gave_up", "rolled_back": "rolled_back", "abandoned": "abandoned",
    "deferred": "deferred", "up_to_date": "up_to_date",
}  # fmt: skip


def wire_shadow(stats: ShadowStats) -> ShadowAgreement:
    r = None if stats.correlation is None else max(-1.0, min(1.0, stats.correlation))
    return ShadowAgreement(n=stats.n, mad=min(stats.mean_abs_diff, 2000.0),
                           bias=max(-2000.0, min(2000.0, stats.bias)), r=r,
                           within=stats.within_tolerance)  # fmt: skip


class NoticeRunner:
    """Runs the updater on notice; one run at a time, a notice during a run is coalesced."""

    def __init__(
        self,
        manager: UpdateManager,
        *,
        clock: Callable[[], float] = time.time,
        on_installed: Callable[[], None] = lambda: None,
    ) -> None:
        self._manager = manager
        self._clock = clock
        self._on_installed = on_installed
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._progress: UpdateProgress | None = None
        self._rerun = False
        manager.hook = self._phase

    def notice(self, cmd: UpdateNoticeCommand) -> str | None:
        """Accept (None) or refuse (a reason) a notice; an accepted one starts a run."""
        now = self._clock()
        if cmd.not_after is not None and now > cmd.not_after.timestamp():
            return "install window closed"
        with self._lock:
            self._progress = UpdateProgress(state="notified", version=cmd.release,
                                            rollout=cmd.rollout_id)  # fmt: skip
            if self._thread is not None and self._thread.is_alive():
                self._rerun = True
                return None
            self._thread = threading.Thread(target=self._run, name="update", daemon=True)
            self._thread.start()
        return None

    def progress(self) -> UpdateProgress | None:
        """What the heartbeat's ``update`` section says now."""
        with self._lock:
            return self._progress

    def join(self, timeout_s: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _phase(self, phase: str) -> None:
        if phase == "switched":
            return
        with self._lock:
            if self._progress is not None:
                self._progress = self._progress.model_copy(update={"state": phase})

    def _run(self) -> None:
        while True:
            try:
                report = self._manager.run_once()
            except Exception as e:  # the stage's outer loop: report, never take the agent down
                log.exception("update run failed")
                report = UpdateReport("failed", None, f"{type(e).__name__}: {e}"[:200])
            self._finish(report)
            if report.outcome == "installed":
                self._on_installed()  # the agent restarts its stages on the new model
            with self._lock:
                if not self._rerun:
                    return
                self._rerun = False

    def rolled_back(self, report: UpdateReport) -> None:
        """Report a rollback the agent made (the new model failed after activation)."""
        self._finish(report)

    def _finish(self, report: UpdateReport) -> None:
        with self._lock:
            base = self._progress or UpdateProgress(state="idle")
            changes: dict[str, Any] = {"state": _OUTCOME_STATE[report.outcome]}
            if report.version is not None:
                changes["version"] = report.version
            if report.detail:
                changes["reason"] = report.detail[:200]
            if report.shadow is not None and report.shadow.n > 0:
                changes["shadow"] = wire_shadow(report.shadow)
            self._progress = base.model_copy(update=changes)


class ShadowTap:
    """Both models on the same frames for ``duration_s``; the producer calls :meth:`offer`."""

    def __init__(self, roi: Roi, *, duration_s: float, tolerance: float = 5.0) -> None:
        self._roi = roi
        self._duration = duration_s
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self._candidate: Estimator | None = None
        self._old: list[float] = []
        self._new: list[float] = []

    def offer(self, image: npt.NDArray[Any], active_pm25: float) -> None:
        """An accepted frame and the active model's estimate; cheap when no shadow run is on."""
        candidate = self._candidate
        if candidate is None:
            return
        try:
            est = estimate_frame(image, self._roi, None, candidate)
        except Exception as e:  # a candidate that cannot read a frame disagrees, loudly
            log.warning("shadow: candidate failed on a frame: %s", e)
            return
        if est.pm25 is not None:
            with self._lock:
                self._old.append(active_pm25)
                self._new.append(est.pm25)

    def run(self, candidate: Estimator, stop: threading.Event | None = None) -> ShadowStats:
        """The UpdateManager's shadow step: collect for the duration, then compare."""
        with self._lock:
            self._old, self._new = [], []
            self._candidate = candidate
        (stop or threading.Event()).wait(self._duration)
        with self._lock:
            self._candidate = None
            old, new = self._old, self._new
        if not old:
            return ShadowStats(n=0, mean_abs_diff=0.0, bias=0.0, correlation=None,
                               within_tolerance=0.0)  # fmt: skip
        return agreement(old, new, self._tolerance)


@dataclass
class DeviceUpdates:
    """The updater and its glue, built once per agent from the ``update`` config section."""

    manager: UpdateManager
    runner: NoticeRunner
    tap: ShadowTap
    slots: Slots

    def model_path(self, fallback: Path) -> Path:
        """The active slot's release, or the configured model before the first update."""
        manifest = self.slots.active_manifest()
        return fallback if manifest is None else manifest.parent

    def roll_back(self, why: str) -> None:
        """The active release failed to load: point back at the previous one and report it."""
        self.runner.rolled_back(self.manager.roll_back(why))


def build_updates(
    cfg: UpdateConfig,
    data_dir: Path,
    inference: InferenceConfig,
    roi: Roi,
    on_installed: Callable[[], None],
) -> DeviceUpdates:
    """Wire TUF client, A/B slots, state file, shadow tap and notice runner under ``data_dir``."""
    assert cfg.repository_url is not None and cfg.trusted_root is not None  # UpdateConfig checks
    try:
        root = cfg.trusted_root.read_bytes()
    except OSError as e:
        raise ConfigError(f"update.trusted_root {cfg.trusted_root}: {e.strerror or e}") from e
    client = TufClient(metadata_dir=data_dir / "tuf", partial_dir=data_dir / "partial",
                       repo_url=cfg.repository_url, bootstrap_root=root,
                       timeout_s=cfg.timeout_s)  # fmt: skip
    tap = ShadowTap(roi, duration_s=cfg.shadow_s, tolerance=cfg.shadow_tolerance)
    slots = Slots(data_dir / "models")
    manager = UpdateManager(client=client, slots=slots, state=StateFile(data_dir / "update.json"),
                            policy=cfg.policy, inference=inference, model_name=cfg.model_name,
                            shadow=tap.run)  # fmt: skip
    recovered = manager.recover()
    runner = NoticeRunner(manager, on_installed=on_installed)
    if recovered is not None:
        runner.rolled_back(recovered)
    return DeviceUpdates(manager, runner, tap, slots)
