"""``edge-agent``: the camera unit's command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DESCRIPTION = """\
Runs a 2.5Vision Edge camera unit.

Not yet available in this build: `run`, `predict`, `check`, `status` and `simulate`
arrive with the edge agent (issue 3) and the fleet simulator (issue 8).
"""


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="edge-agent",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    build_parser().print_help()
    return 2
