"""``python -m jobharness``: the same as the ``jobharness`` command."""

import sys

from jobharness.cli import main

sys.exit(main())
