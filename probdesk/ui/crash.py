"""Crash handling for the GUI: log where it happened (types and places, never values), show
it with a copy button, keep running."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.errors import ProbdeskError
from probdesk.logsetup import crash_report
from probdesk.paths import Paths

log = logging.getLogger("probdesk.crash")


class CrashDialog(QDialog):
    def __init__(self, details: str, log_file: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("probdesk: unexpected error")
        self.setAccessibleName("Unexpected error")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Something went wrong inside probdesk. Everything that was shown as saved is "
            f"still saved.\nThe details below are also in {log_file}; please send them to "
            "the probdesk team."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setAccessibleName("Copy error details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


def native_notice(report: object) -> str:
    """What the window says once after a native crash (one inside Qt or another compiled
    library, which no Python handler sees)."""
    return (
        "probdesk stopped unexpectedly the last time it ran. Everything that was shown as "
        f"saved is still saved.\nWhere it stopped is recorded in {report}; please send that "
        "file to the probdesk team (it holds places in the program, never case content)."
    )


def install(paths: Paths, parent: QWidget | None = None) -> None:
    """Route uncaught exceptions to the log and a dialog instead of killing the window."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, ProbdeskError):
            text = exc.message + ("\n\n" + "\n".join(exc.details) if exc.details else "")
            QMessageBox.warning(parent, "probdesk", text)
            return
        details = crash_report(exc.with_traceback(tb))
        log.error("unexpected error\n%s", details)
        CrashDialog(details, str(paths.log_file), parent).exec()

    sys.excepthook = hook
