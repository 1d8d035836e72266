"""``cloud-hub dataset export``: the closed loop's CLI part (registered by ``cloud_hub.cli``)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cloud_hub.errors import ValidationFailed
from cloud_hub.settings import HubSettings


def _time(text: str) -> float:
    """Unix seconds, or ISO 8601 with a timezone."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not unix seconds or ISO 8601: {text!r}") from e
    if t.tzinfo is None:
        raise argparse.ArgumentTypeError(f"time needs a timezone (e.g. Z): {text!r}")
    return t.timestamp()


def add_parser(sub: Any) -> None:
    dataset = sub.add_parser("dataset", help="training datasets from field samples")
    dsub = dataset.add_subparsers(dest="action", required=True)
    ex = dsub.add_parser(
        "export", help="write joined samples in the docs/datasets.md format + manifest.json"
    )
    ex.add_argument("--out", type=Path, required=True, help="folder to create (absent or empty)")
    ex.add_argument("--since", type=_time, help="captured at or after (unix s or ISO 8601)")
    ex.add_argument("--until", type=_time, help="captured before (unix s or ISO 8601)")
    ex.add_argument("--devices", default="", help="comma-separated device ids")
    ex.add_argument("--zone", default=None, help="only devices of this zone")


def run(s: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.loop.export import ExportFilter, export  # noqa: PLC0415
    from cloud_hub.loop.job import open_store  # noqa: PLC0415
    from cloud_hub.registry import Registry  # noqa: PLC0415

    devices = tuple(d for d in args.devices.split(",") if d)
    if devices and args.zone:
        raise ValidationFailed("give --devices or --zone, not both")
    registry = Registry.open(s.registry_url)
    try:
        f = ExportFilter(args.since, args.until, devices, args.zone)
        manifest = export(
            registry, open_store(s.loop, s.data_dir), args.out, f, s.loop.labels.tolerance_s
        )
    finally:
        registry.close()
    print(json.dumps({"out": str(args.out), **manifest["counts"]}))
    return 0
