"""deploy/systemd/edge-agent.service: the hardening and watchdog we promise, verified by systemd."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from edge_agent.config import AgentConfig

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "edge-agent.service"


def _directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_watchdog_restart_and_start_limit() -> None:
    d = _directives()
    assert d["Type"] == ["notify"] and d["Restart"] == ["always"]
    assert int(d["WatchdogSec"][0]) >= 10  # the agent pings every WatchdogSec/2 from a 0.5 s loop
    assert int(d["StartLimitBurst"][0]) > 0 and int(d["StartLimitIntervalSec"][0]) > 0
    assert d["ExecStart"][0].split()[1:] == ["run", "--config", "/etc/edge-agent/config.yaml"]
    assert d["EnvironmentFile"] == ["-/etc/edge-agent/device.env"]


def test_hardening_leaves_only_the_data_dir_writable() -> None:
    d = _directives()
    data_dir = str(AgentConfig.model_fields["data_dir"].default)
    assert d["User"] == ["pm25"] and d["ProtectSystem"] == ["strict"]
    assert d["ReadWritePaths"] == [data_dir]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert d[key] == ["yes"], key
    assert d["CapabilityBoundingSet"] == [""]
    assert d["DevicePolicy"] == ["closed"]
    allowed = " ".join(d["DeviceAllow"])
    assert "char-video4linux" in allowed and "/dev/vchiq" in allowed and "char-media" in allowed
    assert d["MemoryMax"][0].endswith("M")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify wants the ExecStart binary to exist; everything else is checked as shipped.
    text = UNIT.read_text().replace(
        "/opt/edge-agent/venv/bin/edge-agent", shutil.which("true") or "/bin/true"
    )
    unit = tmp_path / "edge-agent.service"
    unit.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert str(unit) not in done.stderr, done.stderr  # warnings name the file and line
    unit.write_text(text.replace("WatchdogSec=", "WatchdogSecs="))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], check=False, capture_output=True, text=True
    )
    assert "Unknown key" in done.stderr  # the check above can fail
