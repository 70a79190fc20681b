"""The Team lead tab: the team, the case sample (import and assignment), the setup pack, and
comments sent back to the assessors.

Nothing of a sample file is imported until the team lead has seen the check and pressed
Import; adding the cases, assigning them, writing the pack, reading the assessors' exports and
writing their comments packs go through the Runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    Signal,
)
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
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import Assessor, Case, Inspection
from probdesk.errors import EnvironmentProblem, InputError, ProbdeskError
from probdesk.services.fieldwork import check_passphrase
from probdesk.services.workspace import ROLES
from probdesk.ui.changes import Changes
from probdesk.ui.dialogs import _Dialog
from probdesk.ui.kit.layout import (
    fixed_font_label,
    hint_label,
    name_buttons,
    plural,
    scrolling_body,
)
from probdesk.ui.kit.messages import message_label, show_message, show_problem
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY, shared_folder_problem
from probdesk.ui.kit.tables import RecordTableModel, record_view, selected_rows
from probdesk.ui.runner import Cancelled, Progress, Runner

if TYPE_CHECKING:
    from probdesk.services.fieldwork import ExportSeen, Fieldwork
    from probdesk.services.sample_import import SampleCase, SampleReport, Table

TEAM_ROLES = ("inspector", "local_assessor")
MIN_PASSPHRASE = 10  # as probdesk.services.fieldwork.MIN_PASSPHRASE (checked again there)
Index = QModelIndex | QPersistentModelIndex
Found = tuple[list["ExportSeen"], dict[Path, datetime | None]]  # exports, when each was written


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
        check_passphrase(passphrase, (self.lead.text(),))  # and again, with the inspection's
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


# -- comments back to an assessor ---------------------------------------------------------------


def export_written(path: Path) -> datetime | None:
    """When an export was written, from its signed manifest (None when it cannot be read)."""
    from probdesk.packages import reader
    from probdesk.packages.format import PackageError

    try:
        stamp = reader.peek_manifest(path).get("created_at")
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except (PackageError, OSError, ValueError):
        return None


def _local_time(at: datetime | None) -> str:
    return at.astimezone().strftime("%d %b %Y %H:%M") if at else ""


class ExportsModel(RecordTableModel):
    """The assessors' exports found in the shared folder: one row per package file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Assessor", lambda e: e.name or "(not readable)"),
                ("Role", lambda e: ROLES.get(e.role, e.role)),
                ("Laptop key fingerprint", lambda e: e.fingerprint),
                ("Cases", lambda e: str(e.counts.get("cases", ""))),
                ("Answers", lambda e: str(e.counts.get("answers", ""))),
                ("Written", lambda e: _local_time(self.written.get(e.path))),
                ("Problem", lambda e: e.problem or ""),
            ],
            tooltip=lambda e: str(e.path),
            parent=parent,
        )
        self.written: dict[Path, datetime | None] = {}

    def set_exports(
        self, exports: Sequence[ExportSeen], written: dict[Path, datetime | None]
    ) -> None:
        self.written = dict(written)
        self.set_rows(exports)


