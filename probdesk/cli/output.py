"""What the commands share in their output: exit codes, tables and pickers."""

from __future__ import annotations

# 0: done; 1: findings (verify); 2: refused input (argparse's usage errors too); 70: a bug.
EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_BUG = 0, 1, 2, 70
