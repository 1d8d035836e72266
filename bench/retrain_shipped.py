"""The closed loop against the shipped baseline: `pm25-train retrain --champion models/` on field
cameras of a humid city the baseline never saw.

Field data: ``training.retrain.field`` renders cameras with scene seeds outside the baseline's
(50,000+) in ``HUMID_CITY`` with a more hygroscopic aerosol, written in the real-data format
with reference-monitor noise, i.e. what `cloud-hub dataset export` hands to training. Champion:
the shipped ``models/`` (its ``model.pt`` is the warm start). Challenger: the CPU retrain config
(``training/configs/retrain-small.yaml``). Both are evaluated on the same held-out field cameras
and held-out simulated cameras; the table is champion vs challenger RMSE by PM2.5 band.

Run ``python -m bench.retrain_shipped`` (about 5-10 min on 2 cores): prints the table, writes
``bench/results/retrain_shipped.json``. No signing, hub or MLflow: the loop's decision only.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench.report import print_table, write_json
from training.cli import main as pm25_train
from training.metrics import BANDS
from training.retrain.field import FieldSpec, render_field_dataset

ROOT: Final = Path(__file__).resolve().parents[1]
FIELD: Final = FieldSpec(cameras=int(os.environ.get("BENCH_FIELD_CAMERAS", "24")),
                         frames_per_camera=20)  # fmt: skip


def _rows(ev: dict[str, Any], data_set: str) -> list[dict[str, object]]:
    champ, chall = ev[data_set]["champion"], ev[data_set]["challenger"]
    rows: list[dict[str, object]] = []
    for band in ["all", *(b for b, _, _ in BANDS)]:
        a = champ["overall"] if band == "all" else champ["by_band"].get(band)
        b = chall["overall"] if band == "all" else chall["by_band"].get(band)
        if a is None or b is None:
            continue
        rows.append({"set": data_set, "band": band, "frames": int(a["n"]),
                     "champion_rmse": round(a["rmse"], 1), "challenger_rmse": round(b["rmse"], 1),
                     "ratio": round(b["rmse"] / a["rmse"], 2) if a["rmse"] else None})  # fmt: skip
    return rows


def _measure(work: Path) -> dict[str, object]:
    field = work / "field"
    t0 = time.perf_counter()
    render_field_dataset(FIELD, field)
    t_render = time.perf_counter() - t0
    t1 = time.perf_counter()
    rc = pm25_train(["retrain", "--champion", str(ROOT / "models"), "--real", str(field),
                     "--work", str(work / "retrain"), "--config",
                     str(ROOT / "training/configs/retrain-small.yaml"), "--no-mlflow",
                     "--trigger", "bench"])  # fmt: skip
    t_loop = time.perf_counter() - t1
    decision = json.loads((work / "retrain/retrain-report/decision.json").read_text("utf-8"))
    ev = decision["evaluations"]
    rows = [*_rows(ev, "field"), *(_rows(ev, "sim") if "sim" in ev else [])]
    return {
        "field_cameras": FIELD.cameras, "frames_per_camera": FIELD.frames_per_camera,
        "exit_code": rc, "promoted": decision["promote"], "reasons": decision["reasons"],
        "render_s": round(t_render, 1), "retrain_s": round(t_loop, 1),
        "seconds": decision["facts"].get("seconds"), "rows": rows,
    }  # fmt: skip


def run() -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-retrain-"))
    try:
        out = _measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = out["rows"]
    assert isinstance(rows, list)
    header = list(rows[0]) if rows else []
    print_table("Champion (shipped models/) vs challenger, held-out cameras", header,
                [list(r.values()) for r in rows])  # fmt: skip
    print(f"promoted: {out['promoted']}; render {out['render_s']} s, retrain {out['retrain_s']} s")
    write_json("retrain_shipped", out)
    return out


if __name__ == "__main__":
    run()
