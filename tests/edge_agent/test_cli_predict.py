"""``edge-agent predict``: JSON lines, bad images reported without stopping, model paths."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from edge_agent import cli_predict
from edge_agent.cli import main
from edge_agent.inference.select import available_backends, choose_backend
from pm25.scene import CameraEffects
from tests.edge_agent.sim_frames import NIGHT, frame


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    good = tmp_path / "day.jpg"
    cv2.imwrite(str(good), frame(2, 55.0))
    night = tmp_path / "night.png"
    cv2.imwrite(str(night), frame(2, 55.0, NIGHT, CameraEffects()))
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff garbage")
    return [good, corrupt, tmp_path / "missing.jpg", night]


def test_one_json_line_per_image_and_exit_1_on_bad_ones(
    fixture_model_dir: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", "--model", str(fixture_model_dir), *map(str, images)])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 1 and [x["path"] for x in lines] == [str(p) for p in images]
    day, corrupt, missing, night = lines
    assert isinstance(day["pm25"], float) and day["pm25"] >= 0 and day["accepted"]
    auto = choose_backend("auto", available_backends())[0]  # openvino where it is installed
    assert day["model"] == "fixture:1" and day["backend"] == auto
    assert {"sd", "aqi", "category", "flags", "artifact", "latency_ms"} <= set(day)
    assert corrupt == {"path": images[1].as_posix(), "error": "not a readable image"}
    assert missing["error"] == "no such file"
    assert night["pm25"] is None and night["reject_reason"] == "night"


def test_all_good_exits_0_and_roi_is_used(
    fixture_model_dir: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["predict", "--model", str(fixture_model_dir / "manifest.json"), str(images[0])]
    assert main(args) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main([*args, "--roi", "0.3,0.1,0.4,0.4"]) == 0
    cropped = json.loads(capsys.readouterr().out)
    assert whole["pm25"] != cropped["pm25"]


def test_bad_roi_is_a_usage_error(fixture_model_dir: Path, images: list[Path]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["predict", "--model", str(fixture_model_dir), "--roi", "0.9,0,0.5,1", str(images[0])])
    assert e.value.code == 2


def test_without_baseline_model_says_so(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    images: list[Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli_predict, "DEFAULT_MODEL", tmp_path / "models" / "manifest.json")
    assert main(["predict", str(images[0])]) == 2
    captured = capsys.readouterr()
    assert "no baseline model installed" in captured.err and captured.out == ""


def test_default_model_used_when_installed(
    monkeypatch: pytest.MonkeyPatch,
    fixture_model_dir: Path,
    images: list[Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli_predict, "DEFAULT_MODEL", fixture_model_dir / "manifest.json")
    assert main(["predict", str(images[0])]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "fixture:1"


def test_corrupt_model_exits_2(
    model_copy: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (model_copy / "model_fp32.onnx").write_bytes(b"x")
    assert main(["predict", "--model", str(model_copy), str(images[0])]) == 2
    assert "bytes, expected" in capsys.readouterr().err


def test_unavailable_backend_exits_2(
    fixture_model_dir: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    if importlib.util.find_spec("openvino") is not None:
        pytest.skip("openvino installed")
    assert (
        main(
            ["predict", "--model", str(fixture_model_dir), "--backend", "openvino", str(images[0])]
        )
        == 2
    )
    assert "not installed" in capsys.readouterr().err
