"""``python -m edge_agent``: the same as the ``edge-agent`` console script."""

import sys

from edge_agent.cli import main

if __name__ == "__main__":
    sys.exit(main())
