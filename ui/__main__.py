"""`python -m ui ...` runs the `newsdesk` command (for checkouts where the script is not installed)."""
import sys

from ui.cli import main

sys.exit(main())
