from __future__ import annotations

from pathlib import Path

import pytest

from training.cli import build_parser, main


def test_release_is_not_available_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 2
    assert "not yet available" in capsys.readouterr().err
    assert "Not yet available" in build_parser().format_help()


def test_dataset_real_reports_errors_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dataset", "real", "--data", str(tmp_path / "missing")]) == 1
    assert "dataset folder does not exist" in capsys.readouterr().err


def test_every_subcommand_has_help() -> None:
    text = build_parser().format_help()
    for cmd in ("dataset", "train", "export", "evaluate", "pipeline", "baseline", "release"):
        assert cmd in text
