"""Bytes of closed-loop samples per device and month, from real crops of the dev camera.

Renders frames of the synthetic dev camera (``firmware_configs/dev.yaml``: 1280×720, default
ROI) at several times of day, crops them exactly as the agent answers ``capture_sample``
(``edge_agent.commands.make_sample``), and measures the wire payload (JSON with base64 JPEG).
Per month = schedule (every ``samples.every_s``, default 6 h: 120) + events, capped by the
default budget. Baseline for the ratio: the whole frame (no ROI, no downscale) as JPEG.

Run ``python -m bench.loop_samples``: prints a table, writes ``bench/results/loop_samples.json``.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import cv2

from bench.report import print_table, write_json
from cloud_hub.loop.samples import MONTH_S
from cloud_hub.loop.settings import SampleSettings
from edge_agent.capture.config import SyntheticSource
from edge_agent.capture.synthetic import SyntheticSourceCamera
from edge_agent.commands import SampleFrame, make_sample
from edge_agent.config import load_config
from pm25.wire import Roi, encode

DEV: Final = Path(__file__).resolve().parents[1] / "firmware_configs" / "dev.yaml"
HOURS: Final = (7, 10, 13, 16)


def _fixed(ts: float) -> Callable[[], float]:
    return lambda: ts


def run() -> dict[str, object]:
    os.environ.setdefault("EDGE_AGENT_DEVICE_ID", "bench-cam")
    cfg = load_config(DEV)
    s = SampleSettings()
    sizes, frames = [], []
    day = datetime(2026, 3, 10, tzinfo=UTC)
    for i, hour in enumerate(HOURS):
        t = day + timedelta(hours=hour)
        assert isinstance(cfg.capture.source, SyntheticSource)
        cam = SyntheticSourceCamera(cfg.capture.source, clock=_fixed(t.timestamp()))
        frame = cam.read()
        h, w = frame.image.shape[:2]
        x, y, rw, rh = cfg.capture.roi.to_pixels(w, h)
        sf = SampleFrame(frame.image, int(t.timestamp()), Roi(x=x, y=y, w=rw, h=rh))
        sizes.append(len(encode(make_sample(f"c{i}", sf, s.max_side))))
        frames.append(len(cv2.imencode(".jpg", frame.image)[1]))
    per_sample = statistics.fmean(sizes)
    scheduled = MONTH_S / s.every_s
    result: dict[str, object] = {
        "sample_bytes_mean": round(per_sample),
        "full_frame_jpeg_bytes_mean": round(statistics.fmean(frames)),
        "ratio_sample_to_full_frame": round(per_sample / statistics.fmean(frames), 3),
        "scheduled_per_month": round(scheduled),
        "scheduled_bytes_per_month": round(scheduled * per_sample),
        "budget_bytes_per_month": s.budget_bytes_month,
        "max_samples_per_month_in_budget": s.budget_bytes_month // round(per_sample),
    }
    print_table("closed-loop samples per device", ["measure", "value"], list(result.items()))
    write_json("loop_samples", result)
    return result


if __name__ == "__main__":
    run()
