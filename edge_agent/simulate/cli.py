"""``edge-agent simulate``: arguments, credentials, run until the duration or SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

from pydantic import ValidationError

from edge_agent.errors import ConfigError
from edge_agent.simulate.config import Credentials, SimConfig
from edge_agent.simulate.fleet import Fleet

DESCRIPTION = """\
Run N simulated camera units in one process against a broker: real MQTT connections (client id =
device id = broker user, persistent session, retained status with last will), a real SQLite outbox
per device, the agent's own batching, sync, heartbeats and command acks. Protocol-faithful, not
image-faithful: readings come from a per-device pollution series plus model-like noise, without
frames or a model. Prints a JSON report at the end; exits 1 if readings were left unsent.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = DESCRIPTION
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--devices", type=int, required=True, help="Number of simulated units.")
    p.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT of the MQTT broker.")
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--credentials-file",
        type=Path,
        help="Lines 'device_id:password'; the first N devices are simulated.",
    )
    who.add_argument(
        "--username-prefix",
        default="sim-",
        help="Device ids (= broker users) are PREFIX0000, PREFIX0001, ... (default sim-).",
    )
    p.add_argument(
        "--password-file", type=Path, help="Shared password of the numbered devices (file)."
    )
    p.add_argument("--duration", type=float, help="Seconds to produce readings (default: forever).")
    p.add_argument("--interval", type=float, default=10.0, help="Seconds between readings.")
    p.add_argument("--seed", type=int, default=0, help="Fleet seed.")
    p.add_argument("--batch", type=int, default=60, help="Readings per live batch.")
    p.add_argument("--batch-age", type=float, default=600.0, help="Max age of a batch, seconds.")
    p.add_argument("--heartbeat", type=float, default=3600.0, help="Seconds between heartbeats.")
    p.add_argument("--threads", type=int, default=2, help="Driver threads for all clients.")
    p.add_argument("--data-dir", type=Path, help="Outboxes live here (default: a temp dir).")


def run(args: argparse.Namespace) -> int:
    try:
        config, credentials = _settings(args)
    except (ConfigError, ValidationError) as e:
        print(f"edge-agent simulate: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="pm25-fleet-") as tmp:
        fleet = Fleet(config, credentials, args.data_dir or Path(tmp))
        report = fleet.run(stop)
    print(json.dumps(report.as_dict()))
    if report.unsent:
        print(f"edge-agent simulate: {report.unsent} readings left unsent", file=sys.stderr)
        return 1
    return 0


def _settings(args: argparse.Namespace) -> tuple[SimConfig, Credentials]:
    host, sep, port = str(args.broker).rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"--broker must be HOST:PORT, got {args.broker!r}")
    config = SimConfig(
        host=host,
        port=int(port),
        interval_s=args.interval,
        duration_s=args.duration,
        seed=args.seed,
        batch=args.batch,
        batch_age_s=args.batch_age,
        heartbeat_s=args.heartbeat,
        threads=args.threads,
    )
    if args.credentials_file is not None:
        return config, Credentials.from_file(args.credentials_file, args.devices)
    if args.password_file is None:
        raise ConfigError("give --credentials-file, or --password-file for numbered devices")
    try:
        password = args.password_file.read_text().strip()
    except OSError as e:
        raise ConfigError(f"cannot read password file {args.password_file}: {e}") from e
    return config, Credentials.numbered(args.username_prefix, args.devices, password)
