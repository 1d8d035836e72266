"""`make demo` renders simulated frames whose truth follows the physics."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from scripts.demo import main


def test_demo_writes_frames_with_truth(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    records = json.loads((tmp_path / "frames.json").read_text())
    assert len(records) == 18
    for r in records:
        image = cv2.imread(r["path"])
        assert image is not None and image.shape == (720, 1280, 3)
    sheet = cv2.imread(str(tmp_path / "contact_sheet.jpg"))
    assert sheet is not None and sheet.shape == (3 * 180, 6 * 320, 3)
    # Per camera, more PM means shorter visibility and a higher AQI.
    for seed in {r["camera_seed"] for r in records}:
        mine = sorted((r for r in records if r["camera_seed"] == seed), key=lambda r: r["pm25"])
        vis = [r["visibility_m"] for r in mine]
        assert vis == sorted(vis, reverse=True)
        assert [r["aqi"] for r in mine] == sorted(r["aqi"] for r in mine)
