"""Entry point for ``python -m rnnstock``."""

import sys

from rnnstock.cli import main

sys.exit(main())
