"""The New inspection dialog (File > New inspection…): kind, region, PDUs, dates, question set
and who is assessing.

Each dialog calls its service itself and keeps the inspector's input on screen with the message
when the service refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from probdesk import bundled
from probdesk.services.questionsets import load_bundled
from probdesk.services.workspace import ROLES
from probdesk.ui.kit.dialog import FormDialog

REGIONS = (
    "Wales", "London", "Greater Manchester", "North West", "West Midlands", "East Midlands",
    "North East", "Yorkshire and the Humber", "East of England", "Kent, Surrey and Sussex",
    "South West", "South Central",
)  # fmt: skip


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def python_date(d: QDate) -> date:
    """The date a QDate holds (QDate.toPython, whose stub says it returns object)."""
    return date(d.year(), d.month(), d.day())


class NewInspectionDialog(FormDialog):
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
