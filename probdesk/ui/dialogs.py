"""Dialogs: new inspection, case facts (add or edit a case), answer history.

Each dialog calls its service itself and keeps the inspector's input on screen with the message
when the service refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html import escape

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from probdesk import bundled
from probdesk.domain.answers import HistoryEntry
from probdesk.domain.hlc import HLC
from probdesk.domain.questionset import Fact, FactType, Question, QuestionSet
from probdesk.errors import ProbdeskError
from probdesk.services.questionsets import load_bundled
from probdesk.services.workspace import ROLES

REGIONS = (
    "Wales", "London", "Greater Manchester", "North West", "West Midlands", "East Midlands",
    "North East", "Yorkshire and the Humber", "East of England", "Kent, Surrey and Sussex",
    "South West", "South Central",
)  # fmt: skip


class _Dialog(QDialog):
    """A form with an error line that shows what the service refused, and OK / Cancel."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.outer.addLayout(self.form)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a4000f; font-weight: bold;")
        self.error.setAccessibleName("Problem")
        self.error.hide()
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _accept(self) -> None:
        try:
            self.apply()
        except ProbdeskError as exc:
            details = "\n".join(exc.details)
            self.show_error(exc.message + (f"\n{details}" if details else ""))
            return
        self.accept()

    def apply(self) -> None:
        raise NotImplementedError


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def python_date(d: QDate) -> date:
    """The date a QDate holds (QDate.toPython, whose stub says it returns object)."""
    return date(d.year(), d.month(), d.day())


class NewInspectionDialog(_Dialog):
    """Kind, region, PDU (or the PDUs a regional sample spans), fieldwork dates, question set
    (bundled or a file), and who is assessing."""

    def __init__(
        self,
        create: Callable[[str, str, date, date, str, str, str, str], object],
        assessor: str = "",
        role: str = "inspector",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("New inspection", parent)
        self._create = create
        self.result_value: object = None
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of inspection")
        self.kind.addItem("PDU inspection", "pdu")
        self.kind.addItem("Regional inspection (own sample; pools the region's PDUs)", "region")
        self.kind.setToolTip(
            "A regional inspection has its own case sample and question set; its figures also "
            "pool every PDU inspection of the region merged into the hub"
        )
        self.form.addRow("&Kind", self.kind)
        self.region = QComboBox()
        self.region.setEditable(True)
        self.region.addItems(REGIONS)
        self.region.setCurrentIndex(-1)
        self.region.setAccessibleName("Region")
        self.form.addRow("&Region", self.region)
        self.pdu = QLineEdit()
        self.pdu.setAccessibleName("PDU")
        self.pdu.setPlaceholderText("e.g. Plymouth")
        self.form.addRow("&PDU", self.pdu)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        today = date.today()
        self.start = QDateEdit(_qdate(today))
        self.start.setCalendarPopup(True)
        self.start.setAccessibleName("Fieldwork start")
        self.form.addRow("Fieldwork &starts", self.start)
        self.end = QDateEdit(_qdate(today))
        self.end.setCalendarPopup(True)
        self.end.setAccessibleName("Fieldwork end")
        self.form.addRow("Fieldwork &ends", self.end)
        row = QHBoxLayout()
        self.question_set = QComboBox()
        self.question_set.setAccessibleName("Question set")
        for qs, path in zip(load_bundled(), bundled.bundled_question_sets(), strict=True):
            self.question_set.addItem(f"{qs.title} ({qs.version})", str(path))
        row.addWidget(self.question_set, 1)
        choose = QPushButton("Choose &file…")
        choose.setAccessibleName("Choose a question-set file")
        choose.clicked.connect(self._choose)
        row.addWidget(choose)
        self.form.addRow("&Question set", row)
        self.assessor = QLineEdit(assessor)
        self.assessor.setAccessibleName("Your name or initials")
        self.form.addRow("Your name or &initials", self.assessor)
        self.role = QComboBox()
        self.role.setAccessibleName("Your role")
        for key, label in ROLES.items():
            self.role.addItem(label, key)
        self.role.setCurrentIndex(max(0, self.role.findData(role)))
        self.form.addRow("Your r&ole", self.role)
        self.resize(560, 0)

    def _kind_changed(self) -> None:
        regional = self.kind.currentData() == "region"
        label = self.form.labelForField(self.pdu)
        if isinstance(label, QLabel):
            label.setText("&PDUs sampled" if regional else "&PDU")
        self.pdu.setAccessibleName("PDUs sampled" if regional else "PDU")
        self.pdu.setPlaceholderText(
            "e.g. Plymouth, Devon & Torbay (comma-separated)" if regional else "e.g. Plymouth"
        )

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Question set", "", "Question sets (*.yaml *.yml)"
        )
        if path:
            self.question_set.addItem(path, path)
            self.question_set.setCurrentIndex(self.question_set.count() - 1)

    def apply(self) -> None:
        self.result_value = self._create(
            self.region.currentText(),
            self.pdu.text(),
            python_date(self.start.date()),
            python_date(self.end.date()),
            str(self.question_set.currentData()),
            self.assessor.text(),
            str(self.role.currentData()),
            str(self.kind.currentData()),
        )


