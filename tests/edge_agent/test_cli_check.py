"""``edge-agent check``: camera, model and broker probes against real parts (Mosquitto)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edge_agent.cli import main
from tests.support.mosquitto import MosquittoBroker
from tests.support.ports import free_port

DEVICE, PASSWORD = "cam-check-1", "device-pass-1"


def write_config(tmp_path: Path, model: Path, port: int, password: str = PASSWORD) -> Path:
    config = {
        "device_id": DEVICE,
        "data_dir": str(tmp_path / "data"),
        "mqtt": {"host": "127.0.0.1", "port": port, "password": password},
        "capture": {"source": {"kind": "synthetic", "width": 640, "height": 360}},
        "inference": {"model": str(model), "warmup_runs": 1, "timing_runs": 3},
    }
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = main(["check", "--config", str(path)])
    lines = capsys.readouterr().out.splitlines()
    return code, {line.split()[1]: line for line in lines}


def test_all_probes_pass(
    mosquitto: MosquittoBroker,
    fixture_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mosquitto.users[DEVICE] = PASSWORD
    mosquitto.start()
    code, lines = run_check(write_config(tmp_path, fixture_model_dir, mosquitto.port), capsys)
    assert code == 0, lines
    assert lines["camera"].startswith("ok") and "640x360 frame, gate" in lines["camera"]
    assert lines["model"].startswith("ok") and "fixture:1" in lines["model"]
    assert "1 golden test(s) passed" in lines["model"]
    assert lines["broker"].startswith("ok") and "connected as cam-check-1" in lines["broker"]


def test_refused_credentials_and_corrupt_model_fail(
    mosquitto: MosquittoBroker, model_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mosquitto.users[DEVICE] = PASSWORD
    mosquitto.start()
    (model_copy / "model_int8.onnx").write_bytes(b"\x00" * 10)
    path = write_config(tmp_path, model_copy, mosquitto.port, password="wrong")
    code, lines = run_check(path, capsys)
    assert code == 1
    assert lines["camera"].startswith("ok")
    assert lines["model"].startswith("FAIL") and "'int8' is 10 bytes" in lines["model"]
    assert lines["broker"].startswith("FAIL") and "refused" in lines["broker"]


def test_broker_down_and_unreadable_camera(
    fixture_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, fixture_model_dir, free_port())
    config = yaml.safe_load(path.read_text())
    config["capture"] = {"source": {"kind": "folder", "path": str(tmp_path / "no-such-folder")}}
    path.write_text(yaml.safe_dump(config))
    code, lines = run_check(path, capsys)
    assert code == 1
    assert lines["camera"].startswith("FAIL") and "not a folder" in lines["camera"]
    assert lines["broker"].startswith("FAIL") and "cannot connect" in lines["broker"]
    assert lines["model"].startswith("ok")


def test_invalid_config_fails_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("device_id: cam-1\ncapture: {source: {kind: webcam}}\n")
    code, lines = run_check(path, capsys)
    assert code == 1 and lines["config"].startswith("FAIL")
