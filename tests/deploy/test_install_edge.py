"""deploy/install-edge.sh --dry-run on fake Raspberry Pi and Jetson roots."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "install-edge.sh"


def _root(tmp_path: Path, model: str | None = None, tegra: bool = False) -> Path:
    root = tmp_path / "root"
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "etc").mkdir()
    if model is not None:
        (root / "proc/device-tree/model").write_bytes(model.encode() + b"\0")
    if tegra:
        (root / "etc/nv_tegra_release").write_text("# R36 (release), REVISION: 3.0\n")
    return root


def _dry_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDGE_INSTALL_ROOT": str(root)}
    return subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.mark.parametrize(
    ("model", "tegra", "profile", "camera"),
    [
        ("Raspberry Pi 4 Model B Rev 1.5", False, "rpi4", "python3-picamera2"),
        ("Raspberry Pi 5 Model B Rev 1.0", False, "rpi5", "python3-picamera2"),
        ("NVIDIA Jetson Orin Nano Developer Kit", False, "jetson-orin-nano", "gstreamer1.0-tools"),
        (None, True, "jetson-orin-nano", "gstreamer1.0-tools"),
    ],
)
def test_dry_run_detects_the_platform_and_installs_its_stack(
    tmp_path: Path, model: str | None, tegra: bool, profile: str, camera: str
) -> None:
    done = _dry_run(_root(tmp_path, model, tegra), "--device-id", "cam-0042")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"profile: {profile}" in out
    assert camera in out and "--system-site-packages" in out
    assert f"firmware_configs/{profile}.yaml /etc/edge-agent/config.yaml" in out
    assert "[edge]" in out and "edge-agent.service /etc/systemd/system/" in out
    assert "EDGE_AGENT_DEVICE_ID=cam-0042" in out
    assert ("onnxruntime-gpu" in out) == (profile == "jetson-orin-nano")


def test_unknown_platform_needs_a_profile(tmp_path: Path) -> None:
    root = _root(tmp_path, "Some Other Board")
    done = _dry_run(root)
    assert done.returncode == 2 and "pass --profile" in done.stderr
    done = _dry_run(root, "--profile", "dev")
    assert done.returncode == 0 and "firmware_configs/dev.yaml" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nope"], "no profile"),
        (["--device-id", "Cam 1"], "must match"),
        (["--frobnicate"], "unknown option"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    done = _dry_run(_root(tmp_path, "Raspberry Pi 5 Model B"), *args)
    assert done.returncode == 2 and message in done.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shellcheck_is_clean() -> None:
    done = subprocess.run(["shellcheck", str(SCRIPT)], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
