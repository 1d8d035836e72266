"""How fast is `pm25.preprocess` on a 720p frame, against a naive version measured in the same run?

Naive = what one writes first: a one-step INTER_AREA resize of the 720p ROI and numpy reductions
(np.min over channels, np.percentile, ndarray.std). Both run on one thread
(cv2.setNumThreads(1)), as on a Raspberry Pi core that also captures and infers.
Run: ``python -m bench.preprocess_speed``; writes bench/results/preprocess_speed.json.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from bench.report import print_table, write_json
from pm25.preprocess import DEFAULT_SPEC, PreprocessSpec, Roi, preprocess

ROI = Roi(x=0.0, y=0.1, w=1.0, h=0.75)  # a typical roadside ROI: drop the sky top and the hood
REPEATS = 300
TARGET_MEDIAN_MS = 2.0


def scene(height: int = 720, width: int = 1280) -> np.ndarray:
    """A deterministic textured frame (content does not change the work done)."""
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 256, (height // 16, width // 16, 3), dtype=np.uint8)
    return cv2.resize(blocks, (width, height), interpolation=cv2.INTER_LINEAR)


def naive(frame: np.ndarray, roi: Roi, spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """One-step INTER_AREA and numpy reductions: the baseline `preprocess` is measured against."""
    x0, y0, x1, y1 = roi.to_pixels(frame.shape[1], frame.shape[0])
    small = cv2.resize(frame[y0:y1, x0:x1], (spec.width, spec.height), interpolation=cv2.INTER_AREA)
    rgb = small[..., ::-1].astype(np.float32) / 255.0
    image = ((rgb - np.array(spec.mean)) / np.array(spec.std)).transpose(2, 0, 1)[None]
    dark = cv2.erode(small.min(axis=2), np.ones((5, 5), np.uint8)).astype(np.float64)
    gray = small.astype(np.float64) @ np.array([0.114, 0.587, 0.299])
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    third = spec.height // 3
    feats = [
        dark.mean(), *np.percentile(dark, [10, 50, 90]), gray.std() / gray.mean(),
        hsv[..., 1].mean() / 255, np.var(cv2.Laplacian(gray, cv2.CV_64F)),
        gray[:third].std() / gray[:third].mean(), gray[-third:].std() / gray[-third:].mean(),
    ]  # fmt: skip
    return image.astype(np.float32), np.array(feats, dtype=np.float32)


def timings_ms(fn: Callable[[], object], repeats: int = REPEATS) -> list[float]:
    """Per-call wall times in ms, after a few warm-up calls."""
    for _ in range(10):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    """Median and 95th percentile of a list of times."""
    return {"median_ms": statistics.median(ms), "p95_ms": float(np.percentile(ms, 95))}


def run() -> dict[str, object]:
    """Measure preprocess vs naive on one 1280×720 frame; print a table; write the JSON."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        frame, spec = scene(), DEFAULT_SPEC
        fast = summary(timings_ms(lambda: preprocess(frame, ROI, spec)))
        slow = summary(timings_ms(lambda: naive(frame, ROI, spec)))
        x0, y0, x1, y1 = ROI.to_pixels(frame.shape[1], frame.shape[0])
        crop, size = frame[y0:y1, x0:x1], (spec.width, spec.height)
        two_step = summary(timings_ms(lambda: cv2.resize(
            cv2.resize(crop, (2 * size[0], 2 * size[1]), interpolation=cv2.INTER_NEAREST),
            size, interpolation=cv2.INTER_AREA)))  # fmt: skip
        one_step = summary(timings_ms(lambda: cv2.resize(crop, size, interpolation=cv2.INTER_AREA)))
    finally:
        cv2.setNumThreads(threads)
    result: dict[str, object] = {
        "frame": "1280x720",
        "input": f"{spec.width}x{spec.height}",
        "threads": 1,
        "repeats": REPEATS,
        "preprocess": fast,
        "naive": slow,
        "speedup_median": slow["median_ms"] / fast["median_ms"],
        "resize_two_step": two_step,
        "resize_one_step_area": one_step,
        "target_median_ms": TARGET_MEDIAN_MS,
        "meets_target": fast["median_ms"] <= TARGET_MEDIAN_MS,
    }
    rows = [
        ("preprocess (two-step resize, OpenCV reductions)", fast["median_ms"], fast["p95_ms"]),
        ("naive (one-step INTER_AREA, numpy)", slow["median_ms"], slow["p95_ms"]),
        ("resize only: nearest→2x, then area", two_step["median_ms"], two_step["p95_ms"]),
        ("resize only: one-step INTER_AREA", one_step["median_ms"], one_step["p95_ms"]),
    ]
    print_table("preprocess on 1280x720, one thread", ["what", "median ms", "p95 ms"], rows)
    print(f"speed-up (median): {result['speedup_median']:.1f}x; target ≤ {TARGET_MEDIAN_MS} ms")
    write_json("preprocess_speed", result)
    return result


if __name__ == "__main__":
    run()
