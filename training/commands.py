"""The subcommands of `pm25-train`, each one function returning a JSON-able summary."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np

from pm25.drift_bins import REFERENCE_FILE
from pm25.manifest import load_manifest
from pm25.preprocess import DEFAULT_SPEC
from training import confounds, metrics
from training.card import write_model_card
from training.config import load_config
from training.loader import load_dataset
from training.pipeline import dataset_arrays, export_release, load_model, run_pipeline, save_model
from training.release import FP32_FILE, INT8_FILE, run_both
from training.retrain.warm import WEIGHTS
from training.splits import make_splits
from training.synth import render_dataset
from training.tensors import build_arrays
from training.train import TrainResult, train


def synth(config: Path, out: Path) -> dict[str, object]:
    s = render_dataset(load_config(config).synth, out)
    return {"root": str(s.root), "cameras": s.cameras, "frames": s.frames}


def real(data: Path, tolerance: timedelta, strict: bool, cache: Path | None) -> dict[str, object]:
    samples, join = load_dataset(data, tolerance, strict)
    if cache is not None:
        build_arrays(samples, DEFAULT_SPEC, join, strict).save(cache)
    print(join.markdown())
    return {"joined": join.joined, "skipped": join.skipped, "examples": join.examples}


def train_only(config: Path, work: Path, data: Path | None) -> dict[str, object]:
    cfg = load_config(config)
    work.mkdir(parents=True, exist_ok=True)
    folder = data or work / "dataset"
    if data is None and not folder.exists():
        render_dataset(cfg.synth, folder)
    arrays, _ = dataset_arrays(folder, work / "tensors.npz")
    splits = make_splits(arrays, cfg.split)
    r = train(arrays.take(splits.train), arrays.take(splits.val), cfg.model, cfg.train)
    save_model(r.model, cfg.model, work / "model.pt")
    return {
        "model": str(work / "model.pt"),
        "device": r.device,
        "epochs": r.epochs_run,
        "best_epoch": r.best_epoch,
        "seconds_per_epoch": r.seconds_per_epoch,
    }


def export_only(config: Path, work: Path, data: Path | None) -> dict[str, object]:
    cfg = load_config(config)
    arrays, join = dataset_arrays(data or work / "dataset", work / "tensors.npz")
    splits = make_splits(arrays, cfg.split)
    model = load_model(work / "model.pt", arrays.features.shape[1])
    result = TrainResult(model, "cpu", 0, 0, 0.0, 0.0)
    out = export_release(cfg, work, arrays, splits, result, join=join)
    return {"release": str(out.release_dir), "report": str(out.report_path), **out.summary}


def pipeline(
    config: Path, work: Path, data: Path | None, log_mlflow: bool, uri: str | None
) -> dict[str, object]:
    cfg = load_config(config)
    out = run_pipeline(cfg, work, data)
    result: dict[str, object] = {
        "release": str(out.release_dir),
        "report": str(out.report_path),
        **out.summary,
    }
    if log_mlflow:
        from training.tracking import log_run, tracking_uri  # noqa: PLC0415

        params = {f"{k}.{n}": v for k, sec in cfg.model_dump().items() for n, v in sec.items()}
        shutil.copytree(out.report_path.parent, out.release_dir / "report", dirs_exist_ok=True)
        run_id, version = log_run(
            tracking_uri(uri),
            cfg.export.name,
            params=params,
            metrics=out.summary,
            artifacts_dir=out.release_dir,
            model_path=out.release_dir / FP32_FILE,
            model_name=cfg.export.name,
        )
        result |= {"mlflow_run": run_id, "registered_version": version}
    return result


def evaluate_release(release: Path, data: Path) -> dict[str, object]:
    manifest = load_manifest(release / "manifest.json")
    samples, join = load_dataset(data)
    arrays = build_arrays(samples, manifest.preprocessing, join)
    out: dict[str, object] = {"frames": len(arrays)}
    for role, pred, sd in run_both(release, manifest, arrays):
        out[role] = metrics.evaluate(pred, sd, arrays.pm25.astype(np.float64))
    return out


def reuse_data(work: Path, synth_json: str) -> None:
    """Empty `work`, keeping the rendered dataset and its tensors if the synth config is the
    same (rendering is deterministic, so they would come out byte-identical)."""
    stamp = work / "synth.json"
    same = stamp.exists() and stamp.read_text(encoding="utf-8") == synth_json
    if work.exists():
        for p in work.iterdir():
            if same and p.name in ("dataset", "tensors.npz", "synth.json"):
                continue
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    work.mkdir(parents=True, exist_ok=True)
    stamp.write_text(synth_json, encoding="utf-8")


def baseline(config: Path, work: Path, out_dir: Path) -> dict[str, object]:
    """Run the pipeline from scratch in `work` and copy the release + model card to `out_dir`."""
    cfg = load_config(config)
    reuse_data(work, cfg.synth.model_dump_json())
    out = run_pipeline(cfg, work, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (FP32_FILE, INT8_FILE, "manifest.json", REFERENCE_FILE):
        shutil.copyfile(out.release_dir / name, out_dir / name)
    # The trained weights ship too: `pm25-train retrain --champion models/` warm-starts from them.
    shutil.copyfile(work / WEIGHTS, out_dir / WEIGHTS)
    # The card's error decomposition: controlled renders of unseen scenes (~20 s).
    parts = confounds.run(out_dir, confounds.Grid(), cfg.synth.workers)
    parts_json = out.report_path.parent / "confounds.json"
    parts_json.write_text(json.dumps(parts, indent=2), encoding="utf-8")
    write_model_card(
        out_dir / "MODEL_CARD.md", out.report_path.parent / "metrics.json", cfg, parts_json
    )
    return {"models": str(out_dir), **out.summary}
