"""``python -m symconv`` runs the command line (see :mod:`symconv.cli`)."""

import sys

from .cli import main

sys.exit(main())
