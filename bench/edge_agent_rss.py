"""Peak resident memory (VmHWM) of a real ``edge-agent run`` subprocess.

Two cameras: ``folder`` replays 720p JPEGs, as a real camera delivers frames (the production
figure); ``synthetic`` is the dev profile's scene simulator, which renders each frame in float
arrays and costs ~100 MB more (a laptop/demo cost, not a camera unit's).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import yaml

from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[1]


def vmhwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc status")


def _model(workdir: Path) -> Path:
    """The shipped baseline release, or (until it ships) the small real ONNX test release."""
    shipped = ROOT / "models" / "manifest.json"
    if shipped.exists():
        return shipped
    from tests.edge_agent.model_factory import build_fixture_model

    build_fixture_model(workdir / "model")
    return workdir / "model" / "manifest.json"


def _frames(folder: Path) -> Path:
    from tests.edge_agent.sim_frames import frame

    folder.mkdir(parents=True, exist_ok=True)
    for i, pm in enumerate((8.0, 20.0, 45.0, 90.0)):
        cv2.imwrite(str(folder / f"cam_20250601T08{i:02d}00Z.jpg"), frame(pm25=pm))
    return folder


def _config(workdir: Path, camera: str, port: int) -> Path:
    source: dict[str, object] = (
        {"kind": "folder", "path": str(_frames(workdir / "frames")), "loop": True}
        if camera == "folder"
        else {"kind": "synthetic", "speedup": 60}
    )
    config = {
        "device_id": "rss-cam",
        "data_dir": str(workdir / "data"),
        "mqtt": {"port": port, "password": "rss-pw"},
        "capture": {"source": source, "interval_s": 0.5},
        "gate": {"enabled": False},  # every frame goes through inference, day or night
        "inference": {"model": str(_model(workdir))},
        "uplink": {"max_count": 10, "max_age_s": 5},
    }
    path = workdir / f"{camera}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def measure_rss(workdir: Path, camera: str = "folder", seconds: float = 20.0) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    broker = MosquittoBroker(workdir=workdir / "broker", users={"rss-cam": "rss-pw"})
    broker.start()
    config = _config(workdir, camera, broker.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_AGENT_")}
    cmd = [sys.executable, "-m", "edge_agent", "run", "--config", str(config)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        time.sleep(seconds)
        if proc.poll() is not None:
            raise RuntimeError(f"edge-agent exited early with {proc.returncode}")
        peak = vmhwm_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        broker.stop()
    return {"seconds": seconds, "vmhwm_mb": peak / 1024}
