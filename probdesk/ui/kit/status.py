"""What the inspector must always be able to see: is the last change saved, what is not exported,
and, when a write failed, why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from probdesk.ui.kit import colours

if TYPE_CHECKING:
    from probdesk.services.workspace import ExportState


class SaveIndicator(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No changes yet", parent)
        self.setAccessibleName("Save status")
        self.setMinimumWidth(150)

    def saved(self, at: str) -> None:
        self.setText(f"Saved {at}")
        self.setStyleSheet("")

    def not_saved(self, pending: int) -> None:
        self.setText(f"NOT SAVED ({pending} pending)")
        self.setStyleSheet(colours.problem_style())


class UnexportedIndicator(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setAccessibleName("Changes not yet exported")

    def set_state(self, state: ExportState) -> None:
        """Not exported, in the outbox, in the shared folder, or received by the team lead."""
        self.setText(state.words())


class ErrorBanner(QFrame):
    """A red band across the window while changes cannot be written; they stay on screen."""

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setAccessibleName("Problem saving")
        self.setStyleSheet(
            f"#errorBanner {{ background: {colours.css('alarm_bg')}; "
            f"border: 1px solid {colours.css('alarm_border')}; }}"
            f"#errorBanner QLabel {{ color: {colours.css('alarm_fg')}; }}"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Problem saving: message")
        layout.addWidget(self.message, 1)
        self.retry = QPushButton("&Retry now")
        self.retry.setAccessibleName("Retry saving")
        self.retry.clicked.connect(self.retry_requested)
        layout.addWidget(self.retry)
        self.hide()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.show()
