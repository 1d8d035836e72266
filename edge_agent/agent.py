"""EdgeAgent, the composition root: builds the stages in flow order, runs them as threads on one
stop event, restarts a dead stage within a budget, and stops cleanly on SIGTERM.

Flow: capture → gate → preprocess → infer → outbox commit (ProducerStage), then uplink
(UplinkStage). On stop the producer stops first, so its last reading is committed, and then the
uplink flushes what it can and publishes the offline status.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

from edge_agent.backoff import Backoff
from edge_agent.capture import CameraState, CameraSupervisor, open_camera
from edge_agent.commands import CommandHandler
from edge_agent.config import AgentConfig
from edge_agent.config_store import ConfigStore
from edge_agent.errors import EdgeAgentError
from edge_agent.gate import QualityGate
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.outbox import Outbox
from edge_agent.producer import ProducerStage, model_info
from edge_agent.sdnotify import notify, watchdog_interval_s
from edge_agent.update_notices import DeviceUpdates, build_updates
from edge_agent.uplink_stage import UplinkStage

log = logging.getLogger(__name__)

try:
    AGENT_VERSION = version("pm25vision-edge")
except PackageNotFoundError:  # running from a source tree without installing
    AGENT_VERSION = "0.0.0"
RESTART_BUDGET = 5  # restarts of one stage allowed per RESTART_WINDOW_S before giving up
RESTART_WINDOW_S = 600.0


class Stage(Protocol):
    name: str

    def run(self, stop: threading.Event) -> None: ...


@dataclass
class StageThread:
    stage: Stage
    thread: threading.Thread | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, stop: threading.Event) -> None:
        self.thread = threading.Thread(
            target=self._guarded, args=(stop,), name=self.stage.name, daemon=True
        )
        self.thread.start()

    def _guarded(self, stop: threading.Event) -> None:
        try:
            self.stage.run(stop)
        except Exception:  # the stage's outermost loop: log; the watchdog decides
            log.exception("stage %s died", self.stage.name)

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class EdgeAgent:
    """One camera unit. ``run(stop)`` returns an exit code; ``reload`` restarts with new config."""

    watch_interval_s = 0.5

    def __init__(self, config: AgentConfig, config_path: Path | None) -> None:
        self.config = config
        self.config_path = config_path
        self._reload = threading.Event()
        self.store = ConfigStore(config_path, config, self._on_config_change)
        self.exit_reason: str | None = None
        self._updates: tuple[object, DeviceUpdates | None] | None = None

    def _on_config_change(self, new: AgentConfig) -> None:
        self.config = new
        self._reload.set()

    def run(self, stop: threading.Event) -> int:
        """Run until ``stop`` is set; rebuild the stages when a remote config change arrives."""
        try:
            return self._run(stop)
        finally:
            self._close_updates()

    def _close_updates(self) -> None:
        if self._updates is not None and self._updates[1] is not None:
            self._updates[1].close()

    def _run(self, stop: threading.Event) -> int:
        while True:
            code = self._run_once(stop)
            if stop.is_set() or code != 0 or not self._reload.is_set():
                return code
            self._reload.clear()
            log.info("restarting stages with the new configuration")

    def _run_once(self, stop: threading.Event) -> int:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        halt = threading.Event()  # stops this generation of stages
        outbox = Outbox(
            cfg.data_dir / "outbox.db",
            max_bytes=cfg.outbox.max_bytes,
            compaction_interval_s=cfg.outbox.compaction_interval_s,
            memory_buffer=cfg.outbox.memory_buffer,
        )
        problems: dict[str, str] = {}
        updates = self._device_updates(cfg, problems)
        estimator = self._load_model(cfg, problems, updates)
        info = model_info(estimator) if estimator else ModelInfo(0, "none", "none", "no model")
        health = Health(AGENT_VERSION, cfg.data_dir, outbox, lambda: info, haze=cfg.heartbeat.haze)
        producer = None
        if estimator is not None:
            supervisor = CameraSupervisor(
                lambda: open_camera(cfg.capture), Backoff.from_config(cfg.capture.reopen), halt
            )
            health.add_error_source(lambda: _camera_problem(supervisor.state()))
            gate = QualityGate(cfg.gate, cfg.data_dir / "gate-reference.npy")
            producer = ProducerStage(
                supervisor.frames(),
                interval_s=cfg.capture.interval_s,
                roi=cfg.capture.roi,
                gate=gate if cfg.gate.enabled else None,
                estimator=estimator,
                outbox=outbox,
                health=health,
                shadow=updates.tap.offer if updates else None,
                calibration=cfg.calibration,
            )
        commands = CommandHandler(
            cfg.device_id,
            self.store,
            producer.latest_frame if producer else lambda: None,
            updates=updates.runner if updates else None,
        )
        if updates is not None:
            health.set_update_source(updates.runner.progress)
            health.add_error_source(updates.runner.problems)
        uplink = UplinkStage(
            cfg.device_id,
            outbox,
            cfg.mqtt,
            cfg.uplink,
            cfg.heartbeat,
            agent_version=AGENT_VERSION,
            health=health.heartbeat,
            commands=commands,
        )
        health.add_error_source(lambda: problems)
        health.add_error_source(outbox.error_codes.copy)
        health.add_error_source(lambda: uplink.link.errors)
        health.add_error_source(lambda: _malformed(commands.malformed))
        stages = [StageThread(s) for s in (producer, uplink) if s is not None]  # flow order
        for s in stages:
            s.start(halt)
        notify("READY=1")
        code = self._supervise(stages, stop, halt, problems)
        notify("STOPPING=1")
        halt.set()
        for s in stages:  # flow order: the producer commits its last reading, then uplink flushes
            if s.thread is not None:
                s.thread.join(timeout=30)
        outbox.close()
        return code

    def _device_updates(self, cfg: AgentConfig, problems: dict[str, str]) -> DeviceUpdates | None:
        """The updater, built once and kept across restarts while its config is unchanged."""
        key = (cfg.update, cfg.data_dir, cfg.inference, cfg.capture.roi)
        if self._updates is None or self._updates[0] != key:
            updates = None
            if cfg.update.enabled:
                try:
                    updates = build_updates(cfg.update, cfg.data_dir, cfg.inference,
                                            cfg.capture.roi, self._reload.set)  # fmt: skip
                except EdgeAgentError as e:
                    log.error("model updates unavailable: %s", e)
                    problems["update_unavailable"] = str(e)[:200]
            self._close_updates()
            self._updates = (key, updates)
            if updates is not None:
                updates.start()
        return self._updates[1]

    @staticmethod
    def _load_model(
        cfg: AgentConfig, problems: dict[str, str], updates: DeviceUpdates | None = None
    ) -> Estimator | None:
        path = updates.model_path(cfg.inference.model) if updates else cfg.inference.model
        try:
            return load_estimator(path, cfg.inference, cfg.data_dir)
        except EdgeAgentError as e:
            if updates is not None and path != cfg.inference.model:  # an updated model fails
                log.error("model in %s failed to load, rolling back: %s", path, e)
                updates.roll_back(f"model_load_failed: {e}"[:200])
                if updates.model_path(cfg.inference.model) == path:  # nothing to go back to
                    return EdgeAgent._load_model(cfg, problems)
                return EdgeAgent._load_model(cfg, problems, updates)
            log.error("no model, so no readings (uplink and commands still run): %s", e)
            problems["model_load_failed"] = str(e)[:200]
            return None

    def _supervise(
        self,
        stages: list[StageThread],
        stop: threading.Event,
        halt: threading.Event,
        problems: dict[str, str],
    ) -> int:
        ping = watchdog_interval_s()
        next_ping = 0.0
        while not stop.is_set() and not self._reload.is_set():
            for s in stages:
                if s.alive() or stop.is_set():
                    continue
                now = time.monotonic()
                s.restarts = [t for t in s.restarts if now - t < RESTART_WINDOW_S] + [now]
                if len(s.restarts) > RESTART_BUDGET:
                    self.exit_reason = f"stage {s.stage.name} keeps dying; giving up"
                    log.error(self.exit_reason)
                    return 1
                problems[f"{s.stage.name}_restarted"] = f"{len(s.restarts)} restarts in 10 min"
                log.warning("restarting stage %s", s.stage.name)
                s.start(halt)
            if (
                ping is not None
                and time.monotonic() >= next_ping
                and all(s.alive() for s in stages)
            ):
                notify("WATCHDOG=1")
                next_ping = time.monotonic() + ping
            stop.wait(self.watch_interval_s)
        return 0


def _camera_problem(state: CameraState) -> dict[str, str]:
    if state.camera_ok or state.last_error is None:
        return {}
    return {"camera_unavailable": state.last_error[:200]}


def _malformed(count: int) -> dict[str, str]:
    return {"malformed_commands": f"{count} unreadable commands dropped"} if count else {}
