"""The rollout's device side: an update notice through the command handler starts the real
updater (TUF repository over HTTP), the shadow run compares both models on the same frames, and
the heartbeat's ``update`` section carries progress and agreement to the hub."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge_agent.commands import CommandHandler
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.inference.model import load_estimator
from edge_agent.outbox import Outbox
from edge_agent.predict import estimate_frame
from edge_agent.shadow_tap import ShadowTap
from edge_agent.update.slots import Slots
from edge_agent.update_notices import NoticeRunner
from pm25 import topics
from pm25.preprocess import Roi
from pm25.topics import Kind
from pm25.wire import Heartbeat, UpdateNoticeCommand, decode, encode
from tests.ota.helpers import INFERENCE, Repo, make_manager, provision
from tests.ota.server import RepoServer

ROI = Roi()


class NoConfig:
    def apply_patch(self, patch: dict[str, object]) -> str | None:
        return "not in this test"


def notice(rollout: str = "r-1", **kw: object) -> bytes:
    cmd = UpdateNoticeCommand(id="u-1", issued_at=datetime.now(UTC), release=2, target="fixture",
                              repository="http://127.0.0.1:1/tuf", rollout_id=rollout,
                              **kw)  # fmt: skip
    return encode(cmd)


def feed_frames(device: Path, tap: ShadowTap, stop: threading.Event) -> None:
    """What the producer does: each accepted frame's active estimate, offered to the tap."""
    manifest = Slots(device / "models").active_manifest()
    assert manifest is not None
    active = load_estimator(manifest.parent, INFERENCE, None)
    rng = np.random.default_rng(5)
    while not stop.wait(0.02):
        image: npt.NDArray[np.uint8] = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
        est = estimate_frame(image, ROI, None, active)
        assert est.pm25 is not None
        tap.offer(image, est.pm25)


def test_notice_installs_with_a_shadow_run_and_the_heartbeat_reports_it(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    repo.release(2)
    tap = ShadowTap(ROI, duration_s=1.0, tolerance=1.0)
    runner = NoticeRunner(make_manager(repo.store.root, server.url, device, shadow=tap.run))
    handler = CommandHandler("cam-1", NoConfig(), lambda: None, updates=runner)
    stop = threading.Event()
    frames = threading.Thread(target=feed_frames, args=(device, tap, stop), daemon=True)
    frames.start()
    try:
        [(topic, payload)] = handler.handle(topics.cmd("cam-1"), notice())
        ack = decode(Kind.ACK, payload)
        assert (topic, ack.ok, ack.result) == (topics.ack("cam-1"), True, {"accepted": True})
        runner.join(60)
    finally:
        stop.set()
        frames.join(5)
    progress = runner.progress()
    assert progress is not None
    assert (progress.state, progress.version, progress.rollout) == ("active", 2, "r-1")
    # release 2 is the same network: the shadow run agrees on every frame
    assert progress.shadow is not None and progress.shadow.n > 5
    assert progress.shadow.within == 1.0 and progress.shadow.mad < 0.5
    health = Health("0.1.0", tmp_path, Outbox(tmp_path / "outbox.db"),
                    lambda: ModelInfo(2, "fixture", "onnxruntime_cpu"))  # fmt: skip
    health.set_update_source(runner.progress)
    beat = decode(Kind.HEARTBEAT, encode(health.heartbeat()))
    assert isinstance(beat, Heartbeat) and beat.update == progress


def test_a_release_failing_self_test_is_reported_as_refused(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    repo.release(2, shift=25.0)  # signed, but its goldens disagree with its model
    runner = NoticeRunner(make_manager(repo.store.root, server.url, device))
    handler = CommandHandler("cam-1", NoConfig(), lambda: None, updates=runner)
    handler.handle(topics.cmd("cam-1"), notice("r-2"))
    runner.join(60)
    progress = runner.progress()
    assert progress is not None and (progress.state, progress.rollout) == ("refused", "r-2")
    assert progress.reason and "golden" in progress.reason
    assert Slots(device / "models").active() == "a"  # the old model stays


def test_a_notice_past_its_window_is_refused_and_starts_nothing(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    runner = NoticeRunner(make_manager(repo.store.root, server.url, device))
    handler = CommandHandler("cam-1", NoConfig(), lambda: None, updates=runner)
    past = datetime.now(UTC) - timedelta(hours=1)
    [(_, payload)] = handler.handle(
        topics.cmd("cam-1"), notice(not_before=past - timedelta(hours=1), not_after=past)
    )
    ack = decode(Kind.ACK, payload)
    assert (ack.ok, ack.reason) == (False, "install window closed")
    assert runner.progress() is None


def test_the_agent_rolls_back_an_activated_model_that_fails_to_load(
    repo: Repo, tmp_path: Path
) -> None:
    from edge_agent.agent import EdgeAgent
    from edge_agent.config import AgentConfig
    from edge_agent.update.state import StateFile, UpdateState
    from edge_agent.update_config import UpdateConfig
    from edge_agent.update_notices import build_updates
    from tests.ota.helpers import release_folder

    data = tmp_path / "data"
    slots = provision(data, repo.template)  # v1 active in slot a
    manifest = release_folder(repo.template, slots.path("b"), 2)
    for onnx in manifest.parent.glob("*.onnx"):
        onnx.write_bytes(b"not a model")
    StateFile(data / "update.json").save(UpdateState(phase="active", version=2, slot="b",
                                                      previous="a"))  # fmt: skip
    slots.activate("b")
    root = repo.store.root / "metadata" / "1.root.json"
    update = UpdateConfig(enabled=True, repository_url="http://127.0.0.1:1/tuf", trusted_root=root,
                          model_name="fixture")  # fmt: skip
    cfg = AgentConfig(device_id="cam-1", data_dir=data, update=update,
                      inference={"model": repo.template, "precision": "fp32"})  # fmt: skip
    updates = build_updates(update, data, cfg.inference, ROI, lambda: None)
    problems: dict[str, str] = {}
    estimator = EdgeAgent._load_model(cfg, problems, updates)
    assert estimator is not None and estimator.manifest.version == 1
    assert slots.active() == "a" and problems == {}
    progress = updates.runner.progress()
    assert progress is not None and progress.state == "rolled_back"
    assert progress.reason is not None and progress.reason.startswith("model_load_failed")
