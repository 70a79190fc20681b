"""Retention dialogs: File > Purge inspection… on a laptop, and the team lead's Close
inspection… on the Hub tab. They show what the services plan; the work runs in the runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from probdesk.services.retention import PurgePlan


def _bullets(lines: list[str]) -> str:
    from html import escape

    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


class PurgeDialog(QDialog):
    """What purging the inspection removes (with a confirmation to tick), or what is still
    unmerged (and then nothing can be confirmed)."""

    def __init__(self, plan: PurgePlan, parent: QWidget | None = None) -> None:
        from html import escape

        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle("Purge inspection")
        self.setAccessibleName("Purge inspection")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{escape(plan.title)}</b>")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.confirm = QCheckBox("I understand that this cannot be undone")
        self.confirm.setAccessibleName("Confirm that the purge cannot be undone")
        buttons = QDialogButtonBox()
        if plan.allowed:
            self.text.setAccessibleName("What the purge removes")
            self.text.setText(
                "The team lead has closed this inspection and every change made on this "
                "laptop has been merged. Purging removes it from this laptop for good:"
                + _bullets(plan.removes())
                + "An audit record of ids and counts is kept."
            )
            purge = buttons.addButton(
                "&Purge for good", QDialogButtonBox.ButtonRole.DestructiveRole
            )
            purge.setAccessibleName("Purge the inspection for good")
            purge.setEnabled(False)
            purge.clicked.connect(self.accept)
            self.confirm.toggled.connect(purge.setEnabled)
            self.purge_button: QPushButton | None = purge
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        else:
            self.text.setAccessibleName("Why the inspection cannot be purged yet")
            self.text.setText(
                "This inspection cannot be purged from this laptop yet. Nothing was changed."
                + _bullets(plan.problems())
            )
            self.purge_button = None
            self.confirm.hide()
            buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.text)
        layout.addWidget(self.confirm)
        layout.addStretch(1)  # any height to spare goes below the text, not between lines
        layout.addWidget(buttons)
        self.adjustSize()  # as high as its text, no more
        if plan.allowed:
            self.confirm.setFocus()
