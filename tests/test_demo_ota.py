"""``make demo-ota``: signed release → hub → staged rollout → real units update → completed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.cli import build_parser
from demo.errors import DemoError
from demo.ota import bump_version, pm25_train
from pm25.manifest import load_manifest
from tests.test_demo import REPO, _alive, _get, _login


@pytest.mark.timeout(240)
def test_the_ota_demo_completes_a_rollout_and_leaves_nothing_behind(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    log = tmp_path / "demo.out"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "demo.py"), "--ota", "--devices", "3",
             "--interval", "2", "--http-port", "0", "--run-dir", str(run_dir)],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
    try:
        summary_file = run_dir / "ota-summary.json"
        deadline = time.monotonic() + 180
        while not summary_file.exists():
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)
        time.sleep(0.5)  # the file is written whole; the line after it follows at once
        summary = json.loads(summary_file.read_text())
        info = json.loads((run_dir / "demo.json").read_text())
        token = _login(info["api"], info["username"], info["password"])
        devices = _get(info["api"], "/devices", token)  # the hub's view, from the heartbeats
        rollout = _get(info["api"], f"/rollouts/{summary['rollout']}", token)
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    text = log.read_text()
    assert summary["state"] == "completed", text
    assert isinstance(rollout, dict) and rollout["state"] == "completed"
    assert {d["state"] for d in rollout["device_status"]} == {"updated"}
    assert all(d["shadow"]["n"] > 0 for d in rollout["device_status"]), rollout
    assert isinstance(devices, list)
    assert {d["id"]: d["model_version"] for d in devices} == dict.fromkeys(info["devices"], 2)
    assert summary["model_versions"] == dict.fromkeys(info["devices"], 2)
    for line in (
        "$ pm25-train release",
        "stage 1/2 (34%)",
        "stage 2/2 (100%)",
        "rollout completed",
    ):
        assert line in text, text
    assert "everything it started has exited" in text
    assert set(info["pids"]) == {"mosquitto", "hub", *info["devices"]}
    assert not [name for name, pid in info["pids"].items() if _alive(pid)]


def test_the_v2_release_is_the_baseline_with_its_version_bumped(tmp_path: Path) -> None:
    manifest = bump_version(REPO / "models", tmp_path / "v2", 2)
    old, new = load_manifest(REPO / "models" / "manifest.json"), load_manifest(manifest)
    assert (new.version, new.artifacts, new.name) == (2, old.artifacts, old.name)
    assert "re-released" in new.label


def test_a_failing_signing_command_is_a_demo_error(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="pm25-train release failed"):
        pm25_train("release", "--repo", tmp_path / "none", "--manifest", tmp_path / "m.json",
                   "--targets-key", tmp_path / "k.pem")  # fmt: skip


def test_ota_is_a_documented_flag() -> None:
    assert "OTA story" in build_parser().format_help()
