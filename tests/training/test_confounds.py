"""The error decomposition: known parts come back out, and a real grid runs on the shipped model."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from training import cli
from training.card import confounds_table
from training.confounds import Grid, decompose
from training.errors import TrainingError

MODELS = Path(__file__).resolve().parents[2] / "models"


def _synthetic_pred(grid: Grid, scene: np.ndarray, light: np.ndarray, noise: float) -> np.ndarray:
    """Predictions whose log error is a scene offset + a lighting offset (+ noise on the repeat)."""
    levels = np.log1p(np.asarray(grid.pm_levels))
    log_pred = np.empty((grid.scenes, len(grid.pm_levels), grid.lightings + 1))
    log_pred[:, :, : grid.lightings] = (
        levels[None, :, None] + scene[:, None, None] + light[:, None, :]
    )
    log_pred[:, :, grid.lightings] = log_pred[:, :, 0] + noise * np.sqrt(2.0)
    return np.expm1(log_pred).ravel()


def test_decompose_recovers_scene_lighting_and_noise_parts() -> None:
    grid = Grid(scenes=400, lightings=8, pm_levels=(20.0, 150.0))
    rng = np.random.default_rng(0)
    scene = rng.normal(0.0, 0.2, grid.scenes)
    light = rng.normal(0.0, 0.05, (grid.scenes, grid.lightings))
    rows = decompose(_synthetic_pred(grid, scene, light, noise=0.01), grid)
    for row in rows:
        assert row["scene"] == pytest.approx(0.2, rel=0.1)
        assert row["lighting"] == pytest.approx(0.05, rel=0.1)
        assert row["noise"] == pytest.approx(0.01, rel=1e-6)
        assert row["total"] == pytest.approx(np.hypot(0.2, 0.05), rel=0.1)
        # removing each scene's own mean error leaves only the lighting part
        assert row["rmse_ugm3_scene_corrected"] < 0.4 * row["rmse_ugm3"]


def test_a_perfect_model_has_no_error_at_all() -> None:
    grid = Grid(scenes=3, lightings=2, pm_levels=(0.0, 35.0))
    zeros = np.zeros(grid.scenes)
    rows = decompose(_synthetic_pred(grid, zeros, np.zeros((3, 2)), noise=0.0), grid)
    assert all(v == pytest.approx(0.0, abs=1e-9) for r in rows for k, v in r.items() if k != "pm25")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenes": 1}, "at least 2 scenes"),
        ({"lightings": 1}, "2 lightings"),
        ({"pm_levels": ()}, "1 PM level"),
        ({"pm_levels": (-5.0,)}, "0..1000"),
        ({"rh": 1.5}, "fraction in 0..1"),
    ],
)
def test_bad_grids_are_refused_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        Grid(**kwargs)  # type: ignore[arg-type]


def test_cli_decomposes_the_shipped_release(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["confounds", "--release", str(MODELS), "--scenes", "2", "--lightings", "2"]
    assert cli.main([*argv, "--pm", "20,150", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["grid"]["pm_levels"] == [20.0, 150.0]
    for role in ("fp32", "int8"):
        assert [r["pm25"] for r in out[role]] == [20.0, 150.0]
        for row in out[role]:
            parts = ("total", "lighting", "scene", "noise", "rmse_ugm3")
            assert all(np.isfinite(row[k]) and row[k] >= 0.0 for k in parts)
            # a trained model errs somewhere, and sensor noise is the smallest part
            assert row["total"] > 0.0
            assert row["noise"] < row["total"]


def test_cli_names_a_missing_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["confounds", "--release", str(tmp_path), "--scenes", "2"]) == 1
    assert "manifest.json: cannot read manifest" in capsys.readouterr().err


def test_model_card_table_shows_every_level_of_the_decomposition() -> None:
    grid = Grid(scenes=3, lightings=2, pm_levels=(20.0, 150.0))
    rng = np.random.default_rng(1)
    pred = _synthetic_pred(grid, rng.normal(0, 0.2, 3), rng.normal(0, 0.05, (3, 2)), 0.01)
    table = confounds_table({"grid": asdict(grid), "fp32": decompose(pred, grid)})
    assert "3 unseen scenes × 2 lightings, RH 0.5" in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "PM2.5" not in line]
    assert [r.split(" | ")[0] for r in rows] == ["| 20", "| 150"]


def test_cli_refuses_pm_levels_that_are_not_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["confounds", "--pm", "5,x"])
    assert exit_.value.code == 2
    assert "not a comma-separated list of numbers: '5,x'" in capsys.readouterr().err
