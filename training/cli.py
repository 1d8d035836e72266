"""``pm25-train``: datasets, training, evaluation, export and release."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DESCRIPTION = """\
Trains and releases 2.5Vision Edge PM2.5 models.

Not yet available in this build: `dataset`, `train`, `evaluate`, `export`, `pipeline`
arrive with the training issue (issue 4), `release` with signed OTA (issue 6).
"""


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="pm25-train",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    build_parser().print_help()
    return 2
