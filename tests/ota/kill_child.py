"""Child process for the power-loss tests: runs one update and stops dead at a given phase.

python -m tests.ota.kill_child REPO_DIR URL DEVICE_DIR PHASE — prints ``AT <phase>`` and
sleeps there (the parent SIGKILLs it); PHASE ``none`` runs straight through.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.ota.helpers import make_manager


def main() -> None:
    repo_dir, url, device, stop_at = sys.argv[1:5]

    def hook(phase: str) -> None:
        if phase == stop_at:
            print(f"AT {phase}", flush=True)
            time.sleep(3600)

    report = make_manager(Path(repo_dir), url, Path(device), hook=hook).run_once()
    print(f"DONE {report.outcome}", flush=True)


if __name__ == "__main__":
    main()
