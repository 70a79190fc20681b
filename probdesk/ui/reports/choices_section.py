"""Sections 1 and 2 of the Reports tab: the kind of report, and the cases to print."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
)

from probdesk.ui.kit import colours
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.tables import record_view
from probdesk.ui.reports.models import (
    CASES,
    KEEP_SELECTED,
    PDU,
    REGION,
    ReportCaseModel,
    ReportChoices,
)
from probdesk.ui.reports.state import ReportsState


class ChoicesSection(ReportsState):
    """Sections 1 and 2: what to print (case summaries, a PDU summary, the regional summary)
    and which cases, from the list the hub holds.

    A part of ReportsPanel: it builds its widgets in its own methods and holds their slots;
    the state the sections share (fieldwork, inspection, choices, the hub) is the panel's,
    declared in ReportsState (state.py).
    """

    def _build_what(self) -> QGroupBox:
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
        self.about.setStyleSheet(f"color: {colours.css('strong')}; padding-top: 6px;")
        what.addWidget(self.about)
        return what_box

    def _build_cases(self) -> QGroupBox:
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
        return cases_box

    def kind(self) -> str:
        return (CASES, PDU, REGION)[max(self.kind_group.checkedId(), 0)]

    def selected_refs(self) -> list[str]:
        """The selected cases' references, in the order the list shows them."""
        rows = sorted(self.case_view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.case_model.row_at(self.proxy.mapToSource(i).row()).reference for i in rows]

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
