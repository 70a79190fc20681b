"""Importing a case sample from a CSV or XLSX table: the columns mapped, checked, then
imported."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.questionset import QuestionSet
from probdesk.errors import ProbdeskError
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import RecordTableModel, record_view

if TYPE_CHECKING:
    from probdesk.services.sample_import import SampleCase, SampleReport, Table


class ImportSampleDialog(QDialog):
    """Choose a CSV/XLSX file, confirm what each column holds, check, then import.

    Nothing is written here: the dialog is accepted with `cases`, the rows that passed the
    check, and the caller adds them.
    """

    def __init__(
        self,
        qs: QuestionSet,
        known_pdus: Sequence[str],
        assessors: Sequence[str],
        existing_references: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from probdesk.services import sample_import

        self.si = sample_import
        self.qs = qs
        self.known_pdus = list(known_pdus)
        self.assessors = list(assessors)
        self.existing = list(existing_references)
        self.path: Path | None = None
        self.table: Table | None = None
        self.report: SampleReport | None = None
        self.cases: list[SampleCase] = []
        self.combos: dict[str, QComboBox] = {}
        self.setWindowTitle("Import case sample")
        self.setAccessibleName("Import case sample")
        layout = QVBoxLayout(self)

        row = QHBoxLayout()
        file_label = QLabel("&File:")
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("Case sample file")
        self.file_edit.setPlaceholderText("A .csv or .xlsx file with one case per row")
        file_label.setBuddy(self.file_edit)
        row.addWidget(file_label)
        row.addWidget(self.file_edit, 1)
        self.choose_button = QPushButton("&Choose file…")
        self.choose_button.setAccessibleName("Choose the case sample file")
        row.addWidget(self.choose_button)
        self.sheet_label = QLabel("&Sheet:")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Worksheet")
        self.sheet_label.setBuddy(self.sheet_combo)
        row.addWidget(self.sheet_label)
        row.addWidget(self.sheet_combo)
        layout.addLayout(row)
        self.file_message = message_label("Case sample file: message")
        self.file_message.hide()
        layout.addWidget(self.file_message)

        self.mapping_box = QGroupBox("What each column holds (check the guesses)")
        self.mapping_box.setAccessibleName("Column mapping")
        box_layout = QVBoxLayout(self.mapping_box)
        self.mapping_scroll = QScrollArea()
        self.mapping_scroll.setWidgetResizable(True)
        self.mapping_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.mapping_scroll.setAccessibleName("Columns of the file")
        box_layout.addWidget(self.mapping_scroll)
        layout.addWidget(self.mapping_box, 3)

        row = QHBoxLayout()
        self.check_button = QPushButton("Chec&k")
        self.check_button.setAccessibleName("Check the sample")
        row.addWidget(self.check_button)
        self.summary = message_label("Check result")
        row.addWidget(self.summary, 1)
        layout.addLayout(row)
        self.problems_model = RecordTableModel(
            [
                ("Row", lambda p: str(p.row)),
                ("Column", lambda p: p.column or "(column mapping)"),
                ("Problem", lambda p: p.message),
            ],
            tooltip=str,
            parent=self,
        )
        self.problems_view = record_view(self.problems_model, "Problems found by the check")
        layout.addWidget(self.problems_view, 2)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel: import nothing")
        self.import_button = QPushButton("&Import cases")
        self.import_button.setAccessibleName("Import the cases that are ready")
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.choose_button.clicked.connect(self.choose_file)
        self.file_edit.returnPressed.connect(lambda: self.load_file(self.file_edit.text()))
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.check_button.clicked.connect(self.check)
        self._show_table()
        self.resize(900, 760)

    # -- file -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Case sample", "", "Case samples (*.csv *.xlsx);;All files (*)"
        )
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path, sheet: str | None = None) -> bool:
        """Read the file (a sample has at most 10,000 rows: quick enough to read here)."""
        path = Path(str(path).strip()).expanduser()
        self.file_edit.setText(str(path))
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            sheets = self.si.sheet_names(path) if sheet is None else None
            table = self.si.read_table(path, sheet)
        except ProbdeskError as exc:
            self.path = self.table = None
            show_message(self.file_message, exc.message, problem=True)
            self._show_table()
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.path, self.table = path, table
        if sheets is not None:
            self.sheet_combo.clear()
            self.sheet_combo.addItems(sheets)
        if table.sheet:
            self.sheet_combo.setCurrentText(table.sheet)
        n = len(table.rows)
        notes = " ".join(table.notes)
        show_message(
            self.file_message,
            f"{path.name}: {plural(n, 'case row')}, {plural(len(table.headers), 'column')}."
            + (f" {notes}" if notes else ""),
        )
        self._show_table()
        return True

    def _sheet_chosen(self, _index: int) -> None:
        if self.path is not None:
            self.load_file(self.path, self.sheet_combo.currentText())

    def _show_table(self) -> None:
        """One row per column of the file: its name, its first value, and a drop-down."""
        table = self.table
        has_sheets = self.sheet_combo.count() > 0 and table is not None and table.sheet
        self.sheet_label.setVisible(bool(has_sheets))
        self.sheet_combo.setVisible(bool(has_sheets))
        body = QWidget()
        grid = QGridLayout(body)
        grid.setHorizontalSpacing(16)
        grid.setColumnStretch(3, 1)  # keep name, value and choice together on the left
        self.combos = {}
        if table is None:
            grid.addWidget(QLabel("Choose the file first."), 0, 0)
        else:
            for col, text in enumerate(("Column in the file", "First value", "Holds")):
                head = QLabel(f"<b>{text}</b>")
                grid.addWidget(head, 0, col)
            suggested = self.si.suggest_mapping(table.headers, self.qs)
            targets = self.si.mapping_targets(self.qs)
            first = table.rows[0][1] if table.rows else []
            for i, header in enumerate(table.headers):
                name = QLabel(header)
                grid.addWidget(name, i + 1, 0)
                sample = QLabel(first[i] if i < len(first) else "")
                sample.setStyleSheet("color: palette(placeholder-text);")
                grid.addWidget(sample, i + 1, 1)
                combo = QComboBox()
                combo.setAccessibleName(f"Column {header} holds")
                for target, label in targets:
                    combo.addItem(label, target)
                combo.setCurrentIndex(max(0, combo.findData(suggested.get(header))))
                combo.currentIndexChanged.connect(self._invalidate)
                name.setBuddy(combo)
                grid.addWidget(combo, i + 1, 2)
                self.combos[header] = combo
            grid.setRowStretch(len(table.headers) + 1, 1)
        self.mapping_scroll.setWidget(body)
        self.check_button.setEnabled(table is not None)
        self._invalidate()

    def mapping(self) -> dict[str, str]:
        return {h: str(c.currentData()) for h, c in self.combos.items()}

    # -- check and import -----------------------------------------------------------------
    def _invalidate(self) -> None:
        self.report = None
        self.problems_model.set_rows([])
        self.import_button.setEnabled(False)
        self.import_button.setText("&Import cases")
        show_message(
            self.summary,
            "Press Check to see what would be imported." if self.table is not None else "",
        )

    def check(self) -> SampleReport | None:
        if self.table is None:
            return None
        self._invalidate()
        try:
            report = self.si.validate_sample(
                self.table,
                self.mapping(),
                self.qs,
                known_pdus=self.known_pdus,
                assessors=self.assessors,
                existing_references=self.existing,
            )
        except ProbdeskError as exc:
            show_message(self.summary, exc.message, problem=True)
            return None
        self.report = report
        self.problems_model.set_rows(report.problems)
        ready = len(report.rows)
        text = report.summary() + "."
        if ready and report.problems:
            text += " Rows with problems are left out: fix them in the file and import again."
        show_message(self.summary, text, problem=not ready)
        self.import_button.setEnabled(ready > 0)
        self.import_button.setText(f"&Import {plural(ready, 'case')}")
        self.import_button.setAccessibleName(f"Import {plural(ready, 'case')}")
        return report

    def _import(self) -> None:
        if self.report is None or not self.report.rows:
            return
        self.cases = list(self.report.rows)
        self.accept()
