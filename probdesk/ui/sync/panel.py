"""The Sync tab: the shared folder, exporting this laptop's work, the outbox, incoming packs.

Exports, copies, scans of the shared folder and opening packs all go through the Runner: a
network drive that answers slowly never freezes the window.

This module puts the sections together, with the shared folder they all use; the state
they share is declared in state.py.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.records import Inspection
from probdesk.ui.kit.layout import hint_label, scrolling_body
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.runner import Runner
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY, shared_folder_problem
from probdesk.ui.sync.incoming_section import IncomingSection
from probdesk.ui.sync.outbox_section import OutboxSection

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import Fieldwork


class SyncPanel(OutboxSection, IncomingSection):
    """The Sync tab: the shared folder, then the sections (outbox_section.py,
    incoming_section.py), each built in its own method, put together and wired here."""

    # its signals, inspection_opened(inspection id) and exported(), are defined in state.py

    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork = None
        self.inspection = None

        layout = scrolling_body(self, "Sync")
        self.hint = hint_label(
            "No inspection is chosen. To start, set the shared folder and open the setup pack "
            "from your team lead under Incoming packs; to export, choose an inspection at the top.",
            "Sync: no inspection chosen",
        )
        layout.addWidget(self.hint)

        layout.addWidget(self._build_folder())
        layout.addWidget(self._build_send(), 1)
        layout.addWidget(self._build_incoming(), 1)

        self.keys = QLabel("")
        self.keys.setWordWrap(True)
        self.keys.setAccessibleName("This laptop's key fingerprints")
        self.keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.keys)

        self._wire()
        self.folder_edit.setText(self.settings_folder())
        self.set_inspection(None)

    def _build_folder(self) -> QGroupBox:
        folder_box = QGroupBox("Shared folder")
        folder_box.setAccessibleName("Shared folder")
        folder_layout = QVBoxLayout(folder_box)
        about = QLabel(
            "The folder your team shares (a network drive or a synced folder). probdesk only "
            "ever puts finished package files there, never your database."
        )
        about.setWordWrap(True)
        folder_layout.addWidget(about)
        row = QHBoxLayout()
        folder_label = QLabel("Fol&der:")
        self.folder_edit = QLineEdit()
        self.folder_edit.setAccessibleName("Shared folder")
        self.folder_edit.setPlaceholderText("e.g. S:\\Inspections\\Plymouth or ~/OneDrive/Team")
        folder_label.setBuddy(self.folder_edit)
        row.addWidget(folder_label)
        row.addWidget(self.folder_edit, 1)
        self.choose_button = QPushButton("Choo&se…")
        self.choose_button.setAccessibleName("Choose the shared folder")
        row.addWidget(self.choose_button)
        folder_layout.addLayout(row)
        self.folder_message = message_label("Shared folder: problem")
        self.folder_message.hide()
        folder_layout.addWidget(self.folder_message)
        return folder_box

    def _wire(self) -> None:
        self.folder_edit.editingFinished.connect(self._folder_edited)
        self.choose_button.clicked.connect(self.choose_folder)
        self.export_button.clicked.connect(self.export_now)
        self.copy_button.clicked.connect(self.copy_pending)
        self.open_button.clicked.connect(self.open_selected)
        self.rescan_button.clicked.connect(self.refresh_incoming)
        self.incoming_view.doubleClicked.connect(lambda _i: self.open_selected())
        self.incoming_view.selectionModel().selectionChanged.connect(self._update_buttons)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        fp = fieldwork.fingerprints()
        parts = [f"signing key <tt>{escape(fp['signing'])}</tt>"]
        parts.append(f"encryption key <tt>{escape(fp['encryption'])}</tt>")
        if "recovery" in fp:
            parts.append(f"organisational recovery key <tt>{escape(fp['recovery'])}</tt>")
        self.keys.setText("This laptop's key fingerprints: " + "; ".join(parts) + ".")
        self.refresh_outbox()
        self._update_buttons()
        if self.isVisible():
            self.refresh_incoming()

    def set_inspection(self, inspection: Inspection | None) -> None:
        self.inspection = inspection
        self.hint.setVisible(inspection is None)
        self.refresh_outbox()
        self._update_buttons()

    def settings_folder(self) -> str:
        return str(self.settings.value(SHARED_FOLDER_KEY, "") or "")

    def shared_folder(self) -> Path | None:
        text = self.settings_folder()
        return Path(text).expanduser() if text else None

    def _update_buttons(self) -> None:
        ready = self.fieldwork is not None
        self.export_button.setEnabled(ready and self.inspection is not None)
        self.copy_button.setEnabled(ready and self.shared_folder() is not None)
        self.rescan_button.setEnabled(ready and self.shared_folder() is not None)
        pack = self.selected_pack()
        self.open_button.setEnabled(ready and pack is not None and not pack.problem)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_outbox()
        if not self.runner.busy:
            self.refresh_incoming()

    # -- the shared folder ----------------------------------------------------------------
    def _folder_edited(self) -> None:
        if self.folder_edit.text().strip() != self.settings_folder():
            self.set_shared_folder(self.folder_edit.text())

    def choose_folder(self) -> None:
        start = self.folder_edit.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the shared folder", start)
        if folder:
            self.folder_edit.setText(folder)
            self.set_shared_folder(folder)

    def set_shared_folder(self, text: str) -> bool:
        """Store the shared folder (empty: none); False, with the reason shown, if refused."""
        text = text.strip()
        if text and self.fieldwork is not None:
            problem = shared_folder_problem(Path(text), self.fieldwork.paths.data)
            if problem:
                show_message(self.folder_message, problem, problem=True)
                self.folder_edit.setText(self.settings_folder())
                return False
        if text:
            self.settings.setValue(SHARED_FOLDER_KEY, text)
        else:
            self.settings.remove(SHARED_FOLDER_KEY)
        self.settings.sync()
        self.folder_edit.setText(text)
        note = ""
        if text and not Path(text).expanduser().is_dir():
            note = (
                f"{text} is not reachable now. Exports wait in the outbox and are copied when "
                "it is back (Copy pending)."
            )
        show_message(self.folder_message, note, problem=bool(note))
        self._update_buttons()
        self.refresh_incoming()
        return True
