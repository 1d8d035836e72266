"""``make demo``: runs the ``demo`` package (see docs/demo.md); ``--help`` lists the options."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
