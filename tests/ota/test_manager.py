"""The device update flow end to end: stage, self-test, shadow, activate, roll back, give up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.update.policy import UpdatePolicy
from edge_agent.update.shadow import ShadowStats, agreement
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile
from pm25.preprocess import ModelInput
from tests.ota.helpers import INFERENCE, Repo, make_manager, provision
from tests.ota.server import RepoServer


def _active_version(device: Path) -> int:
    manifest = Slots(device / "models").active_manifest()
    assert manifest is not None
    return load_estimator(manifest.parent, INFERENCE, None).manifest.version


def test_newer_release_is_installed_into_the_other_slot(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    report = make_manager(repo.store.root, server.url, device).run_once()
    assert (report.outcome, report.version) == ("installed", 2)
    assert slots.active() == "b" and _active_version(device) == 2
    assert StateFile(device / "update-state.json").load().previous == "a"
    again = make_manager(repo.store.root, server.url, device).run_once()
    assert again.outcome == "up_to_date"


def test_release_failing_self_test_leaves_old_model(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2, shift=25.0)  # signed, but its goldens disagree with its model
    manager = make_manager(repo.store.root, server.url, device)
    report = manager.run_once()
    assert report.outcome == "refused" and "fails golden" in report.detail
    assert slots.active() == "a" and _active_version(device) == 1
    assert manager.run_once().outcome == "gave_up"


def test_older_release_is_not_installed(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    device = tmp_path / "device"
    provision(device, repo.template, version=5)
    repo.release(2)
    report = make_manager(repo.store.root, server.url, device).run_once()
    assert report.outcome == "up_to_date" and "older v2" in report.detail
    assert _active_version(device) == 5


def test_transfer_failures_give_up_after_max_attempts(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    repo.release(2)
    manager = make_manager(repo.store.root, server.url, device, UpdatePolicy(max_attempts=1))
    server.faults.cut_after = 40_000
    first = manager.run_once()
    assert first.outcome == "failed" and "transfer broke" in first.detail
    assert manager.run_once().outcome == "gave_up"
    assert _active_version(device) == 1


def test_roll_back_after_activation_restores_previous(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    manager = make_manager(repo.store.root, server.url, device)
    assert manager.run_once().outcome == "installed"
    report = manager.roll_back("agent could not run v2")
    assert report.outcome == "rolled_back" and slots.active() == "a"
    assert _active_version(device) == 1


def test_shadow_statistics_are_reported(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    old = load_estimator(slots.path("a"), INFERENCE, None)

    def shadow(new: Estimator) -> ShadowStats:
        frames = [_golden_input(new, i) for i in range(3)]
        return agreement([old.estimate(x).pm25 for x in frames],
                         [new.estimate(x).pm25 for x in frames], tolerance=0.5)  # fmt: skip

    report = make_manager(repo.store.root, server.url, device, shadow=shadow).run_once()
    assert report.outcome == "installed" and report.shadow is not None
    assert report.shadow.n == 3
    assert report.shadow.mean_abs_diff < 0.01  # same network: the two models agree


def _golden_input(estimator: Estimator, brighten: int) -> ModelInput:
    manifest = estimator.manifest
    golden = manifest.golden[0]
    features = golden.features_array()
    assert features is not None
    return ModelInput(image=golden.image_array(manifest.inputs.image) + 0.05 * brighten,
                      features=features)  # fmt: skip


def test_clock_behind_trusted_time_defers(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    manager = make_manager(repo.store.root, server.url, device)
    assert manager.run_once().outcome == "up_to_date"  # records the trusted time
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rebooted = make_manager(repo.store.root, server.url, device, clock=lambda: epoch)
    report = rebooted.run_once()
    assert report.outcome == "deferred" and "behind the last trusted time" in report.detail
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (
        make_manager(repo.store.root, server.url, device, clock=lambda: later).run_once().outcome
        == "up_to_date"
    )
