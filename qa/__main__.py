"""`python -m qa ...` runs the `newsdesk` command; kept for old scripts, `python -m ui` is the same.

An entry point, not a module: nothing imports it, so it is the one file under qa/
that may reach up to the interfaces.
"""
import sys

from ui.cli import main

sys.exit(main())
