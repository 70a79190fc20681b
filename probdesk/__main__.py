"""`python -m probdesk` and the frozen bundle's entry point."""

import sys

from probdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
