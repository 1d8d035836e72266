"""Write (or check) one JSON Schema file per wire message into ``docs/schemas/``.

``python -m pm25.schemas`` rewrites the files; ``python -m pm25.schemas --check`` writes nothing and
exits 1 listing the files that are missing or differ from what the models produce, so CI (and
``tests/pm25/test_schemas.py``) catches a model change whose schema was not committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from pydantic import TypeAdapter

from pm25.wire import (
    AlertNotice,
    Command,
    CommandAck,
    DesiredUpdate,
    Heartbeat,
    ReadingBatch,
    Sample,
    Status,
)

__all__ = ["DEFAULT_DIR", "MESSAGES", "main", "render", "schema", "stale"]

DEFAULT_DIR: Final = Path(__file__).resolve().parent.parent / "docs" / "schemas"
_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

# File stem -> the type a payload of that message validates as.
MESSAGES: Final[dict[str, Any]] = {
    "readings": ReadingBatch,
    "heartbeat": Heartbeat,
    "status": Status,
    "command": Command,
    "ack": CommandAck,
    "sample": Sample,
    "alert": AlertNotice,
    "desired": DesiredUpdate,
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of message ``name`` (a key of :data:`MESSAGES`), as a dict."""
    body = TypeAdapter(MESSAGES[name]).json_schema(mode="validation")
    body.setdefault("title", name)
    return {"$schema": _DIALECT, "$id": f"{name}.schema.json", **body}


def render(name: str) -> str:
    """The exact file content for message ``name``: stable key order, trailing newline."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def stale(directory: Path = DEFAULT_DIR) -> list[Path]:
    """Schema files in ``directory`` that are missing or differ from the models."""
    out = []
    for name in MESSAGES:
        path = directory / f"{name}.schema.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != render(name):
            out.append(path)
    return out


def write(directory: Path = DEFAULT_DIR) -> list[Path]:
    """Write every schema file into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in MESSAGES:
        path = directory / f"{name}.schema.json"
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m pm25.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="schema directory")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale(args.dir)
        for path in bad:
            print(f"stale: {path}", file=sys.stderr)
        if bad:
            print("run `python -m pm25.schemas` and commit the result", file=sys.stderr)
        return 1 if bad else 0
    for path in write(args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
