"""`pm25-train retrain` refuses bad input with a clear message before any training starts, and
the retraining docs only name options and config keys that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from training.cli import build_parser, main
from training.retrain.config import RetrainConfig, load_retrain_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "retraining.md"


def fail(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["retrain", *args]) == 1
    return capsys.readouterr().err


def test_hub_url_needs_a_token(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("PM25_HUB_TOKEN", raising=False)
    err = fail(["--real", str(tmp_path), "--hub-url", "http://hub:8000"], capsys)
    assert "--hub-url needs an operator token" in err


def test_repo_and_key_go_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fail(["--real", str(tmp_path), "--repo", str(tmp_path)], capsys)
    assert "--repo and --targets-key go together" in err


def test_a_missing_champion_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fail(["--real", str(tmp_path), "--champion", str(tmp_path / "nope"),
                "--work", str(tmp_path / "w"), "--no-mlflow"], capsys)  # fmt: skip
    assert "champion" in err and "not a usable release" in err


def test_missing_field_data_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fail(["--real", str(tmp_path / "none"), "--work", str(tmp_path / "w"), "--no-mlflow"],
               capsys)  # fmt: skip
    assert "dataset folder does not exist" in err


def test_bad_configs_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for text, needle in (("mix: {real: 0.7, sim: 0.7}", "must be 1"),
                         ("gate: {margin: 0.1}", "margin"),
                         ("rollout: {stages: [0.5, 0.2]}", "stages")):  # fmt: skip
        (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
        err = fail(["--real", str(tmp_path), "--config", str(tmp_path / "c.yaml")], capsys)
        assert "invalid config" in err and needle in err


def test_the_docs_name_only_real_options_and_keys(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["retrain", "--help"])
    known = set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out))
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text))
    assert named and named <= known, named - known
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        RetrainConfig.model_validate(yaml.safe_load(block))


def test_shipped_retrain_configs_load() -> None:
    root = Path(__file__).resolve().parents[2] / "training" / "configs"
    for name in ("retrain-small.yaml", "retrain-full.yaml"):
        cfg = load_retrain_config(root / name)
        assert (cfg.mix.real, cfg.mix.sim) == (0.3, 0.7)
