"""Worker processes for rendering and preprocessing, started by *spawn*, never by fork.

A forked child inherits the parent's locks but not the threads holding them. By the time a
retrain renders its simulated share, the parent has opened ONNX Runtime sessions and run torch
ops, whose thread pools may hold an allocator or OpenMP lock at the moment of the fork: the
children then wait forever on it (seen: `pm25-train retrain` hung in `render_dataset` with both
workers in futex wait). Spawned workers start clean; they cost an interpreter start each, small
next to rendering. As with any spawned pool, a script that calls these must guard its
entry point with `if __name__ == "__main__":`.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_workers(workers: int) -> int:
    """`workers`, or 1 where spawned children could not re-import the main module (code read
    from stdin or typed at a prompt has no file to import: they would die on start)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return workers if main_file and not main_file.startswith("<") else 1


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes (use as a context manager)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def map_jobs(fn: Callable[[T], R], jobs: Sequence[T], workers: int, chunksize: int = 1) -> list[R]:
    """`fn` over `jobs` in order: in a spawned pool when more than one worker is usable,
    in this process otherwise."""
    if usable_workers(workers) <= 1:
        return [fn(j) for j in jobs]
    with process_pool(workers) as pool:
        return list(pool.map(fn, jobs, chunksize=chunksize))
