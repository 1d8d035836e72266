"""``python -m demo``: same as ``make demo``."""

from demo.cli import main

raise SystemExit(main())
