"""The evaluation report: a markdown file and a PNG (predicted vs reference, residuals by band)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from training.metrics import BANDS

F = npt.NDArray[np.floating]
_COLS = ("n", "rmse", "mae", "bias", "r2", "coverage80")


def metrics_table(title: str, metrics: dict[str, object]) -> str:
    """One markdown table: overall row then one row per band."""
    overall = metrics["overall"]
    by_band = metrics["by_band"]
    assert isinstance(overall, dict) and isinstance(by_band, dict)
    lines = [
        f"#### {title}",
        "",
        f"AQI-category accuracy: {overall['aqi_accuracy']:.3f}",
        "",
        "| band | " + " | ".join(_COLS) + " |",
        "|---" * (len(_COLS) + 1) + "|",
    ]
    bands = [(name, by_band[name]) for name, _, _ in BANDS if name in by_band]  # PM order
    for name, row in [("all", overall), *bands]:
        cells = [_fmt(row.get(c)) for c in _COLS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def depth_table(title: str, rows: dict[str, dict[str, float]]) -> str:
    """Overall figures per scene-depth class (`training.scene_depth`)."""
    cols = ("frames", "cameras", "rmse", "r2", "aqi_accuracy", "coverage80")
    lines = [f"#### {title}", "", "| farthest surface | " + " | ".join(cols) + " |"]
    lines.append("|---" * (len(cols) + 1) + "|")
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def dict_table(title: str, values: dict[str, object]) -> str:
    rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in values.items())
    return f"#### {title}\n\n| item | value |\n|---|---|\n{rows}\n"


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.0f}" if v.is_integer() and abs(v) >= 10 else f"{v:.3g}"
    return "" if v is None else str(v)


def plot(path: Path, pred: F, truth: F, title: str) -> None:
    """Predicted vs reference (log-log) and residuals per PM2.5 band, side by side."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    a.scatter(truth + 1, pred + 1, s=6, alpha=0.5)
    top = float(max(truth.max(), pred.max())) + 1
    a.plot([1, top], [1, top], "k--", lw=1)
    a.set(
        xscale="log",
        yscale="log",
        xlabel="reference PM2.5 + 1 (µg/m³)",
        ylabel="predicted PM2.5 + 1 (µg/m³)",
        title=title,
    )
    groups, names = [], []
    for name, lo, hi in BANDS:
        m = (truth >= lo) & (truth < hi)
        if m.any():
            groups.append(pred[m] - truth[m])
            names.append(name)
    b.boxplot(groups, tick_labels=names, showfliers=False)
    b.axhline(0.0, color="k", lw=1)
    b.set(
        xlabel="reference band (µg/m³)",
        ylabel="predicted − reference (µg/m³)",
        title="residuals by band",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
