"""``pm25-train retrain``: arguments and the call into `training.retrain.job`.

`add_parser` adds the subcommand to pm25-train's parser; `run` returns the JSON summary.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
HELP = "champion/challenger: train on field + sim data, compare, promote, canary rollout"
UPLOAD_HELP = "send a retrain report folder (WORK/retrain-report) to the hub"
COMMANDS = ("retrain", "upload-report")


def _hub_options(p: Any) -> None:
    p.add_argument("--hub-url", default=os.environ.get("PM25_HUB_URL"),
                   help="hub base URL for the report and the rollout (default $PM25_HUB_URL); "
                        "none: write the rollout request JSON instead")  # fmt: skip
    p.add_argument("--hub-token", default=os.environ.get("PM25_HUB_TOKEN"),
                   help="operator token (default $PM25_HUB_TOKEN)")  # fmt: skip


def add_parser(sub: Any) -> None:
    p = sub.add_parser("retrain", help=HELP, description=HELP + " (docs/retraining.md)")
    p.add_argument("--champion", type=Path, default=Path("models"),
                   help="release folder of the current model (manifest.json + ONNX)")  # fmt: skip
    p.add_argument("--real", type=Path, required=True,
                   help="field dataset, real-data format (hub export)")  # fmt: skip
    p.add_argument("--config", type=Path,
                   help="default: retrain-full.yaml (GPU) or retrain-small.yaml")  # fmt: skip
    p.add_argument("--work", type=Path, default=Path("data/train/retrain"))
    p.add_argument("--trigger", default="manual",
                   help="why: weekly, drift:<device>, manual… (report + MLflow)")  # fmt: skip
    p.add_argument("--init", type=Path,
                   help="warm-start weights (default: model.pt by the champion)")  # fmt: skip
    p.add_argument("--scratch", action="store_true", help="ignore warm-start weights")
    p.add_argument("--repo", type=Path, help="hub's update repository directory (signing)")
    p.add_argument("--targets-key", type=Path, help="targets key file (PM25_KEY_PASSPHRASE)")
    _hub_options(p)
    p.add_argument("--install-champion", action="store_true",
                   help="after signing: promoted release + weights → --champion")  # fmt: skip
    p.add_argument("--report-url", help="URL of the report for the model card (default: path)")
    p.add_argument("--no-mlflow", action="store_true", help="do not log/register in MLflow")
    p.add_argument("--tracking-uri", help="MLflow URI (default as `pipeline --mlflow`)")
    p.add_argument("--lenient", action="store_true", help="count bad field rows/frames, go on")
    u = sub.add_parser("upload-report", help=UPLOAD_HELP, description=UPLOAD_HELP)
    u.add_argument("report", type=Path, help="the report folder (report.md, decision.json, PNGs)")
    _hub_options(u)


def default_config() -> Path:
    import torch  # noqa: PLC0415

    return CONFIGS / ("retrain-full.yaml" if torch.cuda.is_available() else "retrain-small.yaml")


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the loop once; the summary says whether the challenger was promoted and where
    the report, release and rollout are."""
    from training.errors import TrainingError  # noqa: PLC0415
    from training.retrain.config import load_retrain_config  # noqa: PLC0415
    from training.retrain.handover import Promotion  # noqa: PLC0415
    from training.retrain.job import retrain  # noqa: PLC0415
    from training.retrain.publish import HubTarget  # noqa: PLC0415
    from training.retrain.warm import find_weights  # noqa: PLC0415

    if args.hub_url and not args.hub_token:
        raise TrainingError("--hub-url needs an operator token (--hub-token or $PM25_HUB_TOKEN)")
    if args.command == "upload-report":
        return upload(args)
    if (args.repo is None) != (args.targets_key is None):
        raise TrainingError("--repo and --targets-key go together (signing needs both)")
    cfg = load_retrain_config(args.config or default_config())
    hub = HubTarget(args.hub_url, args.hub_token) if args.hub_url else None
    promotion = Promotion(repo=args.repo, targets_key=args.targets_key, hub=hub,
                          report_url=args.report_url, tracking_uri=args.tracking_uri,
                          mlflow=not args.no_mlflow, install=args.install_champion)  # fmt: skip
    warm = None if args.scratch else find_weights(args.champion, args.init)
    out = retrain(cfg, args.champion, args.real, args.work, trigger=args.trigger,
                  promotion=promotion, strict=not args.lenient, warm_start=warm)  # fmt: skip
    # The facts first: their "rollout" line is text (kept as rollout_note), the hub's answer wins.
    return {**out.facts, "rollout_note": out.facts.get("rollout"),
            "promoted": out.promoted, "reasons": out.decision.reasons, "report": str(out.report),
            "report_id": out.report_id, "release_dir": str(out.challenger),
            "rollout": out.rollout, "rollout_request": out.rollout_request}  # fmt: skip


def upload(args: argparse.Namespace) -> dict[str, object]:
    """`pm25-train upload-report DIR`: what a run does when its upload fails, done again."""
    from training.errors import TrainingError  # noqa: PLC0415
    from training.retrain.publish import HubTarget  # noqa: PLC0415
    from training.retrain.upload import upload_report  # noqa: PLC0415

    if not args.hub_url:
        raise TrainingError("upload-report needs --hub-url (or $PM25_HUB_URL)")
    report_id = upload_report(args.report, HubTarget(args.hub_url, args.hub_token))
    return {"report_id": report_id, "hub": args.hub_url, "report": str(args.report)}
