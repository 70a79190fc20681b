"""The Evidence tab's dialogs: a document to log, a gap to raise or plan into a meeting, and
the reason or answer a step asks for. Each keeps what was typed when the service refuses it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from probdesk.domain.evidence import ATTACHMENT_LIMIT, MB, Document, Gap, size_in_mb
from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import Meeting
from probdesk.ui.evidence.models import DOCUMENT_KINDS, day_text, org_items
from probdesk.ui.kit import colours
from probdesk.ui.kit.dialog import FormDialog


class DocumentDialog(FormDialog):
    """Log a document: title, kind, date received, the questions it informs, a file."""

    def __init__(
        self,
        qs: QuestionSet,
        add: Callable[[str, str, date, list[str], Path | None], Document],
        informs: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add document", parent)
        self._add = add
        self.result_value: Document | None = None
        self.attachment: Path | None = None
        self.title = QLineEdit()
        self.title.setAccessibleName("Document title")
        self.title.setPlaceholderText("e.g. PDU business plan 2026 to 2027")
        self.form.addRow("&Title", self.title)
        self.kind = QComboBox()
        self.kind.setEditable(True)
        self.kind.addItems(DOCUMENT_KINDS)
        self.kind.setAccessibleName("Kind of document")
        self.form.addRow("&Kind", self.kind)
        today = date.today()
        self.received = QDateEdit(QDate(today.year, today.month, today.day))
        self.received.setCalendarPopup(True)
        self.received.setDisplayFormat("dd MMM yyyy")
        self.received.setAccessibleName("Date received")
        self.form.addRow("&Received on", self.received)
        self.informs = QListWidget()
        self.informs.setAccessibleName("Questions the document informs")
        for qid, text, prompt in org_items(qs):
            item = QListWidgetItem(("      " if prompt else "") + text)
            item.setData(Qt.ItemDataRole.UserRole, qid)
            item.setToolTip(text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = qid in informs
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.informs.addItem(item)
        self.informs.setMinimumHeight(220)
        self.informs.setWordWrap(True)
        self.informs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form.addRow("&Informs", self.informs)
        row = QHBoxLayout()
        self.file_label = QLabel("No file attached")
        self.file_label.setAccessibleName("Attached file")
        self.file_label.setWordWrap(True)
        row.addWidget(self.file_label, 1)
        self.choose_button = QPushButton("Attach &file…")
        self.choose_button.setAccessibleName("Attach a file")
        self.choose_button.clicked.connect(self.choose_file)
        row.addWidget(self.choose_button)
        self.remove_button = QPushButton("Re&move file")
        self.remove_button.setAccessibleName("Remove the attached file")
        self.remove_button.clicked.connect(lambda: self.set_attachment(None))
        self.remove_button.setEnabled(False)
        row.addWidget(self.remove_button)
        self.form.addRow(f"File (at most {ATTACHMENT_LIMIT // MB} MB)", row)
        self.buttons.button(self.buttons.StandardButton.Ok).setText("Add to the log")
        self.buttons.button(self.buttons.StandardButton.Ok).setAccessibleName("Add to the log")
        self.buttons.button(self.buttons.StandardButton.Cancel).setAccessibleName("Cancel")
        self.resize(760, 620)

    def checked(self) -> list[str]:
        return [
            str(self.informs.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.informs.count())
            if self.informs.item(i).checkState() == Qt.CheckState.Checked
        ]

    def choose_file(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a file", "", "All files (*)")
        if path:
            self.set_attachment(Path(path))
        return self.attachment

    def set_attachment(self, path: Path | None) -> None:
        self.attachment = path
        self.remove_button.setEnabled(path is not None)
        self.error.hide()
        if path is None:
            self.file_label.setText("No file attached")
            self.file_label.setStyleSheet("")
            return
        try:
            size = path.stat().st_size
        except OSError:
            size = -1
        too_big = size > ATTACHMENT_LIMIT
        shown = size_in_mb(size) if size >= 0 else "cannot be read"
        self.file_label.setText(
            f"{path.name} ({shown})"
            + (f": over the {ATTACHMENT_LIMIT // MB} MB limit" if too_big else "")
        )
        self.file_label.setStyleSheet(colours.problem_style() if too_big else "")

    def apply(self) -> None:
        received: date = self.received.date().toPython()  # type: ignore[assignment]  # the stubs say object: a QDate gives a date
        self.result_value = self._add(
            self.title.text(), self.kind.currentText(), received, self.checked(), self.attachment
        )


class TextDialog(FormDialog):
    """One piece of text the service needs (a reason, an outcome), with what it is for."""

    def __init__(
        self,
        title: str,
        intro: str,
        label: str,
        ok_text: str,
        apply: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self._apply = apply
        self.result_value: object = None
        about = QLabel(intro)
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setAccessibleName("About")
        self.form.addRow(about)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName(label.replace("&", ""))
        self.text.setMinimumHeight(90)
        self.form.addRow(label, self.text)
        ok = self.buttons.button(self.buttons.StandardButton.Ok)
        ok.setText(ok_text)
        ok.setAccessibleName(ok_text)
        self.buttons.button(self.buttons.StandardButton.Cancel).setAccessibleName("Cancel")
        self.resize(520, 260)

    def apply(self) -> None:
        self.result_value = self._apply(self.text.toPlainText())


class GapDialog(FormDialog):
    """Raise a gap, or a point to clarify, against a question."""

    def __init__(
        self,
        qs: QuestionSet,
        raise_gap: Callable[[str, str], Gap],
        question_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Raise a gap to clarify", parent)
        self._raise = raise_gap
        self.result_value: Gap | None = None
        self.question = QComboBox()
        self.question.setAccessibleName("Question the gap is against")
        self.question.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.question.setMinimumContentsLength(50)
        for qid, text, prompt in org_items(qs):
            self.question.addItem(("    " if prompt else "") + text, qid)
            self.question.setItemData(self.question.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        if question_id is not None:
            self.question.setCurrentIndex(max(0, self.question.findData(question_id)))
        self.form.addRow("&Question", self.question)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("What is missing or needs clarifying")
        self.text.setPlaceholderText("e.g. Ask for the vacancy figures behind the workforce plan")
        self.text.setMinimumHeight(90)
        self.form.addRow("&What to clarify", self.text)
        ok = self.buttons.button(self.buttons.StandardButton.Ok)
        ok.setText("Raise")
        ok.setAccessibleName("Raise the gap")
        self.buttons.button(self.buttons.StandardButton.Cancel).setAccessibleName("Cancel")
        self.resize(620, 280)

    def apply(self) -> None:
        self.result_value = self._raise(str(self.question.currentData()), self.text.toPlainText())


class PlanDialog(FormDialog):
    """Choose the meeting or focus group in which a gap will be asked."""

    def __init__(
        self,
        gap: Gap,
        meetings: Sequence[Meeting],
        plan: Callable[[str], Gap],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Plan into a meeting or focus group", parent)
        self._plan = plan
        self.result_value: Gap | None = None
        about = QLabel(f"{gap.question_id}: {gap.text}")
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setAccessibleName("The gap")
        self.form.addRow(about)
        self.meeting = QComboBox()
        self.meeting.setAccessibleName("Meeting or focus group")
        for m in meetings:
            self.meeting.addItem(f"{day_text(m.held_on)}  {m.kind.label}: {m.title}", m.id)
        if gap.meeting_id is not None:
            self.meeting.setCurrentIndex(max(0, self.meeting.findData(gap.meeting_id)))
        self.form.addRow("&Meeting or focus group", self.meeting)
        ok = self.buttons.button(self.buttons.StandardButton.Ok)
        ok.setText("Plan")
        ok.setAccessibleName("Plan the gap into this meeting")
        self.buttons.button(self.buttons.StandardButton.Cancel).setAccessibleName("Cancel")
        self.resize(520, 180)

    def apply(self) -> None:
        self.result_value = self._plan(str(self.meeting.currentData()))
