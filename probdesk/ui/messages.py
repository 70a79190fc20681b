"""Messages every part of the window shows: shared by the tabs and the operation runner (the
kit's, so that no tab reaches into another for them)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from probdesk.errors import ProbdeskError


def show_problem(parent: QWidget, exc: ProbdeskError) -> None:
    """An expected failure as a warning box: its message, then its details."""
    text = exc.message + ("\n\n" + "\n".join(exc.details) if exc.details else "")
    QMessageBox.warning(parent, "probdesk", text)
