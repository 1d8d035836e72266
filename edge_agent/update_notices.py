"""Glue between update notices, the OTA updater and the heartbeat (the rollout's device side).

- :class:`NoticeRunner` takes an ``update_notice`` or a retained ``desired`` message from the
  command handler into the :class:`~edge_agent.update_desired.DesiredState`, runs the
  :class:`~edge_agent.update.manager.UpdateManager` for the assigned release in a background
  thread (the ack must not wait for a download), and keeps the progress the heartbeat reports in
  its ``update`` section. :meth:`NoticeRunner.check` is what the periodic check calls.
- :class:`~edge_agent.shadow_tap.ShadowTap` runs the candidate on the producer's frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.errors import ConfigError
from edge_agent.inference.config import InferenceConfig
from edge_agent.shadow_tap import ShadowTap
from edge_agent.update.manager import UpdateManager, UpdateReport
from edge_agent.update.shadow import ShadowStats
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile
from edge_agent.update.updater import TufClient
from edge_agent.update_checks import CheckSchedule, UpdateChecker
from edge_agent.update_config import UpdateConfig
from edge_agent.update_desired import Desired, DesiredState
from pm25.errors import WireError
from pm25.preprocess import Roi
from pm25.wire import UpdateNoticeCommand
from pm25.wire.device import ShadowAgreement, UpdateProgress

log = logging.getLogger(__name__)

# UpdateReport outcome -> the state the hub reads (failure states end a device's part).
_OUTCOME_STATE = {
    "installed": "active", "confirmed": "active", "refused": "refused", "failed": "failed",
    "gave_up": "gave_up", "rolled_back": "rolled_back", "abandoned": "abandoned",
    "deferred": "deferred", "up_to_date": "up_to_date", "held": "held",
}  # fmt: skip


def wire_shadow(stats: ShadowStats) -> ShadowAgreement:
    r = None if stats.correlation is None else max(-1.0, min(1.0, stats.correlation))
    return ShadowAgreement(n=stats.n, mad=min(stats.mean_abs_diff, 2000.0),
                           bias=max(-2000.0, min(2000.0, stats.bias)), r=r,
                           within=stats.within_tolerance)  # fmt: skip


class NoticeRunner:
    """Runs the updater for the assigned release; one run at a time, more requests coalesce."""

    def __init__(
        self,
        manager: UpdateManager,
        *,
        desired: DesiredState | None = None,
        clock: Callable[[], float] = time.time,
        on_installed: Callable[[], None] = lambda: None,
        on_report: Callable[[UpdateReport], None] = lambda report: None,
    ) -> None:
        self._manager = manager
        self.desired = desired or DesiredState()
        self._clock = clock
        self._on_installed = on_installed
        self._on_report = on_report
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._progress: UpdateProgress | None = None
        self._rerun = False
        self._last: UpdateReport | None = None
        manager.hook = self._phase

    def notice(self, cmd: UpdateNoticeCommand) -> str | None:
        """Accept (None) or refuse (a reason) a notice; an accepted one starts a run."""
        now = self._clock()
        if cmd.not_after is not None and now > cmd.not_after.timestamp():
            return "install window closed"
        why = self.desired.offer(Desired.from_notice(cmd))
        if why is not None:
            return why
        self._start(cmd.release, cmd.rollout_id)
        return None

    def desired_payload(self, payload: bytes) -> str | None:
        """A retained ``desired`` message: take it (None) or refuse it (the reason, also logged
        and kept for the heartbeat); the running model is never touched by a refusal."""
        try:
            why = self.desired.offer(self.desired.parse(payload))
        except WireError as e:
            why = str(e)[:200]
            self.desired.refused = why
            log.warning("refused a desired update: %s", why)
            return why
        if why is None:
            self.desired.refused = None
            self.check()
        return why

    def check(self) -> bool:
        """Start a run if the rollout assigns a release newer than the active one (the periodic
        and start-up check); False when there is nothing to do or a run is already going."""
        cur = self.desired.current()
        if cur is None or cur.action != "install":
            return False
        if self._manager.installed_version() >= cur.release:
            return False
        return self._start(cur.release, cur.rollout_id, rerun=False)

    def problems(self) -> dict[str, str]:
        """Error notes for the heartbeat (a refused desired update)."""
        refused = self.desired.refused
        return {"desired_update_refused": refused} if refused else {}

    def _start(self, release: int, rollout_id: str, *, rerun: bool = True) -> bool:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._rerun = self._rerun or rerun  # the run reports its own progress
                return False
            self._progress = UpdateProgress(state="notified", version=release,
                                            rollout=rollout_id)  # fmt: skip
            self._thread = threading.Thread(target=self._run, name="update", daemon=True)
            self._thread.start()
            return True

    def progress(self) -> UpdateProgress | None:
        """What the heartbeat's ``update`` section says now."""
        with self._lock:
            return self._progress

    def join(self, timeout_s: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def wait_report(self, timeout_s: float) -> UpdateReport | None:
        """The last run's report once no run is going; None while one still is after the wait."""
        self.join(timeout_s)
        thread = self._thread
        return None if thread is not None and thread.is_alive() else self._last

    def _phase(self, phase: str) -> None:
        if phase == "switched":
            return
        with self._lock:
            if self._progress is not None:
                self._progress = self._progress.model_copy(update={"state": phase})

    def _run(self) -> None:
        while True:
            cur = self.desired.current()
            if cur is not None:
                self._about(cur.release, cur.rollout_id)
            try:
                if cur is None or cur.action != "install":  # held since the run was asked for
                    why = self.desired.approves(0)
                    report = UpdateReport("held", None if cur is None else cur.release, why or "")
                else:
                    report = self._manager.run_once(cur.release, self.desired.approves)
            except Exception as e:  # the stage's outer loop: report, never take the agent down
                log.exception("update run failed")
                report = UpdateReport("failed", None, f"{type(e).__name__}: {e}"[:200])
            self._finish(report)
            self._last = report
            self._on_report(report)
            if report.outcome == "installed":
                self._on_installed()  # the agent restarts its stages on the new model
            with self._lock:
                if not self._rerun:
                    return
                self._rerun = False

    def _about(self, release: int, rollout_id: str) -> None:
        """Progress names the release and rollout of the run going now (a coalesced rerun may
        be for a newer decision than the run before it)."""
        with self._lock:
            p = self._progress
            if p is None or (p.version, p.rollout) != (release, rollout_id):
                self._progress = UpdateProgress(state="notified", version=release,
                                                rollout=rollout_id)  # fmt: skip

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


@dataclass
class DeviceUpdates:
    """The updater and its glue, built once per agent from the ``update`` config section."""

    manager: UpdateManager
    runner: NoticeRunner
    tap: ShadowTap
    slots: Slots
    checker: UpdateChecker | None = None  # None when update.check_interval_s is 0

    def start(self) -> None:
        """Start the periodic check (once per build; the agent's stage restarts keep it)."""
        if self.checker is not None:
            self.checker.start()

    def close(self) -> None:
        if self.checker is not None:
            self.checker.stop()

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
    runner = NoticeRunner(manager, desired=DesiredState(cfg.model_name), on_installed=on_installed)
    if recovered is not None:
        runner.rolled_back(recovered)
    checker = None
    if cfg.check_interval_s > 0:
        checker = UpdateChecker(runner.check, runner.wait_report, CheckSchedule(cfg))
    return DeviceUpdates(manager, runner, tap, slots, checker)
