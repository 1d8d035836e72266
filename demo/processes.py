"""Every process the demo starts, and stopping all of them however the demo ends.

Children die with the demo: each gets ``PR_SET_PDEATHSIG`` (Linux), so even a SIGKILLed demo
leaves nothing behind; a normal end (Ctrl-C, SIGTERM, ``--duration``, an error) terminates them in
reverse start order and kills what does not stop within a few seconds.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    """The demo's child processes, started in flow order and stopped in reverse."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        atexit.register(self.stop_all)

    def start(
        self, name: str, argv: Sequence[str], log_file: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` with stdout and stderr appended to ``log_file``."""
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - children start before threads
            )
        self._procs.append((name, proc))
        return proc

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self._procs}

    def dead(self) -> list[str]:
        """Names of children that exited on their own."""
        return [name for name, p in self._procs if p.poll() is not None]

    def stop(self, proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = [(n, p) for n, p in self._procs if p is not proc]

    def stop_all(self) -> None:
        """Terminate every child, newest first; kill any still there after 10 s."""
        for name, proc in reversed(list(self._procs)):
            log.info("stopping %s (pid %d)", name, proc.pid)
            self.stop(proc)


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP end the demo like Ctrl-C does (KeyboardInterrupt, then cleanup)."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
