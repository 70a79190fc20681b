"""Section 3 of the Reports tab: building the PDF through the window's Runner, with progress
and Cancel, and opening or printing the result."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from probdesk.errors import OperationCancelled, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.services.hub_access import hub_of
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.reports.models import (
    BUILD_TITLE,
    CASES,
    MARKING_KEY,
    PDU,
    REGION,
    ReportRequest,
    build_report,
)
from probdesk.ui.reports.state import ReportsState


class OutputSection(ReportsState):
    """Section 3: the print settings (marking, where the PDF goes, the file names), building
    the PDF on the Runner, then opening or printing what was written.

    A part of ReportsPanel: it builds its widgets in its own methods and holds their slots;
    the state the sections share (fieldwork, inspection, choices, the hub) is the panel's,
    declared in ReportsState (state.py).
    """

    def _build_output(self) -> QGroupBox:
        build_box, build = section("3. Build the PDF", "Build the PDF")
        row = QHBoxLayout()
        marking_label = QLabel("Protective mar&king:")
        self.marking_edit = QLineEdit(str(self.settings.value(MARKING_KEY, "") or ""))
        self.marking_edit.setAccessibleName("Protective marking, printed on every page")
        self.marking_edit.setToolTip("Printed at the top and bottom of every page")
        marking_label.setBuddy(self.marking_edit)
        row.addWidget(marking_label)
        row.addWidget(self.marking_edit, 1)
        self.provisional_box = QCheckBox("Pro&visional figures")
        self.provisional_box.setAccessibleName(
            "Provisional figures: summaries count every answered case"
        )
        self.provisional_box.setToolTip(
            "PDU and regional summaries count submitted, approved and locked cases only. "
            "Ticked, they count every case with an answer, and every page says PROVISIONAL."
        )
        row.addWidget(self.provisional_box)
        build.addLayout(row)
        row = QHBoxLayout()
        self.build_button = QPushButton("&Write PDF…")
        self.build_button.setAccessibleName("Write the report as PDF")
        self.build_button.setToolTip("Choose where to save it, then build it")
        row.addWidget(self.build_button)
        self.choice_text = QLabel("")
        self.choice_text.setAccessibleName("What will be printed")
        self.choice_text.setWordWrap(True)
        row.addWidget(self.choice_text, 1)
        build.addLayout(row)
        self.result = message_label("Report: result")
        self.result.hide()
        build.addWidget(self.result)
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the report in the system's viewer")
        self.print_button = QPushButton("Print")
        self.print_button.setAccessibleName("Print the report")
        self.print_button.setToolTip("Send the report to the printer (Ctrl+P)")
        row.addWidget(self.open_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        build.addLayout(row)
        self.written: list[Path] = []
        self.target: Path | None = None  # the file written, or the folder of files
        return build_box

    def marking(self) -> str:
        text = " ".join(self.marking_edit.text().split())
        if text:
            return text
        from probdesk.reports.model import DEFAULT_MARKING

        return DEFAULT_MARKING

    def _remember_marking(self) -> None:
        self.settings.setValue(MARKING_KEY, self.marking())

    # -- building ---------------------------------------------------------------------------
    def reports_folder(self) -> Path:
        assert self.fieldwork is not None
        return self.fieldwork.paths.data / "reports"

    def proposed_output(self) -> Path:
        """Where the report would go unless the user says otherwise."""
        from probdesk.services.reports import case_file_name, safe_name

        folder = self.reports_folder()
        kind = self.kind()
        if kind == REGION:
            return folder / "region-summary.pdf"
        if kind == PDU:
            return folder / f"pdu-{safe_name(self.pdu_summary_combo.currentText())}.pdf"
        if self.all_of_pdu_radio.isChecked():
            name = f"cases-{safe_name(self.cases_pdu_combo.currentText())}"
        else:
            refs = self.selected_refs()
            if len(refs) == 1:
                name = case_file_name(refs[0], self.by_reference_box.isChecked()).removesuffix(
                    ".pdf"
                )
            else:
                name = f"cases-{len(refs)}-selected"
        return folder / name if self.folder_box.isChecked() else folder / f"{name}.pdf"

    def choose_output(self, proposed: Path, folder: bool) -> Path | None:
        """Ask where to save (a Save As dialog, or a folder dialog); None if the user cancels."""
        if folder:
            start = proposed.parent
            start.mkdir(parents=True, exist_ok=True)
            chosen = QFileDialog.getExistingDirectory(
                self, "Choose the folder for the case summaries", str(start)
            )
        else:
            proposed.parent.mkdir(parents=True, exist_ok=True)
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save the report as", str(proposed), "PDF documents (*.pdf)"
            )
        return Path(chosen) if chosen else None

    def request(self) -> ReportRequest | None:
        """The report chosen on the tab, with where to write it (asks); None if not ready."""
        self._update()
        if not self.build_button.isEnabled() or self.choices is None:
            return None
        kind, folder = self.kind(), False
        refs: tuple[str, ...] = ()
        pdu: str | None = None
        if kind == PDU:
            pdu = self.pdu_summary_combo.currentText()
        elif kind == CASES:
            folder = self.folder_box.isChecked()
            if self.all_of_pdu_radio.isChecked():
                pdu = self.cases_pdu_combo.currentText()
            else:
                refs = tuple(self.selected_refs())
        try:
            out = self.choose_output(self.proposed_output(), folder)
        except OSError as exc:
            show_message(self.result, f"Cannot use {self.reports_folder()}: {exc}", problem=True)
            return None
        if out is None:
            return None
        if not folder and out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")
        return ReportRequest(
            kind, out, refs, pdu, folder, self.marking(), self.by_reference_box.isChecked(),
            self.provisional_box.isChecked(),
        )  # fmt: skip

    def build(self) -> bool:
        """Ask where to save the chosen report, then build it through the runner."""
        inspection, fw = self.inspection, self.fieldwork
        if inspection is None or fw is None:
            return False
        request = self.request()
        if request is None:
            return False
        self._remember_marking()
        try:
            hub = hub_of(self.hub_access)
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, cancelled: Cancelled) -> list[Path]:
            try:
                author = fw.ws.device().assessor
            except ProbdeskError:
                author = ""
            return build_report(hub, inspection.id, author, request, progress, cancelled)

        def done(paths: list[Path]) -> None:
            self._show_result(paths, request.out if request.folder else None)

        def failed(exc: Exception) -> None:
            if isinstance(exc, OperationCancelled):
                self._show_result([])
                show_message(self.result, "Cancelled: no report was written.")
                return
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            self._show_result([])
            show_message(self.result, exc.message, problem=True)

        self._show_result([])
        return self.runner.run(BUILD_TITLE, work, done, failed)

    def _show_result(self, paths: list[Path], folder: Path | None = None) -> None:
        self.written = list(paths)
        self.target = folder if folder is not None else (paths[0] if paths else None)
        if folder is not None:
            show_message(self.result, f"Written: {plural(len(paths), 'PDF')} in {folder}")
            self.open_button.setText("&Open the folder")
            self.open_button.setAccessibleName("Open the folder of reports")
            self.print_button.setText(f"Print all {len(paths)}")
        else:
            show_message(self.result, f"Written: {paths[0]}" if paths else "")
            self.open_button.setText("&Open")
            self.open_button.setAccessibleName("Open the report in the system's viewer")
            self.print_button.setText("Print")
        self.open_button.setVisible(bool(paths))
        self.print_button.setVisible(bool(paths))

    # -- opening and printing -----------------------------------------------------------------
    def open_result(self) -> bool:
        if self.target is None:
            return False
        if not self.system_open(self.target):
            show_message(
                self.result,
                f"No program here opens {self.target.name}: open it from {self.target.parent}.",
                problem=True,
            )
            return False
        return True

    def print_result(self) -> bool:
        if not self.written:
            return False
        sent = 0
        for path in self.written:
            if not self.system_print(path):
                break
            sent += 1
        if sent < len(self.written):
            show_message(
                self.result,
                "This computer has no print command: press Open and print from the viewer.",
                problem=True,
            )
            return False
        what = self.written[0].name if sent == 1 else plural(sent, "PDF")
        show_message(self.result, f"Sent {what} to the printer.")
        return True

    def system_open(self, path: Path) -> bool:
        """Show `path` (a PDF or a folder) in the system's viewer."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def system_print(self, path: Path) -> bool:
        """Send the PDF at `path` to the default printer; False when there is no way to."""
        if sys.platform == "win32":
            try:
                os.startfile(path, "print")  # type: ignore[attr-defined]  # Windows only
            except OSError:
                return False
            return True
        lp = shutil.which("lp")
        if lp is None:
            return False
        ok, _pid = QProcess.startDetached(lp, [str(path)])
        return bool(ok)
