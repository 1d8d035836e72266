"""``cloud-hub``: the hub's command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DESCRIPTION = """\
Runs the 2.5Vision Edge cloud hub.

Not yet available in this build: `serve` and `devices` arrive with the cloud hub (issue 5).
"""


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="cloud-hub",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    build_parser().print_help()
    return 2
