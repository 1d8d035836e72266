"""Pure evaluation arithmetic: errors overall and by PM2.5 band, AQI accuracy, coverage, and
per-camera calibration (linear, or a multiplicative log offset). No I/O; the report module
formats what this computes."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from pm25.aqi import category

Z80: Final = 1.2815515655446004
# EPA 2024 breakpoints up to "Unhealthy"; the last band is open ("125.5+").
BANDS: Final[tuple[tuple[str, float, float], ...]] = (
    ("0-9", 0.0, 9.05),
    ("9-35.4", 9.05, 35.45),
    ("35.5-55.4", 35.45, 55.45),
    ("55.5-125.4", 55.45, 125.45),
    ("125.5+", 125.45, float("inf")),
)
F = npt.NDArray[np.floating]


def errors(pred: F, truth: F) -> dict[str, float]:
    """n, RMSE, MAE, bias (pred − truth) and R² (NaN when truth has no variance)."""
    if truth.size == 0:
        return {"n": 0.0}
    d = pred - truth
    ss = float(np.sum((truth - truth.mean()) ** 2))
    return {
        "n": float(truth.size),
        "rmse": float(np.sqrt(np.mean(d**2))),
        "mae": float(np.mean(np.abs(d))),
        "bias": float(np.mean(d)),
        "r2": 1.0 - float(np.sum(d**2)) / ss if ss > 0 else float("nan"),
    }


def aqi_accuracy(pred: F, truth: F) -> float:
    """Fraction of samples whose predicted AQI category equals the reference's."""
    same = [category(float(p)) == category(float(t)) for p, t in zip(pred, truth, strict=True)]
    return float(np.mean(same)) if same else float("nan")


def interval_coverage(pred: F, sd: F, truth: F) -> float:
    """Fraction of references inside pred ± Z80·sd (the device's 80 % interval)."""
    return float(np.mean(np.abs(truth - pred) <= Z80 * sd)) if truth.size else float("nan")


def evaluate(pred: F, sd: F, truth: F) -> dict[str, object]:
    """Overall figures (plus AQI accuracy and coverage) and the same per band."""
    overall: dict[str, float] = errors(pred, truth)
    overall["aqi_accuracy"] = aqi_accuracy(pred, truth)
    overall["coverage80"] = interval_coverage(pred, sd, truth)
    by_band: dict[str, dict[str, float]] = {}
    for name, lo, hi in BANDS:
        m = (truth >= lo) & (truth < hi)
        if m.any():
            band = errors(pred[m], truth[m])
            band["coverage80"] = interval_coverage(pred[m], sd[m], truth[m])
            by_band[name] = band
    return {"overall": overall, "by_band": by_band}


def fit_linear(pred: F, truth: F) -> tuple[float, float]:
    """Least-squares truth ≈ a·pred + b; offset only (a = 1) when pred barely varies."""
    if pred.size >= 2 and float(np.std(pred)) > 1e-6 * (1.0 + abs(float(np.mean(pred)))):
        a, b = np.polyfit(pred, truth, 1)
        return float(a), float(b)
    return 1.0, float(np.mean(truth - pred)) if pred.size else 0.0


# Spread of one unseen scene's mean log error (`pm25-train confounds`: 0.18-0.30 log units):
# the prior that keeps a per-camera log offset fitted on a few frames from chasing noise.
SCENE_BIAS_SD: Final = 0.2


def log_offset(pred: F, sd: F, truth: F, prior_sd: float = SCENE_BIAS_SD) -> float:
    """Per-camera multiplicative correction as an offset b on log(PM2.5 + 1), fitted to a few
    labelled frames: each residual weighted by the model's own log-space variance (a frame at
    3 µg/m³ says little about a multiplicative bias, one at 150 says much) and shrunk towards 0
    by the prior on scene biases. Stable with 1 frame, unlike a linear fit."""
    residual = np.log1p(truth) - np.log1p(pred)
    weight = 1.0 / np.maximum(np.log1p((sd / (pred + 1.0)) ** 2), 1e-6)
    return float(np.sum(weight * residual) / (np.sum(weight) + prior_sd**-2))


def per_camera_calibration(
    pred: F,
    truth: F,
    camera: npt.NDArray[np.str_],
    time_s: npt.NDArray[np.int64],
    k: int,
    *,
    sd: F | None = None,
) -> dict[str, float]:
    """Fit a correction per camera on its first `k` frames; errors on the rest, before and
    after. Linear (a·pred + b) without `sd`; with it, the multiplicative `log_offset`. Cameras
    with ≤ k frames are left out (and counted)."""
    before, after, targets = [], [], []
    skipped = 0
    for cam in np.unique(camera):
        rows = np.flatnonzero(camera == cam)
        rows = rows[np.argsort(time_s[rows], kind="stable")]
        if len(rows) <= k:
            skipped += 1
            continue
        fit, rest = rows[:k], rows[k:]
        before.append(pred[rest])
        if sd is None:
            a, b = fit_linear(pred[fit], truth[fit])
            after.append(np.maximum(a * pred[rest] + b, 0.0))
        else:
            offset = log_offset(pred[fit], sd[fit], truth[fit])
            after.append(np.maximum(np.expm1(np.log1p(pred[rest]) + offset), 0.0))
        targets.append(truth[rest])
    if not targets:
        return {"cameras": 0.0, "cameras_skipped": float(skipped)}
    t = np.concatenate(targets)
    corrected = np.concatenate(after)
    raw, cal = errors(np.concatenate(before), t), errors(corrected, t)
    return {
        "cameras": float(len(targets)),
        "cameras_skipped": float(skipped),
        "frames_per_camera_fit": float(k),
        "rmse_before": raw["rmse"],
        "rmse_after": cal["rmse"],
        "r2_before": raw["r2"],
        "r2_after": cal["r2"],
        "mae_after": cal["mae"],
        "aqi_accuracy_after": aqi_accuracy(corrected, t),
    }
