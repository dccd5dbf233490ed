"""``python -m vermilion.cli``: the ``vermilion`` command (``python -m vermilion`` too)."""

import sys

from . import main

sys.exit(main())
