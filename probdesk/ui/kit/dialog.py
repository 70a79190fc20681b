"""FormDialog: the base of the forms that call a service when OK is pressed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from probdesk.errors import ProbdeskError


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
        self.error.setStyleSheet("color: #a4000f; font-weight: bold;")
        self.error.setAccessibleName("Problem")
        self.error.hide()
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)

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
