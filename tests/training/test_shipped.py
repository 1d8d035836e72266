"""The baseline shipped in models/ verifies against its files and stays small."""

from __future__ import annotations

from pathlib import Path

from tests.training.test_release import check_release

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_shipped_manifest_verifies_and_goldens_pass() -> None:
    manifest = check_release(MODELS)
    assert manifest.outputs.name == "pm25" and manifest.inputs.image.name == "image"


def test_shipped_release_is_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in MODELS.iterdir() if p.is_file())
    assert total <= 2 * 1024 * 1024
    card = (MODELS / "MODEL_CARD.md").read_text()
    for needle in ("fog", "rain", "Night", "short scene depth", "parameters", "MACs"):
        assert needle.lower() in card.lower(), needle


def test_evaluate_command_runs_both_shipped_artifacts(tiny_dataset: Path) -> None:
    from training.commands import evaluate_release

    out = evaluate_release(MODELS, tiny_dataset)
    assert out["frames"] == 48
    for role in ("fp32", "int8"):
        result = out[role]
        assert isinstance(result, dict)
        assert result["overall"]["n"] == 48.0
