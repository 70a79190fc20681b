"""FormDialog: the base of the forms that call a service when OK is pressed; and Ctrl+Return,
which finishes any dialog whose fields take Return (text) from the keyboard."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from probdesk.errors import ProbdeskError
from probdesk.ui.kit import colours


def finish_with_ctrl_return(dialog: QWidget, accept: Callable[[], object]) -> None:
    """Ctrl+Return (and Ctrl+Enter on the keypad) does what OK does, wherever the focus is in
    the dialog: a multi-line field keeps Return for a new line, and Tab to leave it."""
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(keys), dialog, accept)


class FormDialog(QDialog):
    """A form with an error line that shows what the service refused, and OK / Cancel."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.outer.addLayout(self.form)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(colours.problem_style())
        self.error.setAccessibleName("Problem")
        self.error.hide()
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        finish_with_ctrl_return(self, self._accept)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _accept(self) -> None:
        try:
            self.apply()
        except ProbdeskError as exc:
            details = "\n".join(exc.details)
            self.show_error(exc.message + (f"\n{details}" if details else ""))
            return
        self.accept()

    def apply(self) -> None:
        raise NotImplementedError
