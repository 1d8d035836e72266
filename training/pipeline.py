"""The steps of `pm25-train`, composed in flow order: data → train → export → evaluate → release.

Work folder layout (default `data/train/<config name>`):
    dataset/            the rendered synthetic dataset (real-data format)
    tensors.npz         preprocessed inputs + labels (pm25.preprocess of every decoded frame)
    model.pt            the trained torch model (state dict + model config)
    release/            model-fp32.onnx, model-int8.onnx, manifest.json, drift-reference.json
    report/             report.md, eval-fp32.png, metrics.json
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from pm25.manifest import load_manifest, write_manifest
from pm25.preprocess import DEFAULT_SPEC
from training import export, metrics, report, scene_depth
from training.config import ModelConfig, PipelineConfig
from training.drift_reference import write_reference
from training.errors import DatasetError, ExportError
from training.loader import JoinReport, load_dataset
from training.model import HazeNet, count_macs, count_parameters
from training.release import FP32_FILE, INT8_FILE, build_manifest, input_spec
from training.splits import Splits, make_splits
from training.synth import render_dataset
from training.tensors import Arrays, build_arrays
from training.train import TrainResult, train

log = logging.getLogger(__name__)
MAX_INT8_RMSE_LOSS = 0.05
CALIBRATION_FRAMES = 5
F64 = npt.NDArray[np.float64]


@dataclass
class Outcome:
    """What a pipeline run produced."""

    release_dir: Path
    report_path: Path
    summary: dict[str, float]


def dataset_arrays(folder: Path, cache: Path, strict: bool = True) -> tuple[Arrays, JoinReport]:
    """Load a dataset folder (or its tensor cache when present) as arrays."""
    if cache.exists():
        return Arrays.load(cache), JoinReport(joined=-1)
    samples, join = load_dataset(folder, strict=strict)
    arrays = build_arrays(samples, DEFAULT_SPEC, join, strict=strict)
    arrays.save(cache)
    return arrays, join


def save_model(model: HazeNet, mcfg: ModelConfig, path: Path) -> None:
    torch.save({"model_config": mcfg.model_dump(), "state": model.state_dict()}, path)


def load_model(path: Path, n_features: int) -> HazeNet:
    blob: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    model = HazeNet(ModelConfig.model_validate(blob["model_config"]), n_features)
    model.load_state_dict(blob["state"])
    return model.eval()


def run_pipeline(cfg: PipelineConfig, work: Path, data: Path | None = None) -> Outcome:
    """Render (unless `data` is given), train, export, evaluate and write the release."""
    work.mkdir(parents=True, exist_ok=True)
    folder = data or work / "dataset"
    if data is None and not folder.exists():
        log.info("rendering %d cameras × %d frames", cfg.synth.cameras, cfg.synth.frames_per_camera)
        render_dataset(cfg.synth, folder)
    arrays, join = dataset_arrays(folder, work / "tensors.npz")
    splits = make_splits(arrays, cfg.split)
    result = train(arrays.take(splits.train), arrays.take(splits.val), cfg.model, cfg.train)
    save_model(result.model, cfg.model, work / "model.pt")
    return export_release(cfg, work, arrays, splits, result, join=join, dataset=folder)


def export_release(
    cfg: PipelineConfig,
    work: Path,
    arrays: Arrays,
    splits: Splits,
    result: TrainResult,
    *,
    join: JoinReport,
    dataset: Path | None = None,
) -> Outcome:
    """ONNX FP32 + INT8, the same evaluation on both, the manifest and the report (`dataset`:
    the folder the arrays came from, for the scene-depth split of synthetic data)."""
    rel, rep = work / "release", work / "report"
    rel.mkdir(exist_ok=True)
    rep.mkdir(exist_ok=True)
    spec = input_spec(DEFAULT_SPEC)
    export.export_fp32(result.model, spec, rel / FP32_FILE, cfg.export.opset)
    calib_rows = np.random.default_rng(cfg.train.seed).permutation(splits.train)
    calibration = quantize_checked(
        rel, arrays, np.sort(calib_rows[: cfg.export.calibration_frames]), arrays.take(splits.val)
    )
    test = arrays.take(splits.test)
    evals: dict[str, Any] = {"int8_calibration": calibration}
    for role, name in (("fp32", FP32_FILE), ("int8", INT8_FILE)):
        pred, sd = export.run_onnx(rel / name, test)
        evals[role] = metrics.evaluate(pred, sd, test.pm25.astype(np.float64))
        evals[role].update(_calibrations(pred, sd, test))
        evals[role]["latency_ms"] = export.latency_ms(rel / name, test)
        if role == "fp32":
            report.plot(
                rep / "eval-fp32.png",
                pred,
                test.pm25.astype(np.float64),
                "FP32 on held-out cameras",
            )
    time_split = arrays.take(splits.test_time)
    if len(time_split):
        p, s = export.run_onnx(rel / FP32_FILE, time_split)
        evals["fp32_later_time"] = metrics.evaluate(p, s, time_split.pm25.astype(np.float64))
    ratio = evals["int8"]["overall"]["rmse"] / evals["fp32"]["overall"]["rmse"]
    if ratio > 1.0 + MAX_INT8_RMSE_LOSS:
        raise ExportError(f"INT8 RMSE is {ratio:.3f}× FP32 (limit {1 + MAX_INT8_RMSE_LOSS})")
    low_pm = np.flatnonzero(test.pm25 <= 250.0)
    goal = test.take(low_pm)
    p, s = export.run_onnx(rel / FP32_FILE, goal)
    evals["fp32_0_250"] = metrics.evaluate(p, s, goal.pm25.astype(np.float64))
    evals["fp32_0_250"].update(_calibrations(p, s, goal))
    depths = scene_depth.camera_depths(dataset or work / "dataset")
    evals["fp32_0_250_by_depth"] = scene_depth.by_depth(
        p, s, goal.pm25.astype(np.float64), goal.camera, depths
    )
    golden_rows = splits.test[
        np.linspace(0, len(splits.test) - 1, cfg.export.golden_count).astype(int)
    ]
    manifest = build_manifest(
        rel, cfg.export, DEFAULT_SPEC, evals["fp32"], data=arrays, golden_rows=golden_rows
    )
    write_manifest(manifest, rel / "manifest.json")
    load_manifest(rel / "manifest.json")  # refuse to ship what does not read back
    write_reference(rel, cfg.export.name, cfg.export.version, model=rel / FP32_FILE,
                    train=arrays.take(splits.train), names=DEFAULT_SPEC.features)  # fmt: skip
    facts = {
        "parameters": float(count_parameters(result.model)),
        "macs": float(count_macs(result.model, spec.image.height, spec.image.width)),
        "train_frames": float(len(splits.train)),
        "val_frames": float(len(splits.val)),
        "test_frames": float(len(splits.test)),
        "test_cameras": float(len(splits.cameras(arrays, "test"))),
        "epochs_run": float(result.epochs_run),
        "best_epoch": float(result.best_epoch),
        "train_seconds": result.seconds,
        "seconds_per_epoch": result.seconds_per_epoch,
        "int8_rmse_ratio": ratio,
        "var_scale": float(result.model.var_scale),
    }
    openvino = export.openvino_check(rel / FP32_FILE)
    text = _report_text(cfg, result, evals, facts, join=join, openvino=openvino)
    (rep / "report.md").write_text(text, encoding="utf-8")
    (rep / "metrics.json").write_text(
        json.dumps({"facts": facts, **evals}, indent=2, sort_keys=True)
    )
    return Outcome(rel, rep / "report.md", summary(evals, facts))


def quantize_checked(rel: Path, arrays: Arrays, rows: npt.NDArray[np.intp], val: Arrays) -> str:
    """INT8 with the first calibration method (`export.CALIBRATIONS`, in order) whose RMSE on
    the validation cameras stays within the limit; the test cameras are never looked at here.
    MinMax comes first and is kept whenever it is good enough: its INT8 model runs closest to
    ONNX Runtime's on OpenVINO (percentile-calibrated, the shipped baseline differed by 12 %).
    When none is within the limit MinMax is kept, and the INT8 gate on the test cameras decides:
    a small validation set (a retrain's few field cameras) makes the ratio too unsteady to
    refuse a model on."""
    fp32_pred, _ = export.run_onnx(rel / FP32_FILE, val)
    fp32_rmse = _rmse(fp32_pred, val.pm25)
    tried = []
    first = next(iter(export.CALIBRATIONS))
    for method in export.CALIBRATIONS:
        export.quantize_int8(rel / FP32_FILE, rel / INT8_FILE, arrays, rows, method)
        pred, _ = export.run_onnx(rel / INT8_FILE, val)
        ratio = _rmse(pred, val.pm25) / fp32_rmse
        tried.append(f"{method} {ratio:.3f}×")
        if ratio <= 1.0 + MAX_INT8_RMSE_LOSS:
            log.info("INT8 calibration %s (validation RMSE vs FP32: %s)", method, ", ".join(tried))
            return method
    log.warning("INT8: no calibration within %.2f× FP32 on validation cameras (%s); keeping %s",
                1 + MAX_INT8_RMSE_LOSS, ", ".join(tried), first)  # fmt: skip
    export.quantize_int8(rel / FP32_FILE, rel / INT8_FILE, arrays, rows, first)
    return first


def _calibrations(pred: F64, sd: F64, data: Arrays) -> dict[str, dict[str, float]]:
    """Per-camera linear and multiplicative (log-offset) corrections on each camera's first
    frames, evaluated on the rest."""
    truth, cam, t, k = data.pm25.astype(np.float64), data.camera, data.time_s, CALIBRATION_FRAMES
    return {
        "calibration": metrics.per_camera_calibration(pred, truth, cam, t, k),
        "calibration_log": metrics.per_camera_calibration(pred, truth, cam, t, k, sd=sd),
    }


def _rmse(pred: npt.NDArray[np.float64], truth: npt.NDArray[np.floating]) -> float:
    return float(np.sqrt(np.mean((pred - truth.astype(np.float64)) ** 2)))


def summary(evals: dict[str, Any], facts: dict[str, float]) -> dict[str, float]:
    """Flat metrics for MLflow and the CLI."""
    out = dict(facts)
    for role in ("fp32", "int8", "fp32_0_250"):
        for k, v in evals[role]["overall"].items():
            out[f"{role}_{k}"] = v
    for role in ("fp32", "int8"):
        out[f"{role}_latency_ms"] = evals[role]["latency_ms"]["median"]
    for role in ("fp32", "int8", "fp32_0_250"):
        out[f"{role}_calibrated_rmse"] = evals[role]["calibration"].get("rmse_after", float("nan"))
        log_cal = evals[role]["calibration_log"]
        out[f"{role}_calibrated_log_rmse"] = log_cal.get("rmse_after", float("nan"))
    return out


def _report_text(
    cfg: PipelineConfig,
    result: TrainResult,
    evals: dict[str, Any],
    facts: dict[str, float],
    *,
    join: JoinReport,
    openvino: str,
) -> str:
    parts = [
        "# Evaluation report",
        "",
        f"Device {result.device}; config seed {cfg.train.seed}. Held-out cameras only.",
        "",
        report.dict_table("Model and run", dict(facts)),
        report.metrics_table("FP32 on held-out cameras", evals["fp32"]),
        report.metrics_table("INT8 on held-out cameras", evals["int8"]),
        report.metrics_table("FP32, held-out cameras, PM2.5 ≤ 250", evals["fp32_0_250"]),
        report.depth_table(
            "FP32, held-out cameras, PM2.5 ≤ 250, by scene depth",
            evals["fp32_0_250_by_depth"],
        )
        if evals["fp32_0_250_by_depth"]
        else "",
    ]
    if "fp32_later_time" in evals:
        parts.append(
            report.metrics_table("FP32, training cameras, later times", evals["fp32_later_time"])
        )
    for role, name in (("fp32", "FP32"), ("int8", "INT8"), ("fp32_0_250", "FP32, PM2.5 ≤ 250,")):
        for key, kind in (("calibration", "linear"), ("calibration_log", "log-offset")):
            title = f"{name} per-camera {kind} calibration (first {CALIBRATION_FRAMES} frames)"
            parts.append(report.dict_table(title, evals[role][key]))
    for role in ("fp32", "int8"):
        parts.append(
            report.dict_table(f"{role.upper()} latency, 1 thread (ms)", evals[role]["latency_ms"])
        )
    parts += [
        f"INT8 activation ranges: {evals['int8_calibration']} calibration (the first of "
        f"{', '.join(export.CALIBRATIONS)} within {1 + MAX_INT8_RMSE_LOSS}× FP32 RMSE on the "
        "validation cameras).",
        "",
        f"OpenVINO: {openvino}",
        "",
        "![evaluation](eval-fp32.png)",
        "",
        "#### Data join",
        "",
        join.markdown() if join.joined >= 0 else "(from tensor cache)",
        "",
    ]
    return "\n".join(parts)


def check_nonempty(arrays: Arrays, what: str) -> None:
    if not len(arrays):
        raise DatasetError(f"{what} is empty")
