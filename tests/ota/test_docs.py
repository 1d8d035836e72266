"""docs/ota.md: every command in its examples parses with the real argument parser."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from training.signing.cli import add_parsers

DOC = Path(__file__).resolve().parents[2] / "docs" / "ota.md"


def _commands() -> list[list[str]]:
    text = DOC.read_text().replace("\\\n", " ")
    lines = [ln.split("#")[0].strip() for ln in text.splitlines()]
    return [shlex.split(ln)[1:] for ln in lines if ln.startswith("pm25-train ")]


def test_every_documented_command_parses() -> None:
    parser = argparse.ArgumentParser(prog="pm25-train", exit_on_error=False)
    add_parsers(parser.add_subparsers(dest="command", required=True))
    commands = _commands()
    assert len(commands) >= 8
    seen = set()
    for argv in commands:
        args = parser.parse_args([a.replace("<", "").replace(">", "") for a in argv])
        seen.add((args.command, getattr(args, "keys_command", None)))
    assert seen == {("keys", "generate"), ("keys", "init"), ("release", None),
                    ("keys", "rotate"), ("keys", "revoke")}  # fmt: skip
