"""`python -m supply_graph`: the engine's command line."""

import sys

from supply_graph.cli import main, small_pages

small_pages()
sys.exit(main())
