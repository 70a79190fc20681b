"""Progress and cancellation for long work (export, merge, reports): one shape for every layer.

`progress(done, total, what)` says how far the work has gone (total 0: not known yet; `what`
never names case content); `cancelled()` is polled between steps, and the work then raises
`probdesk.errors.OperationCancelled` before changing anything.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]  # done, total, what
Cancelled = Callable[[], bool]


def quiet(_done: int, _total: int, _what: str) -> None:
    """No progress shown (the command line, tests)."""
    return None


def never() -> bool:
    """Never cancelled."""
    return False
