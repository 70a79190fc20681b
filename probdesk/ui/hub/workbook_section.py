"""The Hub tab's workbook for analysts, below the figures (probdesk.services.workbook): the
inspection's cases, every answer, the codebook and the figures in one Excel file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
)

from probdesk.errors import OperationCancelled, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.services.figures import COUNTED_WORDS
from probdesk.ui.hub.state import HubState
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.messages import message_label, show_message

if TYPE_CHECKING:
    from probdesk.services.workbook import WorkbookResult

WORKBOOK_TITLE = "Saving the workbook for analysts"


class WorkbookSection(HubState):
    """Save workbook for analysts…: asks where, then writes it through the runner (progress,
    Cancel), and says how many cases it holds.

    A part of HubPanel: it builds its widgets in its own method and holds their slots; the
    state the sections share is the panel's, declared in HubState (state.py).
    """

    def _build_workbook(self) -> QGroupBox:
        box, layout = section("Data for analysts", "Data for analysts")
        row = QHBoxLayout()
        self.workbook_button = QPushButton("Save &workbook for analysts…")
        self.workbook_button.setAccessibleName("Save the workbook for analysts")
        self.workbook_button.setToolTip(
            "An Excel workbook of the inspection: a cover with the protective marking, a row "
            "per case with every fact and answer, every answer in long form, a codebook and "
            "the figures by PDU"
        )
        row.addWidget(self.workbook_button)
        self.workbook_notes_box = QCheckBox("With evidence &notes")
        self.workbook_notes_box.setAccessibleName("Put the evidence notes in the workbook")
        self.workbook_notes_box.setToolTip("The notes are case content: leave them out unless "
                                           "the analysts need them")  # fmt: skip
        row.addWidget(self.workbook_notes_box)
        row.addStretch(1)
        layout.addLayout(row)
        what = QLabel(
            "Every case the hub holds for the inspection, whatever its status; its Figures "
            f"sheet counts the {COUNTED_WORDS} cases only, whether Provisional is ticked or "
            "not. The file carries the case data: save it where only those who may read it "
            "can."
        )
        what.setWordWrap(True)
        layout.addWidget(what)
        self.workbook_message = message_label("Workbook: message")
        self.workbook_message.hide()
        layout.addWidget(self.workbook_message)
        self.workbook_button.clicked.connect(self.save_workbook)
        return box

    def workbook_folder(self) -> Path:
        assert self.fieldwork is not None
        return self.fieldwork.paths.data / "exports"

    def choose_workbook(self, proposed: Path) -> Path | None:
        """Ask where to save (a Save As dialog); None if the user cancels."""
        proposed.parent.mkdir(parents=True, exist_ok=True)
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the workbook for analysts as", str(proposed), "Excel workbooks (*.xlsx)"
        )
        return Path(chosen) if chosen else None

    def save_workbook(self) -> bool:
        """Ask where to save the workbook, then write it through the runner."""
        inspection, fw = self.inspection, self.fieldwork
        if inspection is None or fw is None:
            return False
        if not self.hub_exists():
            show_message(self.workbook_message, "Nothing has been merged into the hub yet: "
                         "merge the shared folder first.", problem=True)  # fmt: skip
            return False
        from probdesk.services.reports import safe_name

        proposed = self.workbook_folder() / f"workbook-{safe_name(inspection.pdu)}.xlsx"
        try:
            out = self.choose_workbook(proposed)
        except OSError as exc:
            show_message(self.workbook_message, f"Cannot use {proposed.parent}: {exc}",
                         problem=True)  # fmt: skip
            return False
        if out is None:
            return False
        if out.suffix.lower() != ".xlsx":
            out = out.with_name(out.name + ".xlsx")
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            show_message(self.workbook_message, exc.message, problem=True)
            return False
        with_notes = self.workbook_notes_box.isChecked()

        def work(progress: Progress, cancelled: Cancelled) -> WorkbookResult:
            from probdesk.services.workbook import write_workbook

            progress(0, 0, "Reading the hub")
            return write_workbook(
                hub, inspection.id, out, with_notes=with_notes, progress=progress,
                cancelled=cancelled,
            )  # fmt: skip

        def done(result: WorkbookResult) -> None:
            text = f"Workbook saved: {plural(result.cases, 'case')}"
            show_message(self.workbook_message, f"{text}, in {result.path}")
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(text, 5000)

        def failed(exc: Exception) -> None:
            if isinstance(exc, OperationCancelled):
                show_message(self.workbook_message, "Cancelled: no workbook was written.")
            elif isinstance(exc, ProbdeskError):
                show_message(self.workbook_message, exc.message, problem=True)
            else:
                self.runner.default_error(exc)

        show_message(self.workbook_message, "")
        return self.runner.run(WORKBOOK_TITLE, work, done, failed)
