"""``make demo`` / ``python -m demo``: arguments, then the stack in flow order until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from demo.errors import DemoError

DESCRIPTION = """\
Run the whole system on this machine: Mosquitto (auth + ACL) -> hub (cloud-hub serve, SQLite
registry and series, ingest on) <- N camera units (edge-agent run, provisioned by the hub, each
its own street and pollution pattern, daylight synthetic clock) and one reference monitor next to
the first unit. Prints the API/console URL and an admin login, then a status line every 15 s.
Ctrl-C stops everything it started. docs/demo.md explains what you see.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="make demo",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--devices", type=int, default=4, help="camera units (1-8, default 4)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between captures")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument(
        "--run-dir",
        type=Path,
        default=Path("data/demo-run"),
        help="broker, hub and unit files; emptied at start (default data/demo-run)",
    )
    p.add_argument("--http-port", type=int, default=8000, help="hub port (0: any free port)")
    p.add_argument("--broker-port", type=int, default=0, help="Mosquitto port (0: any free port)")
    p.add_argument(
        "--monitor-interval",
        type=float,
        default=60.0,
        help="seconds between reference monitor readings",
    )
    p.add_argument(
        "--frames-only",
        action="store_true",
        help="only render the simulator's contact sheet into --out and exit",
    )
    p.add_argument("--out", type=Path, default=Path("demo-output"), help="--frames-only folder")
    p.add_argument(
        "--ota",
        action="store_true",
        help="the OTA story: keys, signed release v2 (the baseline re-released), a staged rollout "
        "over the hub API, the units update (make demo-ota; docs/demo.md)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.frames_only:
        from demo.frames import write_frames  # noqa: PLC0415 - OpenCV only when asked

        return write_frames(args.out)
    if not 1 <= args.devices <= 8:
        print("make demo: --devices must be 1..8", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")
    from demo.stack import Stack  # noqa: PLC0415

    stack = Stack(args)
    if args.ota:
        from demo.ota_rollout import install  # noqa: PLC0415

        install(stack)
    try:
        return stack.run()
    except DemoError as e:
        print(f"make demo: {e}", file=sys.stderr)
        return 1
