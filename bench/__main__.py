"""Run every benchmark: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench
from bench.report import write_json


def discover() -> list[str]:
    """Names of the benchmark modules (those exposing ``run``)."""
    names = []
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_") or info.name == "report":
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            names.append(info.name)
    return sorted(names)


def main(argv: list[str]) -> int:
    names = argv or discover()
    summary: dict[str, object] = {}
    for name in names:
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        summary[name] = module.run()
        print(f"[{name}: {time.perf_counter() - started:.1f} s]")
    path = write_json("all", summary)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
