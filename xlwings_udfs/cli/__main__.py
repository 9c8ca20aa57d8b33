"""``python -m xlwings_udfs.cli``: the command line, as the ``etf-analytics`` script runs it."""
import sys

from . import main

sys.exit(main())
