"""``edge-agent status``: the local outbox at a glance (read-only, safe while the agent runs)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.config import load_config
from edge_agent.errors import ConfigError
from edge_agent.outbox import OutboxStats, read_status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", type=Path, metavar="FILE", help="Agent config (its data_dir).")
    where.add_argument("--data-dir", type=Path, metavar="DIR", help="The agent's data directory.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")


def run(args: argparse.Namespace) -> int:
    try:
        data_dir = args.data_dir or load_config(args.config).data_dir
    except ConfigError as e:
        print(f"edge-agent: {e}", file=sys.stderr)
        return 2
    try:
        stats = read_status(data_dir / "outbox.db")
    except (FileNotFoundError, sqlite3.Error) as e:
        print(f"edge-agent: cannot read the outbox in {data_dir}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(_as_json(stats)) if args.json else render(stats, time.time()))
    return 0


def _as_json(stats: OutboxStats) -> dict[str, object]:
    data = asdict(stats)
    data["seq_high_water"] = stats.next_seq - 1
    return data


def render(stats: OutboxStats, now: float) -> str:
    def when(t: int | None) -> str:
        if t is None:
            return "never"
        stamp = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{stamp} ({max(0, int(now - t))} s ago)"

    return "\n".join(
        [
            f"unsent readings:   {stats.depth}",
            f"oldest unsent:     {when(stats.oldest_unsent_t) if stats.depth else '-'}",
            f"aggregates + gaps: {stats.extras}",
            f"last sync:         {when(stats.last_sync_t)}",
            f"seq high-water:    {stats.next_seq - 1}",
            f"outbox size:       {stats.used_bytes} bytes",
        ]
    )
