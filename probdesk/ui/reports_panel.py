"""The Reports tab: the team lead prints case summaries, a PDU summary or the regional summary
from the hub, as PDF, then opens or prints the result.

The panel reads the window's hub (passed in, as to every tab) and builds every report through
the window's Runner, with progress and Cancel. The PDF code (ReportLab) is loaded
the first time the tab is shown, not when the window starts.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QItemSelectionModel,
    QProcess,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    QUrl,
)
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from probdesk.domain.records import CaseStatus, Inspection
from probdesk.errors import OperationCancelled, ProbdeskError
from probdesk.services.hub_access import hub_of
from probdesk.ui.changes import Changes
from probdesk.ui.kit.layout import hint_label, plural, scrolling_body, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import RecordTableModel, record_view
from probdesk.ui.runner import Cancelled, Progress, Runner

if TYPE_CHECKING:
    from probdesk.hub.store import Hub
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess

MARKING_KEY = "reports/marking"
CASES, PDU, REGION = "cases", "pdu", "region"
READ_TITLE = "Reading the cases for reports"
BUILD_TITLE = "Building the report"
ABOUT = {
    CASES: "A case summary gives the case facts, the assessor, the status and moderation, "
    "then every question with its answer and evidence notes, and any open conflict. "
    "Several cases in one PDF start with a contents page.",
    PDU: "A PDU summary gives the cases by variant and status, % Yes for every question "
    "(Not applicable left out) with its rating, charts by stage and the evidence from "
    "meetings and focus groups.",
    REGION: "The regional summary pools every PDU's cases, as the summary command does, and "
    "adds each PDU's key questions beside the region's.",
}
KEEP_SELECTED = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows


@dataclass(frozen=True)
class ReportCase:
    reference: str
    pdu: str
    status: str
    assessor: str


@dataclass(frozen=True)
class ReportChoices:
    """What the hub holds for one inspection that a report can be made of."""

    inspection_id: str
    region: str
    pdus: tuple[str, ...]
    cases: tuple[ReportCase, ...]


@dataclass(frozen=True)
class ReportRequest:
    """One report to build, as chosen on the tab; `out` is a file, or a folder if `folder`."""

    kind: str  # CASES, PDU or REGION
    out: Path
    refs: tuple[str, ...] = ()
    pdu: str | None = None  # the PDU summarised, or whose cases are printed
    folder: bool = False
    marking: str = ""
    by_reference: bool = False  # file names after case references (opt-in)


def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


def read_choices(hub: Hub, inspection_id: str) -> ReportChoices | None:
    """None when the hub does not hold the inspection (nothing merged for it yet)."""
    from probdesk.services.figures import holds
    from probdesk.services.reports import ReportSource

    if not holds(hub, inspection_id):
        return None
    source = ReportSource(hub, inspection_id)
    return ReportChoices(
        inspection_id,
        source.region,
        tuple(source.pdus),
        tuple(
            ReportCase(c.reference, c.pdu, status_label(c.status), c.assessor)
            for c in sorted(source.cases, key=lambda c: (c.pdu, c.reference))
        ),
    )


def build_report(
    hub: Hub,
    inspection_id: str,
    author: str,
    request: ReportRequest,
    progress: Progress,
    cancelled: Cancelled,
) -> list[Path]:
    """Build `request` from the hub (on the worker thread) through the one report dispatch,
    which `probdesk report` uses too; the files written."""
    from probdesk.services import reports

    return reports.build(
        hub,
        reports.ReportRequest(
            request.kind, request.out, inspection_id, request.refs, request.pdu, request.folder,
            request.marking, request.by_reference, author=author,
        ),
        progress,
        cancelled,
    )  # fmt: skip


class ReportCaseModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda c: c.reference),
                ("PDU", lambda c: c.pdu),
                ("Status", lambda c: c.status),
                ("Assessor", lambda c: c.assessor),
            ],
            parent=parent,
        )


class ReportsPanel(QWidget):
    def __init__(
        self,
        settings: QSettings,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.hub_access: HubAccess | None = None  # the window's hub: passed in (`set_hub`)
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None
        self.choices: ReportChoices | None = None
        self.written: list[Path] = []
        self.target: Path | None = None  # the file written, or the folder of files
        self._stale = True

        layout = scrolling_body(self, "Reports")
        self.hint = hint_label(
            "Choose an inspection at the top to print its case summaries and summary reports.",
            "Reports: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QWidget()
        self.content.setAccessibleName("Reports sections")
        body = QGridLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)

        # -- 1. what to print -----------------------------------------------------------------
        what_box, what = section("1. What to print", "What to print")
        self.kind_group = QButtonGroup(self)
        self.cases_radio = QRadioButton("Case &summaries")
        self.cases_radio.setAccessibleName("Print case summaries")
        self.cases_radio.setToolTip("One case per section, every question and its answer")
        self.pdu_radio = QRadioButton("PD&U summary")
        self.pdu_radio.setAccessibleName("Print a PDU summary")
        self.pdu_summary_combo = QComboBox()
        self.pdu_summary_combo.setAccessibleName("PDU to summarise")
        self.region_radio = QRadioButton("Re&gional summary")
        self.region_radio.setAccessibleName("Print the regional summary")
        self.region_name = QLabel("")
        self.region_name.setAccessibleName("Region")
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.cases_radio, 0, 0)
        grid.addWidget(QLabel("choose them in the list on the right"), 0, 1)
        grid.addWidget(self.pdu_radio, 1, 0)
        grid.addWidget(self.pdu_summary_combo, 1, 1)
        grid.addWidget(self.region_radio, 2, 0)
        grid.addWidget(self.region_name, 2, 1)
        for i, radio in enumerate((self.cases_radio, self.pdu_radio, self.region_radio)):
            self.kind_group.addButton(radio, i)
        self.cases_radio.setChecked(True)
        what.addLayout(grid)
        self.about = QLabel("")
        self.about.setWordWrap(True)
        self.about.setAccessibleName("What the report holds")
        self.about.setStyleSheet("color: #3b4753; padding-top: 6px;")
        what.addWidget(self.about)
        body.addWidget(what_box, 0, 0)

        # -- 3. print settings and building -----------------------------------------------------
        build_box, build = section("3. Build the PDF", "Build the PDF")
        row = QHBoxLayout()
        marking_label = QLabel("Protective mar&king:")
        self.marking_edit = QLineEdit(str(self.settings.value(MARKING_KEY, "") or ""))
        self.marking_edit.setAccessibleName("Protective marking, printed on every page")
        self.marking_edit.setToolTip("Printed at the top and bottom of every page")
        marking_label.setBuddy(self.marking_edit)
        row.addWidget(marking_label)
        row.addWidget(self.marking_edit, 1)
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
        body.addWidget(build_box, 1, 0)

        # -- 2. the cases -----------------------------------------------------------------------
        cases_box, cases = section("2. Cases to print", "Cases to print")
        self.cases_box = cases_box
        self.scope_group = QButtonGroup(self)
        row = QHBoxLayout()
        self.selected_radio = QRadioButton("S&elected cases")
        self.selected_radio.setAccessibleName("Print the cases selected in the list")
        self.all_of_pdu_radio = QRadioButton("All cases of a P&DU:")
        self.all_of_pdu_radio.setAccessibleName("Print all cases of a PDU")
        self.cases_pdu_combo = QComboBox()
        self.cases_pdu_combo.setAccessibleName("PDU whose cases are printed")
        self.scope_group.addButton(self.selected_radio, 0)
        self.scope_group.addButton(self.all_of_pdu_radio, 1)
        self.selected_radio.setChecked(True)
        row.addWidget(self.selected_radio)
        row.addSpacing(16)
        row.addWidget(self.all_of_pdu_radio)
        row.addWidget(self.cases_pdu_combo)
        row.addStretch(1)
        cases.addLayout(row)
        row = QHBoxLayout()
        filter_label = QLabel("Fi&lter:")
        self.filter_edit = QLineEdit()
        self.filter_edit.setAccessibleName("Filter the cases to print")
        self.filter_edit.setPlaceholderText("reference, PDU, status or assessor")
        self.filter_edit.setClearButtonEnabled(True)
        filter_label.setBuddy(self.filter_edit)
        row.addWidget(filter_label)
        row.addWidget(self.filter_edit, 1)
        self.selection_text = QLabel("")
        self.selection_text.setAccessibleName("Cases selected")
        row.addWidget(self.selection_text)
        cases.addLayout(row)
        self.case_model = ReportCaseModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.case_model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.case_view = record_view(self.proxy, "Cases to print", multi=True)
        self.case_view.setSortingEnabled(True)
        self.case_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.case_view.setMinimumHeight((self.fontMetrics().height() + 8) * 8)
        cases.addWidget(self.case_view, 1)
        self.folder_box = QCheckBox("O&ne PDF per case, into a folder")
        self.folder_box.setAccessibleName("One PDF per case, into a folder")
        self.folder_box.setToolTip("Otherwise the cases go into one PDF with a contents page")
        cases.addWidget(self.folder_box)
        self.by_reference_box = QCheckBox("Name &files after case references")
        self.by_reference_box.setAccessibleName("Name files after case references")
        self.by_reference_box.setToolTip(
            "Off: neutral names (case-summary.pdf, case-001.pdf, ...) with the reference inside. "
            "A file name is seen by anyone who sees the folder, its backups and sync tools."
        )
        cases.addWidget(self.by_reference_box)
        body.addWidget(cases_box, 0, 1, 3, 1)
        body.setColumnStretch(0, 2)
        body.setColumnStretch(1, 3)
        body.setRowStretch(2, 1)

        self.kind_group.idClicked.connect(lambda _i: self._update())
        self.scope_group.idClicked.connect(lambda _i: self._update())
        for combo in (self.pdu_summary_combo, self.cases_pdu_combo):
            combo.currentIndexChanged.connect(lambda _i: self._update())
        self.folder_box.toggled.connect(lambda _on: self._update())
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.case_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.proxy.modelReset.connect(self._update)
        self.proxy.layoutChanged.connect(self._update)
        self.marking_edit.editingFinished.connect(self._remember_marking)
        self.build_button.clicked.connect(self.build)
        self.open_button.clicked.connect(self.open_result)
        self.print_button.clicked.connect(self.print_result)
        print_shortcut = QShortcut(QKeySequence.StandardKey.Print, self)
        print_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        print_shortcut.activated.connect(self.print_result)
        self.runner.changed.connect(self._changed)
        self.runner.finished.connect(self._runner_finished)
        self._show_result([])
        self.set_inspection(None)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        self._stale = True
        self._update()
        self._refresh_if_shown()

    def set_inspection(self, inspection: Inspection | None) -> None:
        changed = (inspection.id if inspection else None) != (
            self.inspection.id if self.inspection else None
        )
        self.inspection = inspection
        if changed:
            self._show_choices(None)
            self._show_result([])
            self._stale = True
        self._update()
        self._refresh_if_shown()

    def kind(self) -> str:
        return (CASES, PDU, REGION)[max(self.kind_group.checkedId(), 0)]

    def selected_refs(self) -> list[str]:
        """The selected cases' references, in the order the list shows them."""
        rows = sorted(self.case_view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.case_model.row_at(self.proxy.mapToSource(i).row()).reference for i in rows]

    def marking(self) -> str:
        text = " ".join(self.marking_edit.text().split())
        if text:
            return text
        from probdesk.reports.model import DEFAULT_MARKING

        return DEFAULT_MARKING

    def _remember_marking(self) -> None:
        self.settings.setValue(MARKING_KEY, self.marking())

    def _update(self) -> None:
        ready = self.inspection is not None and self.fieldwork is not None
        has = ready and self.choices is not None
        self.hint.setVisible(not has)
        if not ready:
            self.hint.setText(
                "Choose an inspection at the top to print its case summaries and summary reports."
            )
        self.content.setVisible(has)
        kind = self.kind()
        per_pdu = self.all_of_pdu_radio.isChecked()
        self.cases_box.setEnabled(kind == CASES)
        self.pdu_summary_combo.setEnabled(kind == PDU)
        self.cases_pdu_combo.setEnabled(per_pdu)
        self.filter_edit.setEnabled(not per_pdu)
        self.case_view.setEnabled(not per_pdu)
        refs = self.selected_refs()
        shown = self.proxy.rowCount()
        total = self.case_model.rowCount()
        self.selection_text.setText(
            f"{len(refs)} of {plural(total, 'case')} selected"
            + (f", {shown} shown" if shown != total else "")
        )
        text, can = self._describe(kind, refs)
        self.choice_text.setText(text)
        self.about.setText(ABOUT[kind])
        self.build_button.setEnabled(has and can)

    def _describe(self, kind: str, refs: list[str]) -> tuple[str, bool]:
        if kind == REGION:
            return "The regional summary: every PDU's cases pooled.", True
        if kind == PDU:
            pdu = self.pdu_summary_combo.currentText()
            return (f"The summary of {pdu} PDU.", True) if pdu else ("Choose a PDU.", False)
        if self.all_of_pdu_radio.isChecked():
            pdu = self.cases_pdu_combo.currentText()
            count = sum(c.pdu == pdu for c in self.choices.cases) if self.choices else 0
            what = f"The {plural(count, 'case')} of {pdu}"
        elif refs:
            what = f"{plural(len(refs), 'case')}" if len(refs) > 1 else f"Case {refs[0]}"
            count = len(refs)
        else:
            return "Select one or more cases in the list (Ctrl+A selects all shown).", False
        if not count:
            return f"{what}: nothing to print.", False
        if self.folder_box.isChecked():
            return f"{what}, one PDF each, into a folder.", True
        return f"{what}, in one PDF.", True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.marking_edit.text():
            self.marking_edit.setText(self.marking())
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if self._stale and self.isVisible() and not self.runner.busy:
            self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes & Changes.HUB:
            self._stale = True  # a merge, a moderation, a settled conflict: read the hub again

    def _runner_finished(self, _title: str) -> None:
        self._refresh_if_shown()  # once the runner is free again

    # -- reading the hub --------------------------------------------------------------------
    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._stale = True

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def refresh(self) -> bool:
        """Read the inspection's cases and PDUs from the hub again."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None:
            self._show_choices(None)
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._stale = False
            self._show_choices(None)
            return False
        try:
            hub = hub_of(self.hub_access)
        except ProbdeskError as exc:
            self._show_choices(None, exc.message)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ReportChoices | None:
            progress(0, 0, "Reading the cases from the hub")
            return read_choices(hub, inspection.id)

        def done(choices: ReportChoices | None) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return  # the inspection changed meanwhile; stale is set, it reads again
            self._show_choices(choices)

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            self._show_choices(None, exc.message)

        started = self.runner.run(READ_TITLE, work, done, failed)
        if started:
            self._stale = False
        return started

    def _show_choices(self, choices: ReportChoices | None, problem: str = "") -> None:
        selected = set(self.selected_refs())
        self.choices = choices
        self.case_model.set_rows(choices.cases if choices else [])
        for combo in (self.pdu_summary_combo, self.cases_pdu_combo):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(choices.pdus) if choices else [])
            combo.setCurrentIndex(max(0, combo.findText(current)))
            combo.blockSignals(False)
        self.region_name.setText(choices.region if choices else "")
        if selected:  # keep what was selected across a refresh
            selection = self.case_view.selectionModel()
            for row in range(self.proxy.rowCount()):
                index = self.proxy.index(row, 0)
                if self.case_model.row_at(self.proxy.mapToSource(index).row()).reference in (
                    selected
                ):
                    selection.select(index, KEEP_SELECTED)
        if choices is None and self.inspection is not None and self.fieldwork is not None:
            self.hint.setText(
                problem
                or "The hub holds nothing for this inspection yet: merge the assessors' "
                "packages on the Hub tab first."
            )
        self._update()

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
            kind, out, refs, pdu, folder, self.marking(), self.by_reference_box.isChecked()
        )

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
                os.startfile(path, "print")  # type: ignore[attr-defined]
            except OSError:
                return False
            return True
        lp = shutil.which("lp")
        if lp is None:
            return False
        ok, _pid = QProcess.startDetached(lp, [str(path)])
        return bool(ok)
