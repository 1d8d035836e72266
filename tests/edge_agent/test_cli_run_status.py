"""``edge-agent run`` config errors and ``edge-agent status`` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_agent.cli import main
from edge_agent.outbox import Outbox
from tests.edge_agent.outbox_helpers import reading


def test_run_with_an_invalid_config_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(f"device_id: cam-1\ndata_dir: {tmp_path}\nmqtt:\n  port: 99999\n")
    assert main(["run", "--config", str(config)]) == 2
    assert "field 'mqtt.port'" in capsys.readouterr().err


def test_run_with_a_missing_config_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read config file" in capsys.readouterr().err


def test_status_reports_the_outbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append_many([reading(i) for i in range(5)])
    box.ack([0, 1])
    assert main(["status", "--data-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["depth"], data["seq_high_water"]) == (3, 4)
    assert main(["status", "--data-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "unsent readings:   3" in text and "seq high-water:    4" in text


def test_status_via_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Outbox(tmp_path / "outbox.db").append(reading(0))
    config = tmp_path / "agent.yaml"
    config.write_text(f"device_id: cam-1\ndata_dir: {tmp_path}\n")
    assert main(["status", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["depth"] == 1


def test_status_without_an_outbox_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--data-dir", str(tmp_path)]) == 1
    assert "cannot read the outbox" in capsys.readouterr().err
