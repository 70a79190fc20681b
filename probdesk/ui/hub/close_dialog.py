"""The team lead's Close inspection… confirmation (Hub tab, progress section)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class CloseInspectionDialog(QDialog):
    """The team lead's confirmation before closing an inspection on the hub."""

    def __init__(
        self, title: str, retention_days: int, shared: str | None, parent: QWidget | None = None
    ) -> None:
        from html import escape

        super().__init__(parent)
        self.setWindowTitle("Close inspection")
        self.setAccessibleName("Close inspection")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        where = (
            f"A pack saying so is written to the shared folder ({escape(shared)}) for every "
            "laptop that sent packages."
            if shared
            else "No shared folder is set (Sync tab), so the laptops are not told yet."
        )
        self.text = QLabel(
            f"<b>{escape(title)}</b><p>Closing records that fieldwork and moderation are "
            f"over. {where} Each laptop may then purge the inspection once all its work is "
            f"merged.</p><p>The hub keeps it for {retention_days} days after closing (the "
            "organisation's retention period); then <i>probdesk hub purge</i> removes it "
            "from the hub. Packages still arriving are merged until then.</p>"
        )
        self.text.setWordWrap(True)
        self.text.setAccessibleName("What closing the inspection does")
        layout.addWidget(self.text)
        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.close_button = buttons.addButton(
            "C&lose the inspection", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button.setAccessibleName("Close the inspection")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.adjustSize()
