"""`python -m bot.cli` runs the `uptake` command line."""

import sys

from bot.cli import main

sys.exit(main())
