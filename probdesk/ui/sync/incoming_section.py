"""The Sync tab's incoming packs: scanned for and opened on the window's Runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from probdesk.errors import InputError, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view, selected_rows
from probdesk.ui.sync.models import IncomingModel
from probdesk.ui.sync.open_pack_dialog import OpenSetupPackDialog
from probdesk.ui.sync.state import SyncState

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import IncomingPack, SendbackResult, SetupResult


class IncomingSection(SyncState):
    """The packs from the team lead in the shared folder (setup packs and comments), and
    opening them.

    A part of SyncPanel (a mixin): it builds its widgets in its own method and holds their
    slots; the state the sections share (fieldwork, inspection, the shared folder) is
    declared in state.py and set by the panel.
    """

    def _build_incoming(self) -> QGroupBox:
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
        return in_box

    # -- incoming packs -------------------------------------------------------------------
    def refresh_incoming(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        if fw is None or shared is None:
            self.incoming_model.set_rows([])
            self._update_buttons()
            return False

        def work(progress: Progress, cancelled: Cancelled) -> list[IncomingPack]:
            progress(0, 0, f"Looking for packs in {shared}")
            return fw.incoming(shared, cancelled)

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

    def open_setup_pack(
        self,
        pack: IncomingPack,
        error: str = "",
        assessor: str = "",
        passphrase: str = "",
        code: str = "",
    ) -> None:
        fw = self.fieldwork
        assert fw is not None
        if not assessor:
            try:
                assessor = fw.ws.device().assessor
            except ProbdeskError:
                assessor = ""
        title = self.incoming_model.inspection_text(pack)
        dialog = OpenSetupPackDialog(pack, title, assessor, self, passphrase, code)
        if error:
            dialog.show_error(error)
        if not dialog.exec():
            return
        passphrase, who, code = dialog.values

        def work(progress: Progress, _cancelled: Cancelled) -> SetupResult:
            progress(0, 0, "Checking the passphrase and the team lead's signature")
            return fw.open_setup_pack(pack.path, passphrase, who, code or None)

        def done(result: SetupResult) -> None:
            if result.already_opened:
                text = f"This setup pack was already opened here: {result.inspection.title}."
            else:
                text = (
                    f"Opened the setup pack for {result.inspection.title}: "
                    f"{plural(result.added, 'case')} added, {result.updated} updated."
                )
            if result.moved_from:
                review = result.to_review
                text += (
                    f" The team lead moved the inspection to version "
                    f"{result.inspection.qs_version} of its question set (from "
                    f"{result.moved_from}): every answer is kept; "
                    f"{plural(len(review), 'case')} to review"
                    + (": " + " · ".join(review) if review else ".")
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
                # Wrong passphrase or a name not on the team: ask again, say why, and keep
                # what was right (the passphrase stays when it is the name that was wrong).
                wrong_passphrase = "passphrase" in exc.message.casefold()
                self.open_setup_pack(pack, exc.message, who,
                                     "" if wrong_passphrase else passphrase, code)  # fmt: skip
            else:
                self._failed(exc, self.incoming_message)

        self.runner.run(
            "Opening the setup pack", work, done, failed,
            changes=Changes.INSPECTIONS | Changes.CASES | Changes.TEAM,
        )  # fmt: skip

    def open_sendback(self, pack: IncomingPack) -> None:
        fw = self.fieldwork
        assert fw is not None

        def work(progress: Progress, _cancelled: Cancelled) -> SendbackResult:
            progress(0, 0, "Opening the comments from your team lead")
            return fw.open_sendback(pack.path)

        def done(result: SendbackResult) -> None:
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
