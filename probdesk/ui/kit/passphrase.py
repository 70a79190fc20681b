"""The data passphrase dialog, for a computer with no key store (ui/app.py asks at start)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QWidget

from probdesk.ui.kit.dialog import FormDialog


class PassphraseDialog(FormDialog):
    """The data passphrase, where the computer has no key store: asked at start to unlock the
    data folder, or chosen (twice, and checked for strength) when the folder is new."""

    def __init__(self, folder: str, new: bool, problem: str = "", parent: QWidget | None = None):
        super().__init__("probdesk: data passphrase", parent)
        self.new = new
        if new:
            intro = (
                "This computer has no key store for probdesk to keep the key to your data in. "
                f"Choose a passphrase for {escape(folder)}: probdesk asks for it each time it "
                "starts. Four unrelated words make a strong one."
            )
        else:
            intro = f"Your data in {escape(folder)} is locked. Give its passphrase to open it."
        label = QLabel(intro)
        label.setWordWrap(True)
        self.outer.insertWidget(0, label)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.form.addRow("Passphrase", self.passphrase)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        if new:
            self.form.addRow("Again", self.again)
        self.setMinimumWidth(460)
        if problem:
            self.show_error(problem)

    def apply(self) -> None:
        from probdesk.errors import InputError
        from probdesk.passphrases import check_passphrase

        if not self.passphrase.text():
            raise InputError("Give the passphrase, or Cancel to leave your data locked.")
        if self.new:
            if self.again.text() != self.passphrase.text():
                raise InputError("The two passphrases differ: type the same one twice.")
            check_passphrase(self.passphrase.text(), what="data passphrase")


def ask_passphrase(parent: QWidget | None, folder: str, new: bool, problem: str) -> str | None:
    """The passphrase typed, or None when the user cancelled."""
    dialog = PassphraseDialog(folder, new, problem, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.passphrase.text()
