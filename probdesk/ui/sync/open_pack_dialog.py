"""Opening a setup pack: the passphrase and who you are on the team, with the signer's
fingerprint to check."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from probdesk.errors import InputError
from probdesk.packages import enrolment
from probdesk.ui.kit.dialog import FormDialog
from probdesk.ui.kit.layout import fixed_font_label, name_buttons

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import IncomingPack


class OpenSetupPackDialog(FormDialog):
    """The passphrase and who you are on the team, with the signer's fingerprint to check."""

    def __init__(
        self,
        pack: IncomingPack,
        inspection: str,
        assessor: str,
        parent: QWidget | None = None,
        passphrase: str = "",
        code: str = "",
    ) -> None:
        super().__init__("Open setup pack", parent)
        self.values: tuple[str, str, str] = ("", "", "")
        intro = QLabel(
            f"<p>Setup pack for <b>{escape(inspection)}</b><br><small>{escape(pack.path.name)}"
            "</small></p><p>It was signed by the key with this fingerprint:</p>"
        )
        intro.setWordWrap(True)
        self.outer.insertWidget(0, intro)
        self.fingerprint = fixed_font_label(pack.signer_fingerprint)
        self.fingerprint.setAccessibleName("Fingerprint of the key that signed the pack")
        font = self.fingerprint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.fingerprint.setFont(font)
        self.fingerprint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fingerprint.setWordWrap(True)  # all of it shown, on two lines if it must
        self.fingerprint.setMinimumHeight(self.fingerprint.sizeHint().height())
        self.outer.insertWidget(1, self.fingerprint)
        check = QLabel(
            "<b>Check this fingerprint with your team lead before opening.</b> If it differs "
            "from the one they read out to you, do not open the pack: tell them."
        )
        check.setWordWrap(True)
        self.outer.insertWidget(2, check)
        self.passphrase = QLineEdit(passphrase)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Setup pack passphrase")
        self.form.addRow("&Passphrase", self.passphrase)
        self.assessor = QLineEdit(assessor)
        self.assessor.setAccessibleName("Your name or initials on the team")
        self.assessor.setPlaceholderText("as your team lead wrote it on the team")
        self.form.addRow("Your name or &initials", self.assessor)
        self.code = QLineEdit(code)
        self.code.setAccessibleName("Your enrolment code from your team lead")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX, given to you in person")
        self.code.setToolTip(
            "With your own enrolment code your exports count as soon as they arrive. Without "
            "it they wait until your team lead enrols this laptop by its key fingerprint."
        )
        self.form.addRow("&Enrolment code", self.code)
        name_buttons(self.buttons, "&Open setup pack", "Open the setup pack")
        # Asked again after a wrong name: the passphrase is kept, the name is what to fix.
        (self.assessor if passphrase else self.passphrase).setFocus()
        self.resize(max(560, self.fingerprint.sizeHint().width() + 60), self.sizeHint().height())

    def apply(self) -> None:
        if not self.passphrase.text():
            raise InputError("Enter the passphrase your team lead gave you.")
        if not self.assessor.text().strip():
            raise InputError("Enter your name or initials as they are on the team.")
        code = self.code.text().strip()
        if code:
            try:
                enrolment.normalise_code(code)
            except ValueError as exc:
                raise InputError(str(exc)) from None
        self.values = (self.passphrase.text(), self.assessor.text().strip(), code)
