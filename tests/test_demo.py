"""``make demo``: the stack as processes, stopped completely; its pure parts; --frames-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from demo import broker, monitor
from demo.cli import main
from demo.errors import BrokerMissingError
from demo.fleet import plan_units, unit_env

REPO = Path(__file__).resolve().parent.parent


def _get(base: str, path: str, token: str) -> object:
    request = urllib.request.Request(f"{base}{path}")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def _login(base: str, user: str, password: str) -> str:
    body = json.dumps({"username": user, "password": password}).encode()
    request = urllib.request.Request(f"{base}/auth/login", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as r:
        return str(json.loads(r.read())["access_token"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


@pytest.mark.timeout(150)
def test_demo_runs_the_stack_and_leaves_nothing_behind(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    demo = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "demo.py"), "--duration", "40",
         "--devices", "3", "--http-port", "0", "--run-dir", str(run_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
    )  # fmt: skip
    try:
        info_file = run_dir / "demo.json"
        deadline = time.monotonic() + 60
        while not info_file.exists() and time.monotonic() < deadline:
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            time.sleep(0.5)
        info = json.loads(info_file.read_text())
        token = _login(info["api"], info["username"], info["password"])
        assert len(info["devices"]) == 3
        counts: dict[str, int] = {}
        while time.monotonic() < deadline + 30 and (len(counts) < 3 or min(counts.values()) == 0):
            now = int(time.time())
            for device in info["devices"]:
                series = _get(
                    info["api"], f"/devices/{device}/readings?start={now - 600}&end={now + 60}",
                    token,
                )  # fmt: skip
                assert isinstance(series, dict)
                counts[device] = len(series["readings"])
            time.sleep(1)
        assert min(counts.values()) > 0, counts
        monitors = _get(
            info["api"], f"/monitors/{info['monitor']}/readings?start=0&end={now + 60}", token
        )
        assert monitors, "the reference monitor was fed"
        out, _ = demo.communicate(timeout=90)
    finally:
        if demo.poll() is None:
            demo.kill()
    text = out.decode()
    assert demo.returncode == 0, text
    assert "broker: Mosquitto" in text and "login:    admin /" in text
    pids = info["pids"]
    assert set(pids) == {"mosquitto", "hub", *info["devices"]}
    assert [name for name, pid in pids.items() if _alive(pid)] == []


def test_no_mosquitto_says_why_and_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(broker, "find_mosquitto", lambda: None)
    with pytest.raises(BrokerMissingError, match="install-system-deps"):
        broker.require_mosquitto(interactive=False)
    assert "MQTT 3.1.1 only" in capsys.readouterr().err


def test_device_count_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--devices", "0"]) == 2
    assert "--devices" in capsys.readouterr().err


def test_units_differ_and_are_placed_in_zones() -> None:
    units = plan_units(4)
    assert len({u.device_id for u in units}) == 4
    assert len({u.camera_seed for u in units}) == 4
    assert len({u.pollution_seed for u in units}) == 4
    assert {u.zone for u in units} == {"north", "south"}
    assert len({(u.lat, u.lon) for u in units}) == 4
    env = unit_env(units[0], Path("/d"), Path("/m.json"), 5.0)
    assert env["EDGE_AGENT_CAPTURE__SOURCE__CLOCK"] == "daylight"
    assert env["EDGE_AGENT_UPLINK__MAX_COUNT"] == "1"


def test_monitor_noise_is_realistic_and_never_negative() -> None:
    rng = np.random.default_rng(0)
    values = np.array([monitor.measured(40.0, rng) for _ in range(2000)])
    assert abs(values.mean() - 40.0) < 0.3
    assert 2.0 < values.std() < 3.5  # 2 µg/m³ + 5 % of 40
    assert all(round(v, 1) == v for v in values[:50])
    assert min(monitor.measured(0.5, rng) for _ in range(500)) == 0.0


def test_monitor_truth_is_what_the_camera_renders() -> None:
    from edge_agent.capture.config import SyntheticSource
    from edge_agent.capture.synthetic import SyntheticSourceCamera

    unit = plan_units(2)[1]
    t = 1_780_000_000.0
    source = SyntheticSource(
        camera_seed=unit.camera_seed, pollution_seed=unit.pollution_seed, profile=unit.profile,
        clock="daylight", width=160, height=90,
    )  # fmt: skip
    frame = SyntheticSourceCamera(source, lambda: t).read()
    assert frame.truth["pm25"] == pytest.approx(monitor.true_pm25(unit, t))


def test_frames_only_writes_frames_with_truth(tmp_path: Path) -> None:
    assert main(["--frames-only", "--out", str(tmp_path)]) == 0
    records = json.loads((tmp_path / "frames.json").read_text())
    assert len(records) == 18
    for r in records:
        image = cv2.imread(r["path"])
        assert image is not None and image.shape == (720, 1280, 3)
    sheet = cv2.imread(str(tmp_path / "contact_sheet.jpg"))
    assert sheet is not None and sheet.shape == (3 * 180, 6 * 320, 3)
    # Per camera, more PM means shorter visibility and a higher AQI.
    for seed in {r["camera_seed"] for r in records}:
        mine = sorted((r for r in records if r["camera_seed"] == seed), key=lambda r: r["pm25"])
        vis = [r["visibility_m"] for r in mine]
        assert vis == sorted(vis, reverse=True)
        assert [r["aqi"] for r in mine] == sorted(r["aqi"] for r in mine)
