"""The one operation runner: long work on a worker thread, a delayed progress dialog, cancel.

A slot turns a click into `runner.run(title, work, on_done, on_error)`. `work(progress,
cancelled)` runs on a QThread; `progress(done, total, text)` reaches the dialog through a
queued signal; Cancel sets a threading.Event that `cancelled()` reads. The result, or the
exception, comes back to the GUI thread: nothing a worker raises is lost and the dialog never
stays up after the work has ended. One operation at a time. Each operation names what it may
change (`changes=`, probdesk.ui.kit.changes); the runner broadcasts it on `changed` when the work
has ended, and each view reads again what it shows.

The work must not touch widgets, and opens its own units of work (every service call does):
the store's pool hands each thread its own SQLite connection.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.changes import Changes

log = logging.getLogger("probdesk.ui.kit.runner")


_gc_holds = 0  # runners with work on a thread (every window has its own runner)
_gc_was_enabled = True


def _hold_gc() -> None:
    global _gc_holds, _gc_was_enabled
    if _gc_holds == 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _gc_holds += 1


def _release_gc() -> None:
    global _gc_holds
    _gc_holds = max(0, _gc_holds - 1)
    if _gc_holds == 0 and _gc_was_enabled:
        gc.enable()


T = TypeVar("T")
Work = Callable[[Progress, Cancelled], T]

SHOW_AFTER_MS = 400  # quick jobs finish before the dialog would appear: no flash


class ProgressDialog(QDialog):
    """What is happening, how far it has gone, and Cancel.

    Not a QProgressDialog: that one pumps the event loop inside setValue() when it is modal
    (so the end of the work could be handled half-way through a progress update) and hides
    itself as soon as Cancel is pressed, while the work is still stopping.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAccessibleName("Progress")
        layout = QVBoxLayout(self)
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(380)
        self.label.setAccessibleName("What is happening")
        layout.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Progress")
        self.bar.setRange(0, 0)
        layout.addWidget(self.bar)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the operation")
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def start(self, title: str) -> None:
        self.setWindowTitle(title)
        self.heading.setText(title)
        self.label.setText("Starting…")
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")

    def set_progress(self, done: int, total: int, text: str) -> None:
        if text:
            self.label.setText(text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(max(0, min(done, total)))
        else:
            self.bar.setRange(0, 0)

    def show_cancelling(self) -> None:
        self.label.setText("Cancelling: stopping at the next safe point…")
        self.cancel_button.setEnabled(False)

    def reject(self) -> None:
        # Escape, the close button and Cancel all ask the work to stop; the runner closes
        # the dialog once it has.
        self.cancel_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.cancel_requested.emit()

    def finish(self) -> None:
        self.hide()


class _Outcome(Generic[T]):
    __slots__ = ("error", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


class _WorkThread(QThread):
    progressed = Signal(int, int, str)

    def __init__(self, work: Work[Any], cancel: threading.Event, parent: QObject) -> None:
        super().__init__(parent)
        self.work = work
        self.cancel = cancel
        self.outcome: _Outcome[Any] = _Outcome()

    def run(self) -> None:
        try:
            self.outcome.value = self.work(self._progress, self.cancel.is_set)
        except BaseException as exc:  # every failure goes back to the GUI thread
            self.outcome.error = exc

    def _progress(self, done: int, total: int, text: str) -> None:
        self.progressed.emit(done, total, text)


class Runner(QObject):
    """Runs one operation at a time off the GUI thread; see the module docstring."""

    started = Signal(str)  # title
    finished = Signal(str)  # title; after on_done / on_error have run
    changed = Signal(object)  # the Changes the work declared; before `finished`

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self.dialog = ProgressDialog(parent)
        self.dialog.cancel_requested.connect(self.cancel)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_AFTER_MS)
        self._show_timer.timeout.connect(self._show_dialog)
        self._thread: _WorkThread | None = None
        self._cancel = threading.Event()
        self._title = ""
        self._changes = Changes.NONE
        self._on_done: Callable[[Any], None] = lambda _v: None
        self._on_error: Callable[[Exception], None] | None = None
        self._return_focus: QWidget | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def title(self) -> str:
        return self._title if self.busy else ""

    def run(
        self,
        title: str,
        work: Work[T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        changes: Changes = Changes.NONE,
    ) -> bool:
        """Start `work`; False (and a status-bar message) when another operation is running."""
        if self._thread is not None:
            self._status(f"Please wait: {self._title} is still running.")
            return False
        self._cancel = threading.Event()
        self._title = title
        self._changes = changes
        self._on_done = on_done
        self._on_error = on_error
        thread = _WorkThread(work, self._cancel, self)
        thread.progressed.connect(self.dialog.set_progress)
        thread.finished.connect(self._thread_finished)
        self._thread = thread
        self.dialog.start(title)
        self._show_timer.start()
        log.info("operation started: %s", title)
        self.started.emit(title)
        # No cyclic garbage collection while the work runs: a collection started on the worker
        # thread can free Qt objects of the GUI thread there, which crashes (seen as a
        # segfault in "Garbage-collecting" under a runner's work). The GUI thread collects
        # once the work is over.
        _hold_gc()
        thread.start()
        return True

    def cancel(self) -> None:
        """Ask the running work to stop; it does so the next time it checks `cancelled()`."""
        if self._thread is None or self._cancel.is_set():
            return
        self._cancel.set()
        self.dialog.show_cancelling()
        log.info("operation cancel requested: %s", self._title)

    @property
    def cancel_requested(self) -> bool:
        return self._thread is not None and self._cancel.is_set()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the work has ended and its result was handled (closing, tests)."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(msecs):
            return False
        self._complete(thread)
        return True

    def _show_dialog(self) -> None:
        if self._thread is not None:
            self._return_focus = QApplication.focusWidget()
            self.dialog.show()

    def _give_focus_back(self) -> None:
        """After the progress dialog: the window active again, the keyboard where it was.

        A window manager usually re-activates the window under a closed dialog, but not every
        platform has one (offscreen, some kiosk set-ups), and none restores the focus widget:
        without this an arrow key or a shortcut typed right after a long operation goes nowhere.
        """
        window = self._window.window()
        previous, self._return_focus = self._return_focus, None
        if not window.isVisible():
            return
        window.activateWindow()
        if (
            previous is not None
            and shiboken6.isValid(previous)
            and previous.window() is window
            and previous.isVisible()
            and previous.isEnabled()
        ):
            previous.setFocus(Qt.FocusReason.OtherFocusReason)

    def _thread_finished(self) -> None:
        sender = self.sender()
        if isinstance(sender, _WorkThread):
            self._complete(sender)

    def _complete(self, thread: _WorkThread) -> None:
        if thread is not self._thread:
            return  # already handled (by wait())
        thread.wait()
        self._thread = None
        _release_gc()
        self._show_timer.stop()
        dialog_was_shown = self.dialog.isVisible()
        self.dialog.finish()
        if dialog_was_shown:
            self._give_focus_back()
        thread.progressed.disconnect(self.dialog.set_progress)
        thread.deleteLater()
        title, on_done, on_error = self._title, self._on_done, self._on_error
        changes, self._changes = self._changes, Changes.NONE
        self._on_done, self._on_error = (lambda _v: None), None
        outcome = thread.outcome
        try:
            if outcome.error is None:
                log.info("operation done: %s", title)
                on_done(outcome.value)
            else:
                error = outcome.error
                if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit
                    raise error
                log.info("operation failed: %s (%s)", title, type(error).__name__)
                (on_error or self.default_error)(error)
        finally:
            if changes:  # done or failed: a failed merge may have merged some packages
                self.changed.emit(changes)
            self.finished.emit(title)

    def default_error(self, exc: Exception) -> None:
        """An expected failure as a message; anything else is a bug for the crash dialog."""
        if isinstance(exc, ProbdeskError):
            from probdesk.ui.kit.messages import show_problem

            show_problem(self._window, exc)
            return
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _status(self, text: str) -> None:
        window = self._window.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 5000)
