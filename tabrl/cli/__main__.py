"""`python -m tabrl.cli` (how the studio's own processes start `tabrl serve`)."""

import sys

from tabrl.cli import app

sys.exit(app())
