"""Power loss (SIGKILL) during download, staging and activation: the device restarts working."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge_agent.inference.model import load_estimator
from tests.ota.helpers import INFERENCE, Repo, make_manager, provision
from tests.ota.server import RepoServer

ROOT = Path(__file__).resolve().parents[2]


def _child(repo: Repo, server: RepoServer, device: Path, phase: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tests.ota.kill_child", str(repo.store.root), server.url,
            str(device), phase]  # fmt: skip
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _kill_when(child: subprocess.Popen[str], ready: object) -> None:
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline:  # type: ignore[operator]
        assert child.poll() is None, "child finished before the kill point"
        time.sleep(0.01)
    child.kill()
    child.wait()


def _working_version(device: Path, repo: Repo, server: RepoServer) -> int:
    """Restart: recover, then load the active model exactly as the agent would."""
    manager = make_manager(repo.store.root, server.url, device)
    manager.recover()
    manifest = manager.slots.active_manifest()
    assert manifest is not None
    return load_estimator(manifest.parent, INFERENCE, None).manifest.version


def test_kill_during_download_then_resume(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    repo.release(2)
    server.faults.delay_s = 0.05  # ~0.7 s for the 56 KB manifest
    partial = device / "partial"
    child = _child(repo, server, device, "none")
    _kill_when(child, lambda: partial.exists() and any(p.stat().st_size for p in partial.iterdir()))
    assert _working_version(device, repo, server) == 1
    server.faults.delay_s = 0.0
    report = make_manager(repo.store.root, server.url, device).run_once()
    assert report.outcome == "installed"
    assert server.faults.ranges, "the second attempt resumed with a Range request"
    assert _working_version(device, repo, server) == 2


@pytest.mark.parametrize(("phase", "expected"), [
    ("staged", 1), ("self_test", 1), ("activating", 1), ("switched", 2),
])  # fmt: skip
def test_kill_at_each_step_leaves_a_working_model(
    repo: Repo, server: RepoServer, tmp_path: Path, phase: str, expected: int
) -> None:
    device = tmp_path / "device"
    provision(device, repo.template)
    repo.release(2)
    child = _child(repo, server, device, phase)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == f"AT {phase}"
    child.kill()
    child.wait()
    assert _working_version(device, repo, server) == expected
    report = make_manager(repo.store.root, server.url, device).run_once()
    assert report.outcome == ("installed" if expected == 1 else "up_to_date")
    assert _working_version(device, repo, server) == 2
