"""``make demo --frames-only``: the scene simulator on its own, as a contact sheet.

Three simulated roadside cameras, each with its own fixed scene, rendered at PM2.5 levels from
clean air to hazardous, written as JPEG frames with their true PM2.5, visibility and AQI.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from pm25.aqi import aqi, category
from pm25.scene import Conditions, make_scene, render_with_truth

PM_LEVELS = (3.0, 12.0, 35.0, 80.0, 150.0, 300.0)
CAMERAS = (1, 3, 7)  # two open views with far hills, one urban canyon
NOON = datetime(2026, 11, 30, 12, 0)


def render_frames(
    out_dir: Path, cameras: Sequence[int], levels: Sequence[float]
) -> list[dict[str, object]]:
    """Render every camera at every PM level; write JPEGs and return one record per frame."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, object]] = []
    for camera_seed in cameras:
        scene = make_scene(camera_seed)
        for pm in levels:
            frame = render_with_truth(scene, Conditions(pm25_ugm3=pm, rh=0.6, when=NOON), seed=1)
            path = out_dir / f"camera{camera_seed:02d}_pm{pm:05.1f}.jpg"
            cv2.imwrite(str(path), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            records.append(
                {
                    "path": str(path),
                    "camera_seed": camera_seed,
                    "scene": scene.kind,
                    "farthest_surface_m": round(scene.farthest_surface_m),
                    "pm25": pm,
                    "rh": 0.6,
                    "visibility_m": round(frame.visibility_m),
                    "aqi": aqi(pm),
                    "aqi_category": category(pm).label,
                }
            )
    return records


def contact_sheet(records: Sequence[dict[str, object]], columns: int) -> np.ndarray:
    """One image: a row per camera, a column per PM level, each tile labelled with its truth."""
    tiles = []
    for r in records:
        image = cv2.imread(str(r["path"]))
        if image is None:
            raise FileNotFoundError(f"demo frame {r['path']} vanished before the contact sheet")
        tile = cv2.resize(image, (320, 180), interpolation=cv2.INTER_AREA)
        label = f"PM2.5 {r['pm25']}  V {int(str(r['visibility_m'])) / 1000:.1f} km"
        cv2.putText(tile, label, (6, 170), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3)
        cv2.putText(tile, label, (6, 170), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        tiles.append(tile)
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)


def write_frames(out: Path) -> int:
    """Render, write frames.json and contact_sheet.jpg into ``out``, print the table."""
    records = render_frames(out, CAMERAS, PM_LEVELS)
    (out / "frames.json").write_text(json.dumps(records, indent=2) + "\n")
    sheet = contact_sheet(records, columns=len(PM_LEVELS))
    cv2.imwrite(str(out / "contact_sheet.jpg"), sheet)
    print(f"{'frame':<42} {'scene':<7} {'PM2.5':>6} {'visib. m':>9} {'AQI':>4}  category")
    for r in records:
        name = Path(str(r["path"])).name
        print(
            f"{name:<42} {r['scene']!s:<7} {r['pm25']:>6} {r['visibility_m']:>9} "
            f"{r['aqi']:>4}  {r['aqi_category']}"
        )
    print(
        f"\nWrote {len(records)} simulated frames, frames.json and contact_sheet.jpg to {out}/ "
        "(the simulator's ground truth)."
    )
    return 0
