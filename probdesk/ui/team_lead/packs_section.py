"""Sections 3 and 4 of the Team lead tab: the setup pack for the assessors, and their exports
with the comments sent back."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from probdesk.errors import EnvironmentProblem, OperationCancelled, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import fixed_font_label, plural
from probdesk.ui.kit.messages import message_label, show_message, show_problem
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.kit.tables import record_view, selected_rows
from probdesk.ui.team_lead.models import ExportsModel, Found, export_written
from probdesk.ui.team_lead.send_back_dialog import SendBackDialog
from probdesk.ui.team_lead.setup_pack_dialog import WriteSetupPackDialog
from probdesk.ui.team_lead.state import TeamLeadState

if TYPE_CHECKING:
    from probdesk.services.fieldwork import ExportSeen


class PacksSection(TeamLeadState):
    """The setup pack written for the assessors, and the exports they sent, to comment on.

    A part of SetupPanel (a mixin): it builds its widgets in its own methods and holds
    their slots; the state the sections share (fieldwork, inspection, the team saved)
    is declared in state.py and set by the panel.
    """

    exports_folder: Path | None  # where the exports on show were found (None: none shown)

    def _build_pack(self) -> QGroupBox:
        pack_box = QGroupBox("3. The setup pack for the assessors")
        pack_box.setAccessibleName("Setup pack")
        pack_layout = QVBoxLayout(pack_box)
        row = QHBoxLayout()
        self.write_button = QPushButton("&Write setup pack…")
        self.write_button.setAccessibleName("Write setup pack")
        row.addWidget(self.write_button)
        self.move_button = QPushButton("New version of the q&uestion set…")
        self.move_button.setAccessibleName(
            "Move the inspection to a new version of its question set"
        )
        self.move_button.setToolTip(
            "Choose a corrected version of the question set: see what changes for each question "
            "and case, then move; the next setup pack moves the laptops"
        )
        row.addWidget(self.move_button)
        fp_intro = QLabel("Your signing key fingerprint, to read out to the assessors:")
        row.addWidget(fp_intro)
        self.fingerprint = fixed_font_label()
        self.fingerprint.setAccessibleName("Your signing key fingerprint")
        font = self.fingerprint.font()
        font.setBold(True)
        self.fingerprint.setFont(font)
        row.addWidget(self.fingerprint)
        row.addStretch(1)
        pack_layout.addLayout(row)
        self.pack_state = QLabel("")
        self.pack_state.setWordWrap(True)
        self.pack_state.setAccessibleName("Setup pack: state")
        pack_layout.addWidget(self.pack_state)
        self.pack_message = message_label("Setup pack: message")
        self.pack_message.setTextFormat(Qt.TextFormat.RichText)
        self.pack_message.hide()
        pack_layout.addWidget(self.pack_message)
        return pack_box

    def _build_back(self) -> QGroupBox:
        back_box = QGroupBox("4. Assessors' exports and comments back")
        back_box.setAccessibleName("Assessors' exports and comments back")
        back_layout = QVBoxLayout(back_box)
        row = QHBoxLayout()
        self.look_button = QPushButton("&Look for exports")
        self.look_button.setAccessibleName("Look for the assessors' exports in the shared folder")
        row.addWidget(self.look_button)
        self.send_button = QPushButton("Se&nd comments…")
        self.send_button.setAccessibleName("Send comments to the selected assessor")
        row.addWidget(self.send_button)
        looks = QLabel(
            "Exports in the shared folder tell which laptop each assessor uses; comments are "
            "encrypted for that laptop."
        )
        looks.setWordWrap(True)
        row.addWidget(looks, 1)
        back_layout.addLayout(row)
        self.exports_model = ExportsModel(self)
        self.exports_view = record_view(self.exports_model, "Assessors' exports")
        self.exports_view.setMinimumHeight(self.exports_view.fontMetrics().height() * 9)
        back_layout.addWidget(self.exports_view, 1)
        self.exports_message = message_label("Exports and comments: message")
        self.exports_message.hide()
        back_layout.addWidget(self.exports_message)
        return back_box

    def reload_pack_state(self) -> None:
        revision = 0
        if self.fieldwork is not None and self.inspection is not None:
            try:
                revision = self.fieldwork.ws.inspection(self.inspection.id).setup_revision
            except ProbdeskError:
                revision = 0
        self.pack_state.setText(
            f"Setup pack revision {revision} has been written. After changing the team or the "
            "cases, write it again: assessors open the newer pack and keep their answers."
            if revision
            else "No setup pack has been written for this inspection yet."
        )

    # -- setup pack -----------------------------------------------------------------------
    def move_question_set(self) -> None:
        """Preview, then move the inspection to a new version of its question set."""
        from PySide6.QtWidgets import QFileDialog

        from probdesk.services import qs_move
        from probdesk.ui.team_lead.move_dialog import MoveQuestionSetDialog

        fw, inspection, access = self.fieldwork, self.inspection, self.hub_access
        if fw is None or inspection is None:
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self, "The new version of the question set", "", "Question sets (*.yaml *.yml)"
        )
        if not chosen:
            return

        def preview(progress: Progress, _cancelled: Cancelled) -> qs_move.MovePreview:
            progress(0, 0, "Comparing the two versions")
            # The assessors' answers, where they are merged into this laptop's hub.
            merged = None
            if access is not None and access.exists():
                merged = qs_move.hub_answers(access.get(), inspection.id)
            return qs_move.preview(fw.ws, inspection.id, chosen, merged)

        def show(planned: qs_move.MovePreview) -> None:
            dialog = MoveQuestionSetDialog(
                inspection.title, qs_move.preview_text(planned), planned.incompatible, self
            )
            if not dialog.exec():
                return
            accept = dialog.accept_incompatible.isChecked()

            def move(progress: Progress, _cancelled: Cancelled) -> str:
                progress(0, 0, "Moving the inspection to the new version")
                return qs_move.move(fw.ws, planned, accept_incompatible=accept).qs_version

            def moved(version: str) -> None:
                show_message(
                    self.pack_message,
                    f"{escape(inspection.title)} is now on version <b>{escape(version)}</b> of "
                    "its question set. Write the setup pack to move the assessors' laptops; "
                    f"{plural(len(planned.to_review), 'case')} will need their review.",
                )
                self.question_set_moved.emit(inspection.id)

            self.runner.run(
                "Moving to the new version", move, moved, self._pack_failed,
                changes=Changes.CASES | Changes.INSPECTIONS | Changes.TEAM,
            )  # fmt: skip

        self.runner.run("Comparing the question sets", preview, show, self._pack_failed)

    def _pack_failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        show_message(self.pack_message, escape(exc.message), problem=True)

    def write_setup_pack(self) -> None:
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return
        if self._team_dirty() and not self.save_team():
            return
        try:
            lead = fw.ws.device().assessor
        except ProbdeskError:
            lead = ""
        folder = str(self.settings.value(SHARED_FOLDER_KEY, "") or "")
        dialog = WriteSetupPackDialog(lead, folder, fw.paths.data, self)
        if not dialog.exec():
            return
        passphrase, lead_name, out = dialog.values

        def work(progress: Progress, _cancelled: Cancelled) -> Path:
            progress(0, 0, "Writing and signing the setup pack")
            return fw.create_setup_pack(inspection.id, passphrase, out, lead_name)

        def done(path: Path) -> None:
            fp = escape(fw.fingerprints()["signing"])
            show_message(
                self.pack_message,
                f"Setup pack written: <b>{escape(path.name)}</b> in {escape(str(path.parent))}."
                f"<br>Read this fingerprint out to the assessors; they check it before opening "
                f"the pack: <tt><b>{fp}</b></tt>",
            )
            self.reload_pack_state()

        def failed(exc: Exception) -> None:
            if isinstance(exc, ProbdeskError):
                show_problem(self, exc)
            else:
                self.runner.default_error(exc)

        self.runner.run("Writing the setup pack", work, done, failed, changes=Changes.TEAM)

    def team_names(self) -> list[str]:
        return [a.name for a in self.saved_team]

    # -- exports and comments back --------------------------------------------------------
    def selected_export(self) -> ExportSeen | None:
        rows = selected_rows(self.exports_view)
        return self.exports_model.row_at(rows[0]) if rows else None

    def look_for_exports(self) -> bool:
        """Read the assessors' exports for this inspection from the shared folder."""
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return False
        folder = str(self.settings.value(SHARED_FOLDER_KEY, "") or "").strip()
        if not folder:
            show_message(
                self.exports_message,
                "Choose the shared folder on the Sync tab first: the assessors' exports are there.",
                problem=True,
            )
            return False
        shared = Path(folder).expanduser()

        def work(progress: Progress, cancelled: Cancelled) -> Found:
            progress(0, 0, f"Reading the assessors' exports in {shared}")
            if not shared.is_dir():
                raise EnvironmentProblem(
                    f"The shared folder {shared} is not reachable now. Connect to it (or "
                    "choose it again on the Sync tab), then look again."
                )
            exports = fw.read_exports(shared, inspection.id, cancelled)
            written = {e.path: export_written(e.path) for e in exports if e.problem is None}
            return exports, written

        def done(found: Found) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return  # another inspection was chosen meanwhile: these exports are not its
            exports, written = found
            oldest = datetime.min.replace(tzinfo=UTC)
            # each assessor's newest export first (a laptop's exports are cumulative)
            exports = sorted(exports, key=lambda e: written.get(e.path) or oldest, reverse=True)
            exports.sort(key=lambda e: (not e.name, e.name.casefold()))
            self.exports_folder = shared
            self.exports_model.set_exports(exports, written)
            readable = [e for e in exports if e.problem is None]
            names = sorted({e.name for e in readable}, key=str.casefold)
            if not exports:
                text = (
                    f"No export for this inspection in {shared} yet: assessors export on their "
                    "Sync tab."
                )
            else:
                text = f"Found {plural(len(readable), 'export')}" + (
                    f" from {', '.join(names)}." if names else "."
                )
                if len(readable) < len(exports):
                    text += (
                        f" {plural(len(exports) - len(readable), 'file')} could not be read: "
                        "see Problem."
                    )
                if readable:
                    text += " Select an assessor's export to send them comments."
            show_message(self.exports_message, text, problem=not readable)
            self._update_buttons()

        def failed(exc: Exception) -> None:
            if isinstance(exc, ProbdeskError):
                cancelled = isinstance(exc, OperationCancelled)  # as asked: not a problem
                show_message(self.exports_message, exc.message, problem=not cancelled)
            else:
                self.runner.default_error(exc)

        return self.runner.run("Looking for the assessors' exports", work, done, failed)

    def send_comments(self) -> bool:
        fw, inspection, export = self.fieldwork, self.inspection, self.selected_export()
        shared = self.exports_folder
        if fw is None or inspection is None or export is None or shared is None:
            return False
        if export.problem is not None:
            return False
        try:
            author = fw.ws.device().assessor or "Team lead"
            cases = [c for c in fw.ws.cases(inspection.id) if c.assessor == export.name]
        except ProbdeskError as exc:
            show_problem(self, exc)
            return False
        inspection_id, device_id = inspection.id, export.device_id

        def send(comments: list[tuple[str | None, str]], returned: list[str]) -> Path:
            from probdesk.services.fieldwork import SendbackComment

            notes = [SendbackComment(case_id, text) for case_id, text in comments]
            return fw.create_sendback(inspection_id, device_id, notes, returned, shared, author)

        dialog = SendBackDialog(export, cases, self.runner, send, self)
        if not dialog.exec() or dialog.path is None:
            return False
        path = dialog.path
        n_comments, n_returned = dialog.sent
        show_message(
            self.exports_message,
            f"Comments for {export.name} written: {path.name} in {path.parent} "
            f"({plural(n_comments, 'comment')}, {plural(n_returned, 'case')} returned). "
            f"{export.name}'s laptop opens them at its next sync.",
        )
        return True
