"""`python -m supply_graph`: the engine's command line."""

import sys

from supply_graph.cli import main

sys.exit(main())
