"""``edge-agent predict``: PM2.5 of image files, one JSON object per line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import cv2

from edge_agent.errors import ConfigError, EdgeAgentError, ModelLoadError
from edge_agent.gate import GateConfig, QualityGate
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator, load_estimator
from edge_agent.predict import estimate_frame
from pm25.errors import PreprocessError
from pm25.preprocess import Roi

# The baseline release the training issue ships with the repository.
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "manifest.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``predict``."""
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="Image files.")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"Model manifest or its folder (default: the baseline, {DEFAULT_MODEL}).",
    )
    parser.add_argument("--roi", type=parse_roi, default=None, help="x,y,w,h as frame fractions.")
    parser.add_argument(
        "--backend", choices=("auto", "onnxruntime", "openvino"), default="auto", help="Runtime."
    )
    parser.add_argument(
        "--no-gate", action="store_true", help="Estimate even frames the quality gate rejects."
    )


def parse_roi(text: str) -> Roi:
    """'x,y,w,h' → Roi; argparse reports a ValueError/TypeError as a usage error."""
    parts = text.split(",")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(f"--roi needs x,y,w,h, got {text!r}")
    try:
        x, y, w, h = (float(p) for p in parts)
        return Roi(x=x, y=y, w=w, h=h)
    except (ValueError, PreprocessError) as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """0 when every image gave a result, 1 if any could not be read, 2 if no model."""
    out, err = out or sys.stdout, err or sys.stderr
    model = args.model or DEFAULT_MODEL
    if args.model is None and not DEFAULT_MODEL.exists():
        print(
            f"edge-agent predict: no baseline model installed ({DEFAULT_MODEL} missing); "
            "pass --model MANIFEST or install a release into models/",
            file=err,
        )
        return 2
    config = InferenceConfig(model=model, backend=args.backend, precision="auto")
    try:
        estimator = load_estimator(model, config, data_dir=None)
    except (ModelLoadError, ConfigError) as e:
        print(f"edge-agent predict: {e}", file=err)
        return 2
    failed = False
    for path in args.images:
        line = predict_one(path, args.roi, estimator, gate=not args.no_gate)
        failed = failed or "error" in line
        print(json.dumps(line, ensure_ascii=False), file=out, flush=True)
    return 1 if failed else 0


def predict_one(path: Path, roi: Roi | None, estimator: Estimator, gate: bool) -> dict[str, Any]:
    """The JSON object for one image; {"path", "error"} when it cannot be read or used."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "no such file" if not path.exists() else "not a readable image"
        return {"path": str(path), "error": reason}
    # A fresh gate per image: files given together are not a video (no frozen/moved state).
    try:
        r = estimate_frame(image, roi, QualityGate(GateConfig()) if gate else None, estimator)
    except (PreprocessError, EdgeAgentError) as e:
        return {"path": str(path), "error": str(e)}
    return {
        "path": str(path),
        "pm25": None if r.pm25 is None else round(r.pm25, 2),
        "sd": None if r.sd is None else round(r.sd, 2),
        "aqi": r.aqi,
        "category": None if r.category is None else r.category.label,
        "accepted": r.accepted,
        "reject_reason": None if r.reject_reason is None else r.reject_reason.value,
        "flags": int(r.flags),
        "flag_names": [f.name for f in type(r.flags) if f and f in r.flags],
        "model": estimator.model_version,
        "artifact": estimator.role,
        "backend": estimator.backend.name,
        "latency_ms": round(r.timings.total_ms, 3),
    }
