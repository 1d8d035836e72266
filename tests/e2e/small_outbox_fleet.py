"""``edge-agent simulate`` with a 64 KiB outbox per device (the smallest the agent allows), so a
network cut of a minute fills it: compaction into aggregates, then ``outbox_full`` gaps.

The simulator gives every device the agent's default 64 MiB cap; this test driver swaps in the
cap at the simulator's one construction point and otherwise runs the command unchanged.
"""

from __future__ import annotations

import argparse
import functools
import sys

from edge_agent.outbox import Outbox
from edge_agent.simulate import cli, device

SMALL_BYTES = 64 * 1024

if __name__ == "__main__":
    small = functools.partial(Outbox, max_bytes=SMALL_BYTES, compaction_interval_s=10)
    device.Outbox = small  # type: ignore[assignment,attr-defined]
    parser = argparse.ArgumentParser(prog="small-outbox-fleet")
    cli.add_arguments(parser)
    sys.exit(cli.run(parser.parse_args()))
