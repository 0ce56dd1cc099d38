"""``python -m bot``: the staff command line (see bot.runtime.cli)."""

import sys

from bot.runtime.cli import main

sys.exit(main())
