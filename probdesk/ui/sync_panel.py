"""The Sync tab: the shared folder, exporting this laptop's work, the outbox, incoming packs.

Exports, copies, scans of the shared folder and opening packs all go through the Runner: a
network drive that answers slowly never freezes the window.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    Signal,
)
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

from probdesk.domain.records import Inspection, OutboxPackage
from probdesk.errors import InputError, ProbdeskError
from probdesk.packages import enrolment
from probdesk.ui.changes import Changes
from probdesk.ui.dialogs import _Dialog
from probdesk.ui.kit.layout import (
    fixed_font_label,
    hint_label,
    name_buttons,
    plural,
    scrolling_body,
)
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY, shared_folder_problem
from probdesk.ui.kit.tables import RecordTableModel, record_view, selected_rows
from probdesk.ui.runner import Cancelled, Progress, Runner

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import ExportResult, Fieldwork, IncomingPack

log = logging.getLogger("probdesk.ui.sync")

Index = QModelIndex | QPersistentModelIndex
KINDS = {"setup": "Setup pack", "sendback": "Comments from the team lead", "events": "Your work"}


def short_id(package_id: str) -> str:
    return package_id[:8]


def _when(at: datetime | None) -> str:
    return at.strftime("%d %b %Y %H:%M") if at else ""


# -- models ---------------------------------------------------------------------------------


class OutboxModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Created", lambda p: _when(p.created_at)),
                ("Package", lambda p: f"{KINDS.get(p.kind, p.kind)} {short_id(p.package_id)}"),
                (
                    "In the shared folder",
                    lambda p: f"Yes, {_when(p.copied_at)}" if p.copied_at else "Not yet",
                ),
                (
                    "Merged by the team lead",
                    lambda p: f"Yes, {_when(p.receipt_at)}" if p.receipt_at else "Not yet",
                ),
            ],
            tooltip=lambda p: (
                f"{p.shared_path or p.file_name}\nHolds your changes up to number {p.seq_to}."
            ),
            parent=parent,
        )


class IncomingModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Pack", lambda p: KINDS.get(p.kind, "Unreadable file")),
                ("Inspection", lambda p: self.inspection_text(p)),
                ("Signed by key", lambda p: p.signer_fingerprint),
                ("Opened here", lambda p: "Yes" if p.opened else "No"),
                ("Problem", lambda p: p.problem or ""),
            ],
            tooltip=lambda p: str(p.path),
            parent=parent,
        )
        self.inspections: dict[str, str] = {}  # id -> title, of the inspections open here

    def inspection_text(self, pack: IncomingPack) -> str:
        if not pack.inspection_id:
            return ""
        return self.inspections.get(pack.inspection_id) or (
            f"new inspection {short_id(pack.inspection_id)}"
        )


# -- the open-setup-pack dialog ------------------------------------------------------------


class OpenSetupPackDialog(_Dialog):
    """The passphrase and who you are on the team, with the signer's fingerprint to check."""

    def __init__(
        self, pack: IncomingPack, inspection: str, assessor: str, parent: QWidget | None = None
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
        self.outer.insertWidget(1, self.fingerprint)
        check = QLabel(
            "<b>Check this fingerprint with your team lead before opening.</b> If it differs "
            "from the one they read out to you, do not open the pack: tell them."
        )
        check.setWordWrap(True)
        self.outer.insertWidget(2, check)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Setup pack passphrase")
        self.form.addRow("&Passphrase", self.passphrase)
        self.assessor = QLineEdit(assessor)
        self.assessor.setAccessibleName("Your name or initials on the team")
        self.assessor.setPlaceholderText("as your team lead wrote it on the team")
        self.form.addRow("Your name or &initials", self.assessor)
        self.code = QLineEdit()
        self.code.setAccessibleName("Your enrolment code from your team lead")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX, given to you in person")
        self.code.setToolTip(
            "With your own enrolment code your exports count as soon as they arrive. Without "
            "it they wait until your team lead enrols this laptop by its key fingerprint."
        )
        self.form.addRow("&Enrolment code", self.code)
        name_buttons(self.buttons, "&Open setup pack", "Open the setup pack")
        self.passphrase.setFocus()
        self.resize(520, 0)

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


# -- the panel ------------------------------------------------------------------------------


class SyncPanel(QWidget):
    inspection_opened = Signal(str)  # a pack added or changed this inspection: show it
    exported = Signal()  # how far this laptop's changes have gone has changed (status bar)

    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None

        layout = scrolling_body(self, "Sync")
        self.hint = hint_label(
            "No inspection is chosen. To start, set the shared folder and open the setup pack "
            "from your team lead under Incoming packs; to export, choose an inspection at the top.",
            "Sync: no inspection chosen",
        )
        layout.addWidget(self.hint)

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
        folder_label = QLabel("&Folder:")
        self.folder_edit = QLineEdit()
        self.folder_edit.setAccessibleName("Shared folder")
        self.folder_edit.setPlaceholderText("e.g. S:\\Inspections\\Plymouth or ~/OneDrive/Team")
        folder_label.setBuddy(self.folder_edit)
        row.addWidget(folder_label)
        row.addWidget(self.folder_edit, 1)
        self.choose_button = QPushButton("C&hoose…")
        self.choose_button.setAccessibleName("Choose the shared folder")
        row.addWidget(self.choose_button)
        folder_layout.addLayout(row)
        self.folder_message = message_label("Shared folder: problem")
        self.folder_message.hide()
        folder_layout.addWidget(self.folder_message)
        layout.addWidget(folder_box)

        send_box = QGroupBox("Send your work to the team lead")
        send_box.setAccessibleName("Send your work")
        send_layout = QVBoxLayout(send_box)
        buttons = QHBoxLayout()
        self.export_button = QPushButton("&Export now")
        self.export_button.setAccessibleName("Export now")
        self.export_button.setToolTip(
            "Write a package of all your work on this inspection and copy it to the shared folder"
        )
        buttons.addWidget(self.export_button)
        self.copy_button = QPushButton("Copy &pending")
        self.copy_button.setAccessibleName("Copy pending packages to the shared folder")
        self.copy_button.setToolTip("Copy packages still in the outbox to the shared folder")
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        send_layout.addLayout(buttons)
        self.export_message = message_label("Export result")
        self.export_message.hide()
        send_layout.addWidget(self.export_message)
        outbox_label = QLabel("Out&box: packages written on this laptop")
        send_layout.addWidget(outbox_label)
        self.outbox_model = OutboxModel(self)
        self.outbox_view = record_view(self.outbox_model, "Outbox")
        outbox_label.setBuddy(self.outbox_view)
        send_layout.addWidget(self.outbox_view, 1)
        layout.addWidget(send_box, 1)

        in_box = QGroupBox("Incoming packs")
        in_box.setAccessibleName("Incoming packs")
        in_layout = QVBoxLayout(in_box)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open…")
        self.open_button.setAccessibleName("Open the selected pack")
        buttons.addWidget(self.open_button)
        self.rescan_button = QPushButton("&Look again")
        self.rescan_button.setAccessibleName("Look again for packs in the shared folder")
        buttons.addWidget(self.rescan_button)
        buttons.addStretch(1)
        in_layout.addLayout(buttons)
        self.incoming_message = message_label("Incoming packs: result")
        self.incoming_message.hide()
        in_layout.addWidget(self.incoming_message)
        incoming_label = QLabel(
            "Setup packs and comments from your team lead in the shared folder:"
        )
        incoming_label.setWordWrap(True)
        in_layout.addWidget(incoming_label)
        self.incoming_model = IncomingModel(self)
        self.incoming_view = record_view(self.incoming_model, "Incoming packs")
        incoming_label.setBuddy(self.incoming_view)
        in_layout.addWidget(self.incoming_view, 1)
        layout.addWidget(in_box, 1)

        self.keys = QLabel("")
        self.keys.setWordWrap(True)
        self.keys.setAccessibleName("This laptop's key fingerprints")
        self.keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.keys)

        self.folder_edit.editingFinished.connect(self._folder_edited)
        self.choose_button.clicked.connect(self.choose_folder)
        self.export_button.clicked.connect(self.export_now)
        self.copy_button.clicked.connect(self.copy_pending)
        self.open_button.clicked.connect(self.open_selected)
        self.rescan_button.clicked.connect(self.refresh_incoming)
        self.incoming_view.doubleClicked.connect(lambda _i: self.open_selected())
        self.incoming_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.folder_edit.setText(self.settings_folder())
        self.set_inspection(None)

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

    # -- export ---------------------------------------------------------------------------
    def export_now(self) -> bool:
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return False
        shared = self.shared_folder()

        def work(progress: Progress, cancelled: Cancelled) -> tuple[ExportResult, int]:
            result = fw.export(inspection.id, shared, progress, cancelled)
            cleared = 0
            if shared is not None and result.copy_problem is None:
                try:
                    cleared = fw.check_receipts(shared)
                except (ProbdeskError, OSError) as exc:  # the export itself has succeeded
                    log.warning("checking receipts failed: %s", type(exc).__name__)
            return result, cleared

        return self.runner.run(
            f"Exporting your work on {inspection.title}", work, self._exported, self._failed,
            changes=Changes.OUTBOX,
        )  # fmt: skip

    def _exported(self, outcome: tuple[ExportResult, int]) -> None:
        result, cleared = outcome
        c = result.counts
        what = (
            f"{plural(c.get('cases', 0), 'case')}, {plural(c.get('answers', 0), 'answer')}, "
            f"{plural(c.get('meetings', 0), 'meeting')}, "
            f"{plural(c.get('meeting_notes', 0), 'meeting note')}"
        )
        head = f"Package {short_id(result.package_id)} ({what})"
        if result.copy_problem:
            show_message(
                self.export_message,
                f"{head} is in the outbox but was not copied to the shared folder: "
                f"{result.copy_problem}",
                problem=True,
            )
        elif result.shared_path is not None:
            text = f"{head} exported to {result.shared_path}."
            if cleared:
                text += f" The team lead has merged {plural(cleared, 'earlier package')}."
            show_message(self.export_message, text)
        else:
            show_message(
                self.export_message,
                f"{head} is in the outbox ({result.outbox_path.parent}). No shared folder is "
                "set: choose it above, then press Copy pending.",
                problem=True,
            )
        self.refresh_outbox()

    def _failed(self, exc: Exception, label: QLabel | None = None) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        label = label or self.export_message
        cancelled = self.runner_cancelled(exc)
        show_message(label, exc.message, problem=not cancelled)
        self.refresh_outbox()

    @staticmethod
    def runner_cancelled(exc: Exception) -> bool:
        from probdesk.errors import OperationCancelled

        return isinstance(exc, OperationCancelled)

    def copy_pending(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        if fw is None or shared is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> list[Path]:
            progress(0, 0, f"Copying packages to {shared}")
            return fw.copy_pending(shared)

        def done(copied: list[Path]) -> None:
            if copied:
                show_message(
                    self.export_message, f"Copied {plural(len(copied), 'package')} to {shared}."
                )
            else:
                show_message(self.export_message, "No package was waiting to be copied.")
            self.refresh_outbox()

        return self.runner.run(
            "Copying packages to the shared folder", work, done, self._failed,
            changes=Changes.OUTBOX,
        )  # fmt: skip

    def refresh_outbox(self) -> None:
        if self.fieldwork is None:
            self.outbox_model.set_rows([])
            return
        iid = self.inspection.id if self.inspection else None
        try:
            rows: list[OutboxPackage] = self.fieldwork.outbox(iid)
        except ProbdeskError:
            return  # the store cannot be read: the banner says why
        newest_first = sorted(rows, key=lambda p: (p.created_at, p.seq_to), reverse=True)
        self.outbox_model.set_rows(newest_first)
        self.exported.emit()  # written, copied or received: the status bar says which

    # -- incoming packs -------------------------------------------------------------------
    def refresh_incoming(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        if fw is None or shared is None:
            self.incoming_model.set_rows([])
            self._update_buttons()
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> list[IncomingPack]:
            progress(0, 0, f"Looking for packs in {shared}")
            return fw.incoming(shared)

        def done(packs: list[IncomingPack]) -> None:
            try:
                known = {i.id: i.title for i in fw.ws.inspections()}
            except ProbdeskError:
                known = {}
            chosen = self.selected_pack()
            self.incoming_model.inspections = known
            self.incoming_model.set_rows(packs)
            # Keep the choice; else offer the first pack not opened yet.
            first_new = next((p for p in packs if not p.opened and not p.problem), None)
            kept = chosen is not None and self.select_pack(chosen.package_id)
            if not kept and first_new is not None:
                self.select_pack(first_new.package_id)
            self._update_buttons()

        return self.runner.run(
            "Looking for packs in the shared folder",
            work,
            done,
            lambda exc: self._failed(exc, self.incoming_message),
        )

    def selected_pack(self) -> IncomingPack | None:
        rows = selected_rows(self.incoming_view)
        return self.incoming_model.row_at(rows[0]) if rows else None

    def select_pack(self, package_id: str) -> bool:
        for i, p in enumerate(self.incoming_model.rows):
            if p.package_id == package_id:
                self.incoming_view.selectRow(i)
                return True
        return False

    def open_selected(self) -> None:
        pack = self.selected_pack()
        if pack is None or pack.problem:
            return
        if pack.kind == "setup":
            self.open_setup_pack(pack)
        elif pack.kind == "sendback":
            self.open_sendback(pack)

    def open_setup_pack(self, pack: IncomingPack, error: str = "", assessor: str = "") -> None:
        fw = self.fieldwork
        assert fw is not None
        if not assessor:
            try:
                assessor = fw.ws.device().assessor
            except ProbdeskError:
                assessor = ""
        title = self.incoming_model.inspection_text(pack)
        dialog = OpenSetupPackDialog(pack, title, assessor, self)
        if error:
            dialog.show_error(error)
        if not dialog.exec():
            return
        passphrase, who, code = dialog.values

        def work(progress: Progress, _cancelled: Cancelled) -> Any:
            progress(0, 0, "Checking the passphrase and the team lead's signature")
            return fw.open_setup_pack(pack.path, passphrase, who, code or None)

        def done(result: Any) -> None:
            if result.already_opened:
                text = f"This setup pack was already opened here: {result.inspection.title}."
            else:
                text = (
                    f"Opened the setup pack for {result.inspection.title}: "
                    f"{plural(result.added, 'case')} added, {result.updated} updated."
                )
            if fw.enrolment(result.inspection.id) is None:
                text += (
                    " This laptop is not enrolled yet: until your team lead enrols it, your "
                    "exports wait at the hub. Read them this laptop's key fingerprint: "
                    f"{fw.fingerprints()['signing']}."
                )
            show_message(self.incoming_message, text)
            self.inspection_opened.emit(result.inspection.id)
            self.refresh_incoming()

        def failed(exc: Exception) -> None:
            from probdesk.packages.format import PackageError

            if isinstance(exc, InputError) and not isinstance(exc, PackageError):
                # Wrong passphrase or a name not on the team: ask again, say why.
                self.open_setup_pack(pack, exc.message, who)
            else:
                self._failed(exc, self.incoming_message)

        self.runner.run(
            "Opening the setup pack", work, done, failed,
            changes=Changes.INSPECTIONS | Changes.CASES | Changes.TEAM,
        )  # fmt: skip

    def open_sendback(self, pack: IncomingPack) -> None:
        fw = self.fieldwork
        assert fw is not None

        def work(progress: Progress, _cancelled: Cancelled) -> Any:
            progress(0, 0, "Opening the comments from your team lead")
            return fw.open_sendback(pack.path)

        def done(result: Any) -> None:
            if result.already_opened:
                text = "These comments were already opened here."
            else:
                text = (
                    f"Opened {plural(result.comments, 'comment')} from your team lead; "
                    f"{plural(result.returned, 'case')} returned to you. The comments show at "
                    "the top of each case."
                )
            show_message(self.incoming_message, text)
            self.inspection_opened.emit(result.inspection_id)
            self.refresh_incoming()

        self.runner.run(
            "Opening comments from the team lead",
            work,
            done,
            lambda exc: self._failed(exc, self.incoming_message),
            changes=Changes.CASES,  # comments and returned cases
        )
