"""``python -m mfgplan.cli``: the mfgplan command."""

import sys

from mfgplan.cli import main

sys.exit(main())
