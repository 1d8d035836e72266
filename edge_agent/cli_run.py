"""``edge-agent run --config FILE``: run the camera unit until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from edge_agent.agent import EdgeAgent
from edge_agent.config import load_config
from edge_agent.errors import ConfigError

EXIT_CONFIG = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        metavar="FILE",
        help="Agent YAML config (see firmware_configs/); EDGE_AGENT_<FIELD> env vars override.",
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"edge-agent: {e}", file=sys.stderr)
        return EXIT_CONFIG
    logging.getLogger().setLevel(config.logging.level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return EdgeAgent(config, args.config).run(stop)
