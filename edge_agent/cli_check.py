"""``edge-agent check --config FILE``: what works on this unit, one line per probe."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from edge_agent.check_probes import probe_broker, probe_camera, probe_model
from edge_agent.config import load_config
from edge_agent.errors import EdgeAgentError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``check``."""
    parser.add_argument("--config", type=Path, required=True, help="Agent YAML config file.")
    parser.add_argument(
        "--skip",
        action="append",
        choices=("camera", "model", "broker"),
        default=[],
        help="Leave out a probe (repeatable); a skipped probe does not count as passed.",
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """0 only if every probe ran and passed."""
    out = out or sys.stdout
    try:
        config = load_config(args.config)
    except (EdgeAgentError, ValueError, OSError) as e:
        print(f"FAIL config  {e}", file=out)
        return 1
    print(f"ok   config  {args.config} (device {config.device_id})", file=out)
    probes: dict[str, Callable[[], tuple[bool, str]]] = {
        "camera": lambda: probe_camera(config.capture, config.gate),
        "model": lambda: probe_model(config.inference, config.data_dir),
        "broker": lambda: probe_broker(config.device_id, config.mqtt),
    }
    all_ok = True
    for name, probe in probes.items():
        if name in args.skip:
            print(f"skip {name:<7} (--skip)", file=out)
            all_ok = False
            continue
        ok, text = probe()
        all_ok = all_ok and ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:<7} {text}", file=out, flush=True)
    return 0 if all_ok else 1
