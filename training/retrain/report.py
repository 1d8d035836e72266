"""The retrain report: champion vs challenger by PM band and by device, the decision and why.

`report.md` (markdown, the file the console links), `bands.png` and `devices.png`, and
`decision.json` (the same facts for machines).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from training.metrics import BANDS
from training.report import _fmt
from training.retrain.policy import Decision

ROLES = ("champion", "challenger")
SET_TITLES = {
    "field": "held-out field cameras",
    "field_later": "field training cameras, later times",
    "sim": "held-out simulated cameras",
}


@dataclass(frozen=True)
class RunId:
    """Which models competed: decision.json's `run` block, what the hub files the report under."""

    model_name: str
    champion_version: int
    challenger_version: int
    trigger: str


def write_decision(folder: Path, decision: Decision, run: RunId, **extra: Any) -> None:
    blob = {"promote": decision.promote, "reasons": decision.reasons, "run": asdict(run), **extra}
    (folder / "decision.json").write_text(json.dumps(blob, indent=2, default=str), "utf-8")


def _bars(ax: Any, labels: list[str], values: dict[str, list[float]], title: str) -> None:
    x = np.arange(len(labels))
    for k, role in enumerate(ROLES):
        ax.bar(x + (k - 0.5) * 0.4, values[role], 0.4, label=role)
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set(ylabel="RMSE (µg/m³)", title=title)
    ax.legend()


def plot_bands(path: Path, evals: dict[str, dict[str, Any]]) -> None:
    names = [n for n in ("field", "sim") if n in evals]
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 4.0), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        bands = [b for b, _, _ in BANDS if b in evals[name]["champion"]["by_band"]]
        vals = {r: [evals[name][r]["by_band"].get(b, {}).get("rmse", np.nan) for b in bands]
                for r in ROLES}  # fmt: skip
        _bars(ax, bands, vals, f"RMSE by band, {SET_TITLES[name]}")
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def plot_devices(path: Path, field: dict[str, Any]) -> None:
    cams = sorted(field["champion"]["by_device"])
    vals = {r: [field[r]["by_device"][c].get("rmse", np.nan) for c in cams] for r in ROLES}
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(cams) + 2), 4.0))
    _bars(ax, cams, vals, "RMSE by device, held-out field cameras")
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def _table(evals: dict[str, Any], key: str, rows: list[str]) -> str:
    lines = ["| | n | champion RMSE | challenger RMSE | champion bias | challenger bias |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        a = evals["champion"][key][row] if key else evals["champion"]["overall"]
        b = evals["challenger"][key][row] if key else evals["challenger"]["overall"]
        cells = [a.get("n"), a.get("rmse"), b.get("rmse"), a.get("bias"), b.get("bias")]
        lines.append(f"| {row} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(folder: Path, evals: dict[str, dict[str, Any]], decision: Decision,
                 facts: dict[str, Any], run: RunId) -> Path:  # fmt: skip
    """Write report.md, the plots and decision.json into `folder`; returns report.md."""
    folder.mkdir(parents=True, exist_ok=True)
    plot_bands(folder / "bands.png", evals)
    if "field" in evals:
        plot_devices(folder / "devices.png", evals["field"])
    verdict = "PROMOTED" if decision.promote else "REFUSED"
    parts = [f"# Retrain report: challenger {verdict}", ""]
    parts += [f"- **{k}**: {v}" for k, v in facts.items()]
    parts += ["", "## Decision", "", *[f"- {r}" for r in decision.reasons], ""]
    for name, title in SET_TITLES.items():
        if name not in evals:
            continue
        e = evals[name]
        bands = [b for b, _, _ in BANDS if b in e["champion"]["by_band"]]
        parts += [f"## {title[0].upper()}{title[1:]}", "", _table(e, "", ["all"]),
                  _table(e, "by_band", bands)]  # fmt: skip
        if name == "field":
            parts += ["By device:", "", _table(e, "by_device", sorted(e["champion"]["by_device"]))]
    parts += ["![RMSE by band](bands.png)", "", "![RMSE by device](devices.png)", ""]
    path = folder / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    plain = {n: {r: {k: v for k, v in ev.items() if k != "pred"} for r, ev in e.items()}
             for n, e in evals.items()}  # fmt: skip
    write_decision(folder, decision, run, facts=facts, evaluations=plain)
    return path
