"""Upload a retrain report folder to the hub (`POST /api/v1/retrain-reports`).

Everything the hub files the report under comes from the folder's decision.json (its `run`
block and `promote`), so a folder whose upload failed can be sent later on its own
(`pm25-train upload-report DIR`) with the same result.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from training.retrain.publish import HubTarget, PublishError, post

REPORTS_PATH = "/api/v1/retrain-reports"
FILES = ("report.md", "decision.json", "bands.png", "devices.png")  # the hub takes these only
RUN_KEYS = ("model_name", "champion_version", "challenger_version", "trigger")


def upload_body(folder: Path) -> dict[str, Any]:
    """The request body: the run's identity and decision, and each file there, base64."""
    try:
        decision = json.loads((folder / "decision.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PublishError(f"{folder}: no readable decision.json: {e}") from e
    run = decision.get("run") if isinstance(decision, dict) else None
    if not isinstance(run, dict) or any(k not in run for k in RUN_KEYS):
        raise PublishError(f"{folder}/decision.json has no run block ({', '.join(RUN_KEYS)})")
    files = {
        name: base64.b64encode((folder / name).read_bytes()).decode("ascii")
        for name in FILES
        if (folder / name).is_file()
    }
    return {**{k: run[k] for k in RUN_KEYS}, "promoted": decision.get("promote"), "files": files}


def upload_report(folder: Path, hub: HubTarget) -> str:
    """Send the report; the id the hub gave it, or PublishError (the folder is left as it is)."""
    answer = post(hub, REPORTS_PATH, upload_body(folder), "report upload")
    return str(answer["id"])
