from __future__ import annotations

from pathlib import Path

import pytest

from training.pipeline import Outcome
from training.release import FP32_FILE
from training.tracking import log_run, tracking_uri


def test_logs_and_registers_in_a_tmp_store(tiny_run: Outcome, tmp_path: Path) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id, version = log_run(
        uri,
        "tiny",
        params={"model.hidden": 16},
        metrics={"rmse": 12.5, "r2": float("nan")},
        artifacts_dir=tiny_run.release_dir,
        model_path=tiny_run.release_dir / FP32_FILE,
        model_name="tiny-model",
    )
    assert version == 1
    client = mlflow.MlflowClient(uri)
    run = client.get_run(run_id)
    assert run.data.metrics == {"rmse": 12.5}
    assert run.data.params == {"model.hidden": "16"}
    names = {f.path for f in client.list_artifacts(run_id, "release")}
    assert "release/manifest.json" in names
    _, v2 = log_run(
        uri,
        "tiny",
        params={},
        metrics={},
        artifacts_dir=tiny_run.release_dir,
        model_path=tiny_run.release_dir / FP32_FILE,
        model_name="tiny-model",
    )
    assert v2 == 2


def test_uri_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri() == "sqlite:///data/mlflow.db" and (tmp_path / "data").is_dir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert tracking_uri() == "http://mlflow:5000"
    assert tracking_uri("sqlite:///x.db") == "sqlite:///x.db"
