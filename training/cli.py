"""``pm25-train``: datasets, training, evaluation, export and the shipped baseline.

A thin dispatcher: each subcommand parses its arguments and calls one function of the package.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pm25.errors import Pm25Error
from training.retrain import cli as retrain_cli
from training.signing import cli as signing_cli

DESCRIPTION = """\
Trains and releases 2.5Vision Edge PM2.5 models.

  dataset synth   render a labelled synthetic dataset (real-data format)
  dataset real    validate a real dataset folder and join frames to reference readings
  train           train on a dataset folder (saves model.pt in the work folder)
  export          ONNX FP32 + INT8, the same evaluation on both, manifest and report
  evaluate        evaluate a release folder (manifest + ONNX files) on a dataset folder
  confounds       split a release's error into lighting, scene and sensor-noise parts
  pipeline        all steps: render → train → export/evaluate → (MLflow)
  baseline        regenerate the shipped models/ deterministically (training/configs/small.yaml)
  retrain         champion/challenger on field + sim data → signed release → canary rollout
  upload-report   send a retrain report folder to the hub (when the run's upload failed)
  keys            TUF keys: generate, init the update repository, rotate, revoke (docs/ota.md)
  release         sign a release folder (manifest.json + ONNX files) as TUF targets
"""
DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "small.yaml"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pm25-train",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    ds = sub.add_parser("dataset", help="dataset tools").add_subparsers(dest="kind", required=True)
    s = ds.add_parser("synth", help="render a synthetic dataset")
    s.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    s.add_argument("--out", type=Path, required=True)
    r = ds.add_parser("real", help="validate/join a real dataset folder")
    r.add_argument("--data", type=Path, required=True)
    r.add_argument("--tolerance-s", type=float, default=300.0)
    r.add_argument(
        "--lenient", action="store_true", help="count bad rows/frames instead of failing"
    )
    r.add_argument("--cache", type=Path, help="also write the preprocessed tensors (.npz)")
    helps = {
        "train": "train on a dataset folder; writes WORK/model.pt",
        "export": "ONNX FP32 + INT8 of WORK/model.pt, evaluation of both, manifest, report",
        "pipeline": "render (unless --data) → train → export/evaluate → optional MLflow",
    }
    for name, text in helps.items():
        c = sub.add_parser(name, help=text)
        c.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
        c.add_argument("--work", type=Path, default=Path("data/train/run"))
        c.add_argument(
            "--data", type=Path, help="dataset folder (default: render into WORK/dataset)"
        )
        if name == "pipeline":
            c.add_argument("--mlflow", action="store_true", help="log to MLflow and register")
            c.add_argument(
                "--tracking-uri",
                help="MLflow URI (default: $MLFLOW_TRACKING_URI or sqlite:///data/mlflow.db)",
            )
    e = sub.add_parser("evaluate", help="evaluate a release folder on a dataset folder")
    e.add_argument("--release", type=Path, default=Path("models"))
    e.add_argument("--data", type=Path, required=True)
    _add_confounds(sub)
    b = sub.add_parser("baseline", help="regenerate models/ (deterministic)")
    b.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    b.add_argument("--work", type=Path, default=Path("data/train/baseline"))
    b.add_argument("--out", type=Path, default=Path("models"))
    signing_cli.add_parsers(sub)
    retrain_cli.add_parser(sub)
    return p


def _add_confounds(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("confounds", help="controlled renders: lighting vs scene vs noise error")
    c.add_argument("--release", type=Path, default=Path("models"))
    c.add_argument("--scenes", type=int, default=40, help="unseen simulated cameras")
    c.add_argument("--lightings", type=int, default=6, help="day/hour/cloud draws per scene")
    c.add_argument("--pm", type=_floats, help="PM2.5 levels, comma-separated (10,35,75,150,240)")
    c.add_argument("--rh", type=float, default=0.5, help="relative humidity 0..1 of every frame")
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--workers", type=int, default=2)


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from e


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.command in signing_cli.COMMANDS:
        return signing_cli.run(args)
    try:
        out = _dispatch(args)
    except Pm25Error as e:  # TrainingError, and a release's ManifestError
        print(f"pm25-train: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=2, default=str))
    return 0


def _dispatch(args: argparse.Namespace) -> dict[str, object]:
    from training import commands, confounds  # noqa: PLC0415 (torch loads only when a command runs)

    if args.command == "dataset" and args.kind == "synth":
        return commands.synth(args.config, args.out)
    if args.command == "dataset":
        return commands.real(
            args.data, timedelta(seconds=args.tolerance_s), not args.lenient, args.cache
        )
    if args.command == "train":
        return commands.train_only(args.config, args.work, args.data)
    if args.command == "export":
        return commands.export_only(args.config, args.work, args.data)
    if args.command == "pipeline":
        return commands.pipeline(args.config, args.work, args.data, args.mlflow, args.tracking_uri)
    if args.command == "evaluate":
        return commands.evaluate_release(args.release, args.data)
    if args.command == "confounds":
        grid = confounds.Grid(
            seed=args.seed,
            scenes=args.scenes,
            pm_levels=args.pm or confounds.DEFAULT_PM,
            lightings=args.lightings,
            rh=args.rh,
        )
        return confounds.run(args.release, grid, args.workers)
    if args.command in retrain_cli.COMMANDS:
        return retrain_cli.run(args)
    return commands.baseline(args.config, args.work, args.out)
