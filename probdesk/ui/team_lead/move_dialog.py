"""The preview before an inspection moves to a new version of its question set: what changes,
question by question and case by case (probdesk.services.qs_move), and the lead's go-ahead.

An incompatible move (an id reused with another answer type or other answer values) needs a
tick first: the earlier answers to those questions are set aside, kept in their history."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class MoveQuestionSetDialog(QDialog):
    def __init__(
        self, title: str, text: str, incompatible: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move to a new version of the question set")
        self.setAccessibleName("Move to a new version of the question set")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"What moving {title} changes. Nothing is dropped: every answer stays stored and "
            "shown. The next setup pack you write moves each assessor's laptop, and the hub "
            "follows at your next merge."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.preview = QPlainTextEdit(text)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("What the move changes")
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setTabChangesFocus(True)
        layout.addWidget(self.preview, 1)
        self.accept_incompatible = QCheckBox(
            "&Move anyway: set aside the earlier answers to the questions marked INCOMPATIBLE "
            "(kept in each question's history) and list their cases for review"
        )
        self.accept_incompatible.setVisible(incompatible)
        layout.addWidget(self.accept_incompatible)
        buttons = QDialogButtonBox()
        self.move_button: QPushButton = buttons.addButton(
            "Mo&ve the inspection", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.move_button.setAccessibleName("Move the inspection to the new version")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.move_button.setEnabled(not incompatible)
        self.accept_incompatible.toggled.connect(self.move_button.setEnabled)
        self.resize(820, 560)