class SendBackCasesModel(QAbstractTableModel):
    """An assessor's cases: which to return for more work, and the comment on each."""

    RETURN_COLUMN = 2
    HEADERS = ("Reference", "Status", "Return for more work", "Comment")

    def __init__(self, cases: Sequence[Case], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cases = list(cases)
        self.returned: set[str] = set()
        self.comments: dict[str, str] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.RETURN_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not (0 <= index.row() < len(self.cases)):
            return None
        case, column = self.cases[index.row()], index.column()
        comment = self.comments.get(case.id, "").strip()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return case.reference
            if column == 1:
                return case.status.label
            if column == 3:
                return comment.splitlines()[0] if comment else ""
            return None
        if role == Qt.ItemDataRole.CheckStateRole and column == self.RETURN_COLUMN:
            checked = case.id in self.returned
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and comment:
            return comment
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            not index.isValid()
            or index.column() != self.RETURN_COLUMN
            or role != Qt.ItemDataRole.CheckStateRole
        ):
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(str(value)))
        case_id = self.cases[index.row()].id
        if state == Qt.CheckState.Checked:
            self.returned.add(case_id)
        else:
            self.returned.discard(case_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def set_comment(self, row: int, text: str) -> None:
        case_id = self.cases[row].id
        if self.comments.get(case_id, "") == text:
            return
        self.comments[case_id] = text
        cell = self.index(row, 3)
        self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    def collected(self) -> tuple[list[tuple[str | None, str]], list[str]]:
        """(case id, comment) for every case with a comment, and the cases to return."""
        comments: list[tuple[str | None, str]] = [
            (c.id, self.comments[c.id].strip())
            for c in self.cases
            if self.comments.get(c.id, "").strip()
        ]
        return comments, [c.id for c in self.cases if c.id in self.returned]


SendBack = Callable[[list[tuple[str | None, str]], list[str]], Path]


class SendBackDialog(_Dialog):
    """Comments on an assessor's cases, the cases to return, and a general comment.

    OK writes the pack through the Runner with the dialog still open: when the service refuses
    (nothing to send, the shared folder is away) its message shows here and nothing typed is
    lost. Accepted with `path`, the pack written.
    """

    def __init__(
        self,
        export: ExportSeen,
        cases: Sequence[Case],
        runner: Runner,
        send: SendBack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Send comments to {export.name}", parent)
        self.export = export
        self.runner = runner
        self.send = send
        self.busy = False
        self.path: Path | None = None
        self.sent: tuple[int, int] = (0, 0)
        self._row: int | None = None
        fp = escape(export.fingerprint).replace(" ", "&nbsp;")  # never broken over two lines
        intro = QLabel(
            f"Comments for <b>{escape(export.name)}</b>, encrypted for the laptop whose key has "
            f"the fingerprint <tt>{fp}</tt>. Select a case to comment "
            "on it; tick <i>Return for more work</i> to reopen it on their laptop. The pack is "
            "written to the shared folder and opened at their next sync."
        )
        intro.setWordWrap(True)
        self.outer.insertWidget(0, intro)
        self.model = SendBackCasesModel(cases, self)
        self.view = record_view(self.model, f"{export.name}'s cases in this inspection")
        self.view.setMinimumHeight(220)
        self.outer.insertWidget(1, self.view, 1)
        if not cases:
            none = QLabel(
                f"No case in this inspection is assigned to {export.name}: you can "
                "still write a general comment."
            )
            none.setWordWrap(True)
            self.outer.insertWidget(2, none)
        self.case_label = QLabel("Comment on the selected &case")
        self.case_comment = QPlainTextEdit()
        self.case_comment.setAccessibleName("Comment on the selected case")
        self.case_comment.setTabChangesFocus(True)
        self.case_comment.setMaximumHeight(110)
        self.case_label.setBuddy(self.case_comment)
        self.form.addRow(self.case_label, self.case_comment)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("General comment, not about one case")
        self.note.setPlaceholderText("Optional: a comment about their work as a whole")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(80)
        note_label = QLabel("&General comment")
        note_label.setBuddy(self.note)
        self.form.addRow(note_label, self.note)
        name_buttons(self.buttons, "&Send comments", f"Send the comments to {export.name}")
        self.view.selectionModel().currentRowChanged.connect(self._case_chosen)
        self.case_comment.textChanged.connect(self._comment_edited)
        self._case_chosen(QModelIndex(), QModelIndex())
        if cases:
            self.view.selectRow(0)
        self.resize(720, 640)

    def _case_chosen(self, current: Index, _previous: Index) -> None:
        row = current.row() if current.isValid() else None
        self._row = None  # while the editor is refilled, nothing is written back
        if row is None:
            self.case_comment.setPlainText("")
            self.case_comment.setEnabled(False)
            self.case_comment.setPlaceholderText("Select a case above to comment on it")
            self.case_label.setText("Comment on the selected &case")
        else:
            case = self.model.cases[row]
            self.case_comment.setEnabled(True)
            self.case_comment.setPlainText(self.model.comments.get(case.id, ""))
            self.case_comment.setPlaceholderText(f"What needs more work in case {case.reference}")
            self.case_label.setText(f"Comment on &case {case.reference}")
            self.case_comment.setAccessibleName(f"Comment on case {case.reference}")
        self._row = row

    def _comment_edited(self) -> None:
        if self._row is not None:
            self.model.set_comment(self._row, self.case_comment.toPlainText())

    def comments(self) -> tuple[list[tuple[str | None, str]], list[str]]:
        comments, returned = self.model.collected()
        note = self.note.toPlainText().strip()
        if note:
            comments.insert(0, (None, note))
        return comments, returned

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.buttons.setEnabled(not busy)

    def reject(self) -> None:
        if not self.busy:  # the pack is being written: it finishes, then the dialog closes
            super().reject()

    def _accept(self) -> None:
        if self.busy:
            return
        comments, returned = self.comments()
        self.error.hide()
        send = self.send

        def work(progress: Progress, _cancelled: Cancelled) -> Path:
            progress(0, 0, "Signing, encrypting and writing the comments")
            return send(comments, returned)

        def done(path: Path) -> None:
            self._set_busy(False)
            self.path = path
            self.sent = (len(comments), len(returned))
            self.accept()

        def failed(exc: Exception) -> None:
            self._set_busy(False)
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            details = "\n".join(exc.details)
            self.show_error(exc.message + (f"\n{details}" if details else ""))

        self._set_busy(True)
        title = f"Sending comments to {self.export.name}"
        if not self.runner.run(title, work, done, failed, changes=Changes.HUB | Changes.OUTBOX):
            self._set_busy(False)
            self.show_error("Please wait: another operation is still running.")


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
        self.exports_folder: Path | None = None  # where the exports on show were found

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
        content.addWidget(back_box)

        self.name_edit.returnPressed.connect(self.add_assessor)
        self.add_button.clicked.connect(self.add_assessor)
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_team_button.clicked.connect(self.save_team)
        self.import_button.clicked.connect(self.import_sample)
        self.assign_button.clicked.connect(self.assign_selected)
        self.write_button.clicked.connect(self.write_setup_pack)
        self.look_button.clicked.connect(self.look_for_exports)
        self.send_button.clicked.connect(self.send_comments)
        self.exports_view.selectionModel().selectionChanged.connect(self._update_buttons)
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
            for label in (
                self.team_message,
                self.cases_message,
                self.pack_message,
                self.exports_message,
            ):
                show_message(label, "")
            self.exports_model.set_exports([], {})
            self.exports_folder = None
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
        export = self.selected_export()
        self.send_button.setEnabled(export is not None and export.problem is None)
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

        self.runner.run(
            f"Importing {plural(len(rows), 'case')}", work, done, self._failed,
            changes=Changes.TEAM | Changes.CASES,
        )  # fmt: skip

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

        return self.runner.run(
            f"Assigning cases to {name}", work, done, self._failed,
            changes=Changes.TEAM | Changes.CASES,
        )  # fmt: skip

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

        def work(progress: Progress, _cancelled: Cancelled) -> Found:
            progress(0, 0, f"Reading the assessors' exports in {shared}")
            if not shared.is_dir():
                raise EnvironmentProblem(
                    f"The shared folder {shared} is not reachable now. Connect to it (or "
                    "choose it again on the Sync tab), then look again."
                )
            exports = fw.read_exports(shared, inspection.id)
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
                show_message(self.exports_message, exc.message, problem=True)
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
            return fw.create_sendback(inspection_id, device_id, comments, returned, shared, author)

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
