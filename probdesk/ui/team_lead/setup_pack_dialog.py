"""Writing the setup pack: the passphrase (twice), the team lead's name and where it goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from probdesk.errors import InputError
from probdesk.passphrases import check_passphrase
from probdesk.ui.kit.dialog import FormDialog
from probdesk.ui.kit.layout import name_buttons
from probdesk.ui.kit.shared_folder import shared_folder_problem
from probdesk.ui.team_lead.models import MIN_PASSPHRASE


class WriteSetupPackDialog(FormDialog):
    """The passphrase (twice), the team lead's name and where the pack goes."""

    def __init__(
        self, lead_name: str, folder: str, data: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__("Write setup pack", parent)
        self.data = data
        self.values: tuple[str, str, Path] = ("", "", Path())
        intro = QLabel(
            "The setup pack carries the inspection, its question set, the team and every case "
            "with its assessor, encrypted with a passphrase. Give the passphrase to the "
            "assessors by phone or in person, never with the pack."
        )
        intro.setWordWrap(True)
        self.outer.insertWidget(0, intro)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setPlaceholderText(f"at least {MIN_PASSPHRASE} characters")
        self.form.addRow("&Passphrase", self.passphrase)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Passphrase again")
        self.form.addRow("Passphrase &again", self.repeat)
        self.lead = QLineEdit(lead_name)
        self.lead.setAccessibleName("Your name as team lead")
        self.form.addRow("Your &name", self.lead)
        row = QHBoxLayout()
        self.folder = QLineEdit(folder)
        self.folder.setAccessibleName("Folder for the setup pack")
        self.folder.setPlaceholderText("the shared folder")
        row.addWidget(self.folder, 1)
        choose = QPushButton("C&hoose…")
        choose.setAccessibleName("Choose the folder for the setup pack")
        choose.clicked.connect(self._choose)
        row.addWidget(choose)
        folder_label = QLabel("Write it &to")
        folder_label.setBuddy(self.folder)
        self.form.addRow(folder_label, row)
        name_buttons(self.buttons, "&Write setup pack", "Write the setup pack")
        self.resize(560, 0)

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the setup pack")
        if folder:
            self.folder.setText(folder)

    def apply(self) -> None:
        passphrase = self.passphrase.text()
        check_passphrase(passphrase, (self.lead.text(),))  # and again, with the inspection's
        if passphrase != self.repeat.text():
            raise InputError("The two passphrases differ: type the same passphrase twice.")
        if not self.lead.text().strip():
            raise InputError("Enter your name: the assessors see who wrote the pack.")
        folder = self.folder.text().strip()
        if not folder:
            raise InputError("Choose the folder to write the setup pack to.")
        problem = shared_folder_problem(Path(folder), self.data)
        if problem:
            raise InputError(problem)
        self.values = (passphrase, self.lead.text().strip(), Path(folder).expanduser())
