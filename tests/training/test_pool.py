"""Render/preprocess workers are spawned: a forked child can inherit a lock held by one of the
parent's ONNX Runtime or torch threads and wait on it forever (`pm25-train retrain` hung so)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from training.pool import process_pool


def _loaded(module: str) -> bool:
    return module in sys.modules


def test_workers_start_clean_not_forked() -> None:
    import onnxruntime  # noqa: F401  (the parent has it loaded, as a retrain has)

    with process_pool(2) as pool:
        # A forked child would have the parent's modules; a spawned one imports only this file.
        assert list(pool.map(_loaded, ["onnxruntime", "onnxruntime"])) == [False, False]


def test_rendering_in_workers_after_an_inference_session(tmp_path: Path) -> None:
    import numpy as np
    import onnxruntime as ort

    from training.config import SynthConfig
    from training.synth import render_dataset

    models = Path(__file__).resolve().parents[2] / "models"
    sess = ort.InferenceSession(str(models / "model-int8.onnx"), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.zeros([1, *i.shape[1:]], np.float32) for i in sess.get_inputs()}
    sess.run(None, feeds)  # its thread pools have run in this process now
    cfg = SynthConfig(seed=3, cameras=3, frames_per_camera=1, width=160, height=96, workers=2)
    summary = render_dataset(cfg, tmp_path / "data")
    assert (summary.cameras, summary.frames) == (3, 3)
    assert sorted(p.parent.parent.name for p in (tmp_path / "data").glob("*/frames/*.jpg")) == [
        "sim-000",
        "sim-001",
        "sim-002",
    ]


def test_code_without_a_main_file_works_serially(tmp_path: Path) -> None:
    """A script piped to python (no __main__ file to re-import) renders in-process."""
    code = (
        "from pathlib import Path; from training.config import SynthConfig; "
        "from training.synth import render_dataset; "
        "cfg = SynthConfig(seed=3, cameras=3, frames_per_camera=1, width=160, height=96, "
        "workers=2); "
        f"print(render_dataset(cfg, Path({str(tmp_path / 'data')!r})).frames)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-"],
        check=False,
        input=code,
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"
