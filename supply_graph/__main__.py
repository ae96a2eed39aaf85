"""`python -m supply_graph`: the engine's command line."""

import sys

from supply_graph.cli import main, tune_process

tune_process()
sys.exit(main())
