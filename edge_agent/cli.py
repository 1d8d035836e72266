"""``edge-agent``: the camera unit's command line; a thin dispatcher, one function per command."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from edge_agent import cli_check, cli_predict, cli_run, cli_status
from edge_agent.simulate import cli as cli_simulate

DESCRIPTION = """\
Runs a 2.5Vision Edge camera unit (and, for load tests, a simulated fleet).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-agent",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="Log at INFO level.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_predict.add_arguments(
        commands.add_parser(
            "predict",
            help="PM2.5 of image files, one JSON object per line.",
            description="Estimate PM2.5 from image files with a model release; prints one JSON "
            "object per image (path, pm25 µg/m³, sd, aqi, category, flags, model, backend).",
        )
    )
    cli_check.add_arguments(
        commands.add_parser(
            "check",
            help="Probe camera, model and broker; exit 0 only if all work.",
            description="Probe the configured camera (one frame + gate verdict), model (hashes, "
            "warm-up, golden self-test) and broker (MQTT CONNECT with the unit's credentials).",
        )
    )
    cli_run.add_arguments(
        commands.add_parser(
            "run",
            help="Run the camera unit (capture, estimate, outbox, uplink) until SIGTERM.",
            description="Run the camera unit with a YAML config; every field can be overridden "
            "by EDGE_AGENT_<FIELD> (nesting with __, e.g. EDGE_AGENT_MQTT__PORT=1884). An "
            "invalid config exits with code 2 and names the field.",
        )
    )
    cli_status.add_arguments(
        commands.add_parser(
            "status",
            help="Outbox depth, oldest unsent, last sync, seq high-water mark.",
            description="Read the local outbox (read-only; works while the agent runs).",
        )
    )
    cli_simulate.add_arguments(
        commands.add_parser(
            "simulate", help="Run N protocol-faithful simulated units in one process."
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "predict":
        return predict(args)
    if args.command == "check":
        return check(args)
    if args.command == "run":
        return cli_run.run(args)
    if args.command == "status":
        return cli_status.run(args)
    if args.command == "simulate":
        return cli_simulate.run(args)
    parser.print_help()
    return 2


def predict(args: argparse.Namespace) -> int:
    return cli_predict.run(args)


def check(args: argparse.Namespace) -> int:
    return cli_check.run(args)
