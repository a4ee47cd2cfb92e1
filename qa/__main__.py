"""`python -m qa ...` runs the `newsdesk` command (for checkouts where the script is not installed)."""
import sys

from qa.cli import main

sys.exit(main())
