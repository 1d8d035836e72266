"""Per-frame pipeline time of the edge agent on a 1280×720 frame, fp32 against int8.

Stages: quality gate → preprocess → inference → outbox commit (a real SQLite outbox in a temp
dir, one transaction per reading as the agent does). One thread: cv2.setNumThreads(1) and
ONNX Runtime intra_op_num_threads=1, as on a Raspberry Pi core that also captures and uploads.
Frames are simulated (pm25.scene) with different sensor noise, cycled so the gate sees a live
camera, not a frozen one. Model: the baseline release in models/ when installed, else the test
fixture model (global pool + linear: a floor for inference cost, not a CNN) — the output says
which. Goal: median <= 5 ms. Run: ``python -m bench.edge_pipeline``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.report import print_table, write_json
from edge_agent.gate import GateConfig, QualityGate
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.outbox import NewReading, Outbox
from edge_agent.predict import estimate_frame
from pm25.preprocess import Roi
from pm25.scene import Conditions, make_scene, render

BASELINE = Path(__file__).resolve().parent.parent / "models" / "manifest.json"
ROI = Roi(x=0.0, y=0.1, w=1.0, h=0.6)
FRAMES = 8
REPEATS = 300
GOAL_MEDIAN_MS = 5.0


def frames() -> list[np.ndarray]:
    scene = make_scene(3, 1280, 720)
    when = datetime(2024, 6, 15, 11, tzinfo=UTC)
    return [render(scene, Conditions(pm25_ugm3=60.0, when=when), seed) for seed in range(FRAMES)]


def model_path(workdir: Path) -> tuple[Path, str]:
    if BASELINE.exists():
        return BASELINE, "baseline release (models/manifest.json)"
    from tests.edge_agent.model_factory import build_fixture_model

    path = build_fixture_model(workdir / "fixture")
    return path, "FIXTURE model (no baseline in models/ yet): pool+linear, a floor, not a CNN"


def measure(images: list[np.ndarray], estimator: Estimator, outbox: Outbox) -> dict[str, Any]:
    gate = QualityGate(GateConfig())
    stages: dict[str, list[float]] = {k: [] for k in ("gate", "preprocess", "inference")}
    totals, commits, rejected = [], [], 0
    for i in range(REPEATS + 20):
        start = time.perf_counter()
        r = estimate_frame(images[i % len(images)], ROI, gate, estimator)
        t_commit = time.perf_counter()
        if r.pm25 is not None and r.sd is not None and r.aqi is not None:
            outbox.append(NewReading(1_780_000_000 + i, r.pm25, r.sd, r.aqi, int(r.flags), 1))
        end = time.perf_counter()
        if i < 20:
            continue  # warm-up (and the gate learning its reference view)
        rejected += not r.accepted
        stages["gate"].append(r.timings.gate_ms)
        stages["preprocess"].append(r.timings.preprocess_ms)
        stages["inference"].append(r.timings.inference_ms)
        commits.append((end - t_commit) * 1e3)
        totals.append((end - start) * 1e3)
    out: dict[str, Any] = {f"{k}_median_ms": statistics.median(v) for k, v in stages.items()}
    out["outbox_commit_median_ms"] = statistics.median(commits)
    out["median_ms"] = statistics.median(totals)
    out["p95_ms"] = float(np.percentile(totals, 95))
    out["rejected"] = rejected
    return out


def run() -> dict[str, object]:
    """Measure fp32 and int8 pipelines in the same run; print a table; write the JSON."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            path, which = model_path(work)
            images = frames()
            results: dict[str, dict[str, Any]] = {}
            for role in ("fp32", "int8"):
                config = InferenceConfig(model=path, precision=role, threads=1)
                estimator = load_estimator(path, config, None)
                outbox = Outbox(work / f"outbox_{role}.db")
                try:
                    results[role] = measure(images, estimator, outbox)
                finally:
                    outbox.close()
    finally:
        cv2.setNumThreads(threads)
    rows = [
        [role, r["gate_median_ms"], r["preprocess_median_ms"], r["inference_median_ms"],
         r["outbox_commit_median_ms"], r["median_ms"], r["p95_ms"],
         r["median_ms"] / results["fp32"]["median_ms"]]
        for role, r in results.items()
    ]  # fmt: skip
    print_table(
        f"Edge pipeline per frame, 1280x720, 1 thread — {which}",
        ["model", "gate", "preproc", "infer", "commit", "median ms", "p95 ms", "vs fp32"],
        rows,
    )
    best = min(r["median_ms"] for r in results.values())
    print(
        f"goal: median <= {GOAL_MEDIAN_MS} ms -> {'met' if best <= GOAL_MEDIAN_MS else 'NOT met'}"
    )
    result: dict[str, object] = {
        "frame": "1280x720",
        "threads": 1,
        "repeats": REPEATS,
        "model": which,
        "includes": "gate + preprocess + inference + outbox commit",
        "results": results,
        "goal_median_ms": GOAL_MEDIAN_MS,
    }
    write_json("edge_pipeline", result)
    return result


if __name__ == "__main__":
    run()
