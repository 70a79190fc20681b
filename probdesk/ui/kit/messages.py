"""Messages every part of the window shows: a tab's message line and the warning box for an
expected failure. Shared by the tabs and the operation runner (the kit's, so that no tab
reaches into another for them)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from probdesk.errors import ProbdeskError
from probdesk.ui.kit import colours

OK_STYLE = ""


def message_label(name: str) -> QLabel:
    """A selectable line of plain text, hidden until show_message fills it."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def show_message(label: QLabel, text: str, *, problem: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet(colours.problem_style() if problem else OK_STYLE)
    label.setVisible(bool(text))


def show_problem(parent: QWidget, exc: ProbdeskError) -> None:
    """An expected failure as a warning box: its message, then its details."""
    text = exc.message + ("\n\n" + "\n".join(exc.details) if exc.details else "")
    QMessageBox.warning(parent, "probdesk", text)