class FactsDialog(_Dialog):
    """The case facts form, generated from the question set; with a reference for a new case."""

    def __init__(
        self,
        qs: QuestionSet,
        save: Callable[[str, dict[str, object]], object],
        facts: dict[str, object] | None = None,
        reference: str | None = None,
        new_case: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add case" if new_case else f"Case facts: {reference}", parent)
        self._save = save
        self.result_value: object = None
        facts = facts or {}
        self.reference = QLineEdit(reference or "")
        self.reference.setAccessibleName("Case reference")
        self.reference.setPlaceholderText("CRN or pseudonym, never a name")
        self.reference.setReadOnly(not new_case)
        self.form.addRow("Case &reference", self.reference)
        self.inputs: dict[str, QComboBox | QLineEdit] = {}
        for f in qs.facts:
            widget = self._input(f, facts.get(f.id))
            label = f.label + ("" if f.required else " (optional)")
            self.form.addRow(label, widget)
            if f.help:
                widget.setToolTip(f.help)
            self.inputs[f.id] = widget
        self.resize(520, 0)

    @staticmethod
    def _input(f: Fact, value: object) -> QComboBox | QLineEdit:
        allowed = f.allowed_values()
        if allowed is not None:
            combo = QComboBox()
            combo.setAccessibleName(f.label)
            combo.addItem("— choose —", None)
            for v in allowed:
                combo.addItem(f.label_of(v), v)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        edit = QLineEdit("" if value is None else str(value))
        edit.setAccessibleName(f.label)
        if f.type is FactType.DATE:
            edit.setPlaceholderText("YYYY-MM-DD")
        return edit

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for fid, w in self.inputs.items():
            v = w.currentData() if isinstance(w, QComboBox) else w.text().strip() or None
            if v is not None:
                out[fid] = v
        return out

    def apply(self) -> None:
        self.result_value = self._save(self.reference.text(), self.values())


def _value_text(q: Question | None, value: object) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, tuple):
        return ", ".join(q.label_of(v) if q else str(v) for v in value)
    return q.label_of(value) if q else str(value)


class HistoryDialog(QDialog):
    def __init__(
        self,
        question: Question | None,
        entries: list[HistoryEntry],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        qid = question.id if question else "?"
        self.setWindowTitle(f"History of {qid}")
        self.setAccessibleName(f"History of {qid}")
        layout = QVBoxLayout(self)
        if question:
            intro = QLabel(f"<b>{escape(question.id)}</b> {escape(question.text)}")
            intro.setWordWrap(True)
            layout.addWidget(intro)
        self.table = QTableWidget(len(entries), 4)
        self.table.setAccessibleName("Changes")
        self.table.setHorizontalHeaderLabels(["When", "Who", "Change", "Note"])
        for i, e in enumerate(entries):
            wall = HLC.parse(e.hlc).wall_ms / 1000
            shown = datetime.fromtimestamp(wall).strftime("%d %b %Y %H:%M:%S")
            change = f"{_value_text(question, e.old_value)} → {_value_text(question, e.new_value)}"
            cells = (shown, e.recorded_by, change, "changed" if e.note_changed else "")
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 320)


class PassphraseDialog(_Dialog):
    """The data passphrase, where the computer has no key store: asked at start to unlock the
    data folder, or chosen (twice, and checked for strength) when the folder is new."""

    def __init__(self, folder: str, new: bool, problem: str = "", parent: QWidget | None = None):
        super().__init__("probdesk: data passphrase", parent)
        self.new = new
        if new:
            intro = (
                "This computer has no key store for probdesk to keep the key to your data in. "
                f"Choose a passphrase for {escape(folder)}: probdesk asks for it each time it "
                "starts. Four unrelated words make a strong one."
            )
        else:
            intro = f"Your data in {escape(folder)} is locked. Give its passphrase to open it."
        label = QLabel(intro)
        label.setWordWrap(True)
        self.outer.insertWidget(0, label)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.form.addRow("Passphrase", self.passphrase)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        if new:
            self.form.addRow("Again", self.again)
        self.setMinimumWidth(460)
        if problem:
            self.show_error(problem)

    def apply(self) -> None:
        from probdesk.errors import InputError
        from probdesk.passphrases import check_passphrase

        if not self.passphrase.text():
            raise InputError("Give the passphrase, or Cancel to leave your data locked.")
        if self.new:
            if self.again.text() != self.passphrase.text():
                raise InputError("The two passphrases differ: type the same one twice.")
            check_passphrase(self.passphrase.text(), what="data passphrase")


def ask_passphrase(parent: QWidget | None, folder: str, new: bool, problem: str) -> str | None:
    """The passphrase typed, or None when the user cancelled."""
    dialog = PassphraseDialog(folder, new, problem, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.passphrase.text()
