"""Saving from the GUI: every change is committed before "Saved" shows; failed writes wait.

A write that fails because of the environment (disk full, read-only, locked) stays pending with
what the inspector typed, a banner says why, and it is retried until it succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from probdesk.errors import EnvironmentProblem, ProbdeskError

log = logging.getLogger("probdesk.ui.kit.saver")

RETRY_MS = 3000


class Saver(QObject):
    saved = Signal(str)  # "14:03:12"
    failed = Signal(str)  # message for the banner; the change is pending
    rejected = Signal(str)  # the change itself is not acceptable; nothing pending
    recovered = Signal()  # every pending change has now been written

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[Hashable, Callable[[], object]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(RETRY_MS)
        self._timer.timeout.connect(self.retry)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def save(self, key: Hashable, write: Callable[[], object]) -> bool:
        """Run `write` now; True once it has committed. A later save of `key` supersedes."""
        self._pending.pop(key, None)
        if self._pending:
            # Keep the order of changes: earlier failures go first.
            self._pending[key] = write
            return self.retry()
        return self._attempt(key, write)

    def _attempt(self, key: Hashable, write: Callable[[], object]) -> bool:
        try:
            write()
        except EnvironmentProblem as exc:
            self._pending[key] = write
            if not self._timer.isActive():
                self._timer.start()
            log.warning("a change could not be saved and is pending: %s", type(exc).__name__)
            self.failed.emit(exc.message)
            return False
        except ProbdeskError as exc:
            self.rejected.emit(exc.message)
            return False
        self.saved.emit(datetime.now().strftime("%H:%M:%S"))
        return True

    def retry(self) -> bool:
        """Write every pending change, oldest first; stop at the first that still fails."""
        for key in list(self._pending):
            write = self._pending.pop(key)
            if not self._attempt(key, write):
                if key not in self._pending:  # rejected outright: drop it, go on
                    continue
                # Move it back to the front so that order is kept.
                rest = dict(self._pending)
                self._pending.clear()
                self._pending[key] = write
                self._pending.update({k: v for k, v in rest.items() if k != key})
                return False
        self._timer.stop()
        self.recovered.emit()
        return True
