"""Inference latency of the shipped baseline on one thread: FP32 vs INT8 (ONNX Runtime).

Both artifacts of models/ run the same golden inputs, batch 1, one intra-op thread (a Raspberry Pi
core that also captures and preprocesses); FP32 is the baseline measured in the same run.
Run: ``python -m bench.train_model``; writes bench/results/train_model.json.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bench.report import print_table, write_json
from pm25.manifest import load_manifest

MODELS = Path(__file__).resolve().parents[1] / "models"
REPEATS = 300
TARGET_INT8_MS = 3.0


def _session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run() -> dict[str, object]:
    manifest = load_manifest(MODELS / "manifest.json")
    golden = manifest.golden[0]
    features = golden.features_array()
    assert features is not None and golden.humidity is not None
    feed = {
        "image": golden.image_array(manifest.inputs.image),
        "features": features[None],
        "humidity": np.array([[golden.humidity]], np.float32),
    }
    out: dict[str, object] = {"repeats": REPEATS}
    for art in manifest.artifacts:
        sess = _session(MODELS / art.filename)
        for _ in range(30):
            sess.run(None, feed)
        times = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            sess.run(None, feed)
            times.append((time.perf_counter() - t) * 1000.0)
        times.sort()
        out[f"{art.role}_median_ms"] = statistics.median(times)
        out[f"{art.role}_p90_ms"] = times[int(0.9 * REPEATS)]
        out[f"{art.role}_bytes"] = art.length
    fp32, int8 = float(out["fp32_median_ms"]), float(out["int8_median_ms"])  # type: ignore[arg-type]
    out["int8_speedup"] = fp32 / int8
    out["int8_within_target"] = int8 <= TARGET_INT8_MS
    rows = [
        [r, out[f"{r}_median_ms"], out[f"{r}_p90_ms"], out[f"{r}_bytes"]] for r in ("fp32", "int8")
    ]
    print_table(
        "baseline model latency, 1 thread", ["artifact", "median ms", "p90 ms", "bytes"], rows
    )
    print(f"INT8 speed-up vs FP32: {out['int8_speedup']:.2f}x (target INT8 <= {TARGET_INT8_MS} ms)")
    write_json("train_model", out)
    return out


if __name__ == "__main__":
    run()
