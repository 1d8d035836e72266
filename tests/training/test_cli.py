from __future__ import annotations

from pathlib import Path

import pytest

from training.cli import build_parser, main


def test_release_reports_a_missing_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["release", "--repo", str(tmp_path / "none"), "--manifest",
            str(tmp_path / "manifest.json"), "--targets-key", str(tmp_path / "t.pem")]  # fmt: skip
    assert main(argv) == 2
    assert "pm25-train release: error:" in capsys.readouterr().err


def test_dataset_real_reports_errors_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dataset", "real", "--data", str(tmp_path / "missing")]) == 1
    assert "dataset folder does not exist" in capsys.readouterr().err


def test_every_subcommand_has_help() -> None:
    text = build_parser().format_help()
    commands = ("dataset", "train", "export", "evaluate", "pipeline", "baseline", "release")
    for cmd in (*commands, "keys"):
        assert cmd in text


def test_synth_then_real_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        "synth: {cameras: 3, frames_per_camera: 2, width: 160, height: 96, workers: 1}\n"
    )
    out = tmp_path / "ds"
    assert main(["dataset", "synth", "--config", str(cfg), "--out", str(out)]) == 0
    assert main(["dataset", "real", "--data", str(out), "--cache", str(tmp_path / "t.npz")]) == 0
    text = capsys.readouterr().out
    assert "Joined frames: 6" in text and (tmp_path / "t.npz").exists()


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("synth: {cameras: 1, colour: blue}\n")
    assert main(["dataset", "synth", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: invalid config" in err and "colour" in err
