"""The Team lead tab: the team, the case sample (import and assignment) and the setup pack.

Nothing of a sample file is imported until the team lead has seen the check and pressed
Import; adding the cases, assigning them and writing the pack go through the Runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
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
from probdesk.domain.records import Assessor, Case, Inspection
from probdesk.errors import InputError, ProbdeskError
from probdesk.services.workspace import ROLES
from probdesk.ui.case_form import show_problem
from probdesk.ui.dialogs import _Dialog
from probdesk.ui.runner import Cancelled, Progress, Runner
from probdesk.ui.sync_panel import (
    SHARED_FOLDER_KEY,
    RecordTableModel,
    fixed_font_label,
    hint_label,
    message_label,
    name_buttons,
    plural,
    record_view,
    scrolling_body,
    selected_rows,
    shared_folder_problem,
    show_message,
)

if TYPE_CHECKING:
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.sample_import import SampleCase, SampleReport, Table

TEAM_ROLES = ("inspector", "local_assessor")
MIN_PASSPHRASE = 10  # as probdesk.services.fieldwork.MIN_PASSPHRASE (checked again there)


# -- import case sample ------------------------------------------------------------------------


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


# -- write setup pack --------------------------------------------------------------------------


class WriteSetupPackDialog(_Dialog):
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
        if len(passphrase) < MIN_PASSPHRASE:
            raise InputError(f"The passphrase must be at least {MIN_PASSPHRASE} characters long.")
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


# -- the panel ---------------------------------------------------------------------------------


class TeamModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [("Name or initials", lambda a: a.name), ("Role", lambda a: ROLES.get(a.role, a.role))],
            parent=parent,
        )


class SampleCaseModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Reference", lambda c: c.reference),
                ("PDU", lambda c: c.pdu or ""),
                ("Assessor", lambda c: c.assessor or "not assigned"),
                ("Status", lambda c: c.status.label),
            ],
            parent=parent,
        )


class SetupPanel(QWidget):
    cases_changed = Signal(str)  # inspection id: cases were added or assigned

    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None
        self.saved_team: list[Assessor] = []

        layout = scrolling_body(self, "Team lead")
        self.hint = hint_label(
            "Choose an inspection at the top, or create one with New inspection…, to set up "
            "its team, its case sample and the setup pack for the assessors.",
            "Team lead: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)

        top = QHBoxLayout()
        team_box = QGroupBox("1. The team")
        team_box.setAccessibleName("The team")
        team_layout = QVBoxLayout(team_box)
        self.team_model = TeamModel(self)
        self.team_view = record_view(self.team_model, "Assessors on the team", multi=True)
        team_layout.addWidget(self.team_view, 1)
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("New assessor's name or initials")
        self.name_edit.setPlaceholderText("Name or initials")
        row.addWidget(self.name_edit, 1)
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("New assessor's role")
        for role in TEAM_ROLES:
            self.role_combo.addItem(ROLES[role], role)
        row.addWidget(self.role_combo)
        self.add_button = QPushButton("A&dd")
        self.add_button.setAccessibleName("Add the assessor")
        row.addWidget(self.add_button)
        team_layout.addLayout(row)
        row = QHBoxLayout()
        self.remove_button = QPushButton("&Remove selected")
        self.remove_button.setAccessibleName("Remove the selected assessors")
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.save_team_button = QPushButton("Sa&ve team")
        self.save_team_button.setAccessibleName("Save the team")
        row.addWidget(self.save_team_button)
        team_layout.addLayout(row)
        self.team_message = message_label("Team: message")
        self.team_message.hide()
        team_layout.addWidget(self.team_message)
        top.addWidget(team_box, 1)

        cases_box = QGroupBox("2. The case sample and who assesses each case")
        cases_box.setAccessibleName("Case sample")
        cases_layout = QVBoxLayout(cases_box)
        row = QHBoxLayout()
        self.import_button = QPushButton("&Import case sample…")
        self.import_button.setAccessibleName("Import case sample")
        row.addWidget(self.import_button)
        self.cases_summary = QLabel("")
        self.cases_summary.setAccessibleName("Case sample summary")
        row.addWidget(self.cases_summary, 1)
        cases_layout.addLayout(row)
        self.cases_message = message_label("Case sample: message")
        self.cases_message.hide()
        cases_layout.addWidget(self.cases_message)
        self.cases_model = SampleCaseModel(self)
        self.cases_view = record_view(self.cases_model, "Cases and their assessors", multi=True)
        cases_layout.addWidget(self.cases_view, 1)
        row = QHBoxLayout()
        assign_label = QLabel("Assign the selected cases &to")
        self.assign_combo = QComboBox()
        self.assign_combo.setAccessibleName("Assessor for the selected cases")
        self.assign_combo.setMinimumWidth(160)
        assign_label.setBuddy(self.assign_combo)
        row.addWidget(assign_label)
        row.addWidget(self.assign_combo)
        self.assign_button = QPushButton("A&ssign")
        self.assign_button.setAccessibleName("Assign the selected cases")
        row.addWidget(self.assign_button)
        row.addStretch(1)
        cases_layout.addLayout(row)
        top.addWidget(cases_box, 2)
        content.addLayout(top, 1)

        pack_box = QGroupBox("3. The setup pack for the assessors")
        pack_box.setAccessibleName("Setup pack")
        pack_layout = QVBoxLayout(pack_box)
        row = QHBoxLayout()
        self.write_button = QPushButton("&Write setup pack…")
        self.write_button.setAccessibleName("Write setup pack")
        row.addWidget(self.write_button)
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
        content.addWidget(pack_box)

        self.name_edit.returnPressed.connect(self.add_assessor)
        self.add_button.clicked.connect(self.add_assessor)
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_team_button.clicked.connect(self.save_team)
        self.import_button.clicked.connect(self.import_sample)
        self.assign_button.clicked.connect(self.assign_selected)
        self.write_button.clicked.connect(self.write_setup_pack)
        self.team_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.cases_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.set_inspection(None)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        self.fingerprint.setText(fieldwork.fingerprints()["signing"])
        self.set_inspection(self.inspection)

    def set_inspection(self, inspection: Inspection | None) -> None:
        if self.inspection is None or inspection is None or inspection.id != self.inspection.id:
            for label in (self.team_message, self.cases_message, self.pack_message):
                show_message(label, "")
        self.inspection = inspection
        ready = inspection is not None and self.fieldwork is not None
        self.hint.setVisible(not ready)
        self.content.setVisible(ready)
        self.reload_team()
        self.reload_cases()
        self.reload_pack_state()

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

    def reload_team(self) -> None:
        team: list[Assessor] = []
        if self.fieldwork is not None and self.inspection is not None:
            try:
                team = self.fieldwork.team(self.inspection.id)
            except ProbdeskError:
                team = []
        self.saved_team = team
        self.team_model.set_rows(team)
        self.assign_combo.clear()
        for a in team:
            self.assign_combo.addItem(f"{a.name} ({ROLES.get(a.role, a.role)})", a.name)
        self._update_buttons()

    def reload_cases(self) -> None:
        cases: list[Case] = []
        if self.fieldwork is not None and self.inspection is not None:
            try:
                cases = self.fieldwork.ws.cases(self.inspection.id)
            except ProbdeskError:
                cases = []
        self.cases_model.set_rows(cases)
        unassigned = sum(1 for c in cases if not c.assessor)
        text = plural(len(cases), "case")
        if cases:
            text += f", {unassigned} not assigned" if unassigned else ", every case assigned"
        self.cases_summary.setText(text)
        self._update_buttons()

    def _team_dirty(self) -> bool:
        return self.team_model.rows != self.saved_team

    def _update_buttons(self) -> None:
        dirty = self._team_dirty()
        self.remove_button.setEnabled(bool(selected_rows(self.team_view)))
        self.save_team_button.setEnabled(dirty)
        self.assign_button.setEnabled(
            bool(selected_rows(self.cases_view)) and self.assign_combo.count() > 0
        )
        if dirty:
            show_message(self.team_message, "The team has changes that are not saved yet.")

    # -- team -----------------------------------------------------------------------------
    def add_assessor(self) -> None:
        name = " ".join(self.name_edit.text().split())
        if not name:
            show_message(self.team_message, "Type the assessor's name or initials.", problem=True)
            return
        if any(a.name.casefold() == name.casefold() for a in self.team_model.rows):
            show_message(
                self.team_message,
                f"{name} is already on the team; use initials to tell two people apart.",
                problem=True,
            )
            return
        role = str(self.role_combo.currentData())
        self.team_model.set_rows([*self.team_model.rows, Assessor(name, role)])
        self.name_edit.clear()
        self._update_buttons()

    def remove_selected(self) -> None:
        gone = set(selected_rows(self.team_view))
        self.team_model.set_rows([a for i, a in enumerate(self.team_model.rows) if i not in gone])
        self._update_buttons()

    def save_team(self) -> bool:
        if self.fieldwork is None or self.inspection is None:
            return False
        try:
            self.fieldwork.set_team(self.inspection.id, self.team_model.rows)
        except ProbdeskError as exc:
            show_message(self.team_message, exc.message, problem=True)
            return False
        self.reload_team()
        show_message(self.team_message, f"Team saved: {plural(len(self.saved_team), 'assessor')}.")
        return True

    # -- cases ----------------------------------------------------------------------------
    def import_sample(self) -> None:
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return
        if self._team_dirty() and not self.save_team():
            return
        pdus = list(inspection.pdus) or [inspection.pdu]
        dialog = ImportSampleDialog(
            fw.ws.question_set(inspection),
            pdus,
            [a.name for a in self.saved_team],
            [c.reference for c in self.cases_model.rows],
            self,
        )
        if not dialog.exec() or not dialog.cases:
            return
        rows = dialog.cases
        default_pdu = pdus[0] if len(pdus) == 1 else None

        def work(progress: Progress, cancelled: Cancelled) -> tuple[int, str | None]:
            for n, row in enumerate(rows):
                if cancelled():
                    return n, "Cancelled."
                progress(n, len(rows), f"Adding case {row.reference} ({n + 1} of {len(rows)})")
                try:
                    fw.add_sample_case(
                        inspection.id, row.reference, row.facts, row.pdu or default_pdu,
                        row.assessor,
                    )  # fmt: skip
                except ProbdeskError as exc:
                    return n, f"Row {row.row}: {exc.message}"
            return len(rows), None

        def done(outcome: tuple[int, str | None]) -> None:
            added, problem = outcome
            if problem is None:
                show_message(self.cases_message, f"Imported {plural(added, 'case')}.")
            else:
                show_message(
                    self.cases_message,
                    f"Imported {added} of {plural(len(rows), 'case')}, then stopped. {problem} "
                    "Import the file again to add the rest: cases already added are left out.",
                    problem=True,
                )
            self.reload_cases()
            self.cases_changed.emit(inspection.id)

        self.runner.run(f"Importing {plural(len(rows), 'case')}", work, done, self._failed)

    def selected_cases(self) -> list[Case]:
        return [self.cases_model.row_at(i) for i in selected_rows(self.cases_view)]

    def assign_selected(self) -> bool:
        fw, inspection = self.fieldwork, self.inspection
        cases, name = self.selected_cases(), self.assign_combo.currentData()
        if fw is None or inspection is None or not cases or not name:
            return False

        def work(progress: Progress, cancelled: Cancelled) -> int:
            for n, case in enumerate(cases):
                if cancelled():
                    return n
                progress(n, len(cases), f"Assigning case {case.reference} to {name}")
                fw.assign(case.id, str(name))
            return len(cases)

        def done(n: int) -> None:
            show_message(self.cases_message, f"{plural(n, 'case')} assigned to {name}.")
            self.reload_cases()
            self.cases_changed.emit(inspection.id)

        return self.runner.run(f"Assigning cases to {name}", work, done, self._failed)

    def _failed(self, exc: Exception) -> None:
        self.reload_cases()
        self.runner.default_error(exc)

    # -- setup pack -----------------------------------------------------------------------
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

        self.runner.run("Writing the setup pack", work, done, failed)

    def team_names(self) -> list[str]:
        return [a.name for a in self.saved_team]
