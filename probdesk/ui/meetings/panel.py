"""Meetings and focus groups: who attended (groups and head counts, never names), which
non-case questions were covered, and the notes for each."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import GroupAttendance, Meeting, MeetingKind
from probdesk.domain.words import day_text
from probdesk.errors import ProbdeskError
from probdesk.services.workspace import Workspace
from probdesk.ui.kit.autosave_text import AutosaveText
from probdesk.ui.kit.messages import show_problem
from probdesk.ui.kit.saver import Saver
from probdesk.ui.kit.tables import Index, RowsTableModel, record_view


class MeetingTableModel(RowsTableModel[Meeting]):
    HEADERS = ("Date", "Kind", "Title", "Attended", "Questions")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.HEADERS, parent)
        self.qs: QuestionSet | None = None

    def set_rows(self, rows: Sequence[Meeting], qs: QuestionSet | None = None) -> None:
        self.qs = qs
        super().set_rows(rows)

    def meeting_at(self, row: int) -> Meeting:
        return self.row_at(row)

    def row_of(self, meeting_id: str) -> int:
        return next((i for i, m in enumerate(self._rows) if m.id == meeting_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        m = self._rows[index.row()]
        groups = ", ".join(f"{self._group(g.group_id)} ×{g.head_count}" for g in m.groups)
        return (
            day_text(m.held_on),
            m.kind.label,
            m.title,
            groups,
            str(len(m.questions)),
        )[index.column()]

    def _group(self, gid: str) -> str:
        if self.qs is None:
            return gid
        try:
            return self.qs.group(gid).label
        except KeyError:
            return gid


class MeetingEditor(QWidget):
    """Details of one meeting and a notes field per non-case question covered."""

    def __init__(
        self, workspace: Workspace | None, saver: Saver, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.saver = saver
        self.qs: QuestionSet | None = None
        self.inspection_id: str | None = None
        self.meeting: Meeting | None = None
        self.notes: dict[str, AutosaveText] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # The details above, the notes below, split so that the notes (what is typed during
        # the meeting) get at least half of the height; each part scrolls on its own.
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("meetingSplit")
        self.split.setChildrenCollapsible(False)
        outer.addWidget(self.split)
        details = QWidget()
        layout = QVBoxLayout(details)
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setAccessibleName("Meeting details")
        self.details_scroll.setWidget(details)
        self.details_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.split.addWidget(self.details_scroll)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName("Meeting kind")
        for k in MeetingKind:
            self.kind.addItem(k.label, k)
        form.addRow("&Kind", self.kind)
        self.held_on = QDateEdit(QDate.currentDate())
        self.held_on.setCalendarPopup(True)
        self.held_on.setAccessibleName("Meeting date")
        form.addRow("Dat&e", self.held_on)
        self.title = QLineEdit()
        self.title.setAccessibleName("Meeting title")
        self.title.setPlaceholderText("e.g. Practitioners focus group (POs)")
        form.addRow("T&itle", self.title)
        layout.addLayout(form)
        self.groups_box = QGroupBox("Participant groups and head counts (no names)")
        self.groups_layout = QGridLayout(self.groups_box)
        layout.addWidget(self.groups_box)
        self.counts: dict[str, QSpinBox] = {}
        self.questions_box = QGroupBox("Non-case questions covered")
        qlayout = QVBoxLayout(self.questions_box)
        self.questions = QListWidget()
        self.questions.setAccessibleName("Non-case questions covered")
        qlayout.addWidget(self.questions)
        layout.addWidget(self.questions_box)
        self.save_button = QPushButton("Save &details")
        self.save_button.setAccessibleName("Save meeting details")
        self.save_button.clicked.connect(self.save_details)
        layout.addWidget(self.save_button)
        self.notes_scroll = QScrollArea()
        self.notes_scroll.setWidgetResizable(True)
        self.notes_scroll.setAccessibleName("Meeting notes")
        self.split.addWidget(self.notes_scroll)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)
        self.split.setSizes([400, 600])  # in proportion: the notes get 60%
        self.setEnabled(False)

    def note_share(self) -> float:
        """The part of the editor's height the notes have (checked at 1366x768)."""
        total = sum(self.split.sizes())
        return self.split.sizes()[1] / total if total else 0.0

    def order_tabs(self) -> None:
        """Tab goes down the page as it reads: kind, date, title, each head count (row by
        row), the questions, Save details, then the notes (the head counts are made when an
        inspection is chosen, the notes for each meeting, so Qt's own order is not this)."""
        chain: list[QWidget] = [self.kind, self.held_on, self.title, *self.counts.values(),
                                self.questions, self.save_button, *self.notes.values()]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    @property
    def workspace(self) -> Workspace:
        """The open data: the window attaches it before the editor is used."""
        if self._workspace is None:
            raise RuntimeError("no data is open yet")
        return self._workspace

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def set_inspection(self, inspection_id: str | None, qs: QuestionSet | None) -> None:
        self.flush()
        self.inspection_id, self.qs, self.meeting = inspection_id, qs, None
        for w in list(self.counts.values()):
            w.deleteLater()
        while self.groups_layout.count():
            taken = self.groups_layout.takeAt(0)
            widget = taken.widget() if taken else None
            if widget:
                widget.deleteLater()
        self.counts = {}
        self.questions.clear()
        if qs is not None:
            for i, g in enumerate(qs.participant_groups):
                label = QLabel(g.label)
                spin = QSpinBox()
                spin.setRange(0, 500)
                spin.setAccessibleName(f"Head count: {g.label}")
                label.setBuddy(spin)
                self.groups_layout.addWidget(label, i // 2, (i % 2) * 2)
                self.groups_layout.addWidget(spin, i // 2, (i % 2) * 2 + 1)
                self.counts[g.id] = spin
            for n in qs.non_case_questions:
                item = QListWidgetItem(f"{n.id}  [{n.theme}] {n.text}")
                item.setData(Qt.ItemDataRole.UserRole, n.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.questions.addItem(item)
        self.new_meeting()
        self.setEnabled(inspection_id is not None)

    def new_meeting(self) -> None:
        self.flush()
        self.meeting = None
        self.kind.setCurrentIndex(1)
        self.held_on.setDate(QDate.currentDate())
        self.title.clear()
        for spin in self.counts.values():
            spin.setValue(0)
        for i in range(self.questions.count()):
            self.questions.item(i).setCheckState(Qt.CheckState.Unchecked)
        self._build_notes()

    def show_meeting(self, meeting: Meeting) -> None:
        self.flush()
        self.meeting = meeting
        self.kind.setCurrentIndex(self.kind.findData(meeting.kind))
        d = meeting.held_on
        self.held_on.setDate(QDate(d.year, d.month, d.day))
        self.title.setText(meeting.title)
        counts = {g.group_id: g.head_count for g in meeting.groups}
        for gid, spin in self.counts.items():
            spin.setValue(counts.get(gid, 0))
        for i in range(self.questions.count()):
            item = self.questions.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in meeting.questions
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._build_notes()

    def _build_notes(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        self.notes = {}
        if self.meeting is None or self.qs is None:
            hint = QLabel("Save the meeting's details to start taking notes.")
            hint.setWordWrap(True)
            layout.addWidget(hint)
        else:
            existing = self.workspace.meeting_notes(self.meeting.id)
            for qid in self.meeting.questions:
                n = next((x for x in self.qs.non_case_questions if x.id == qid), None)
                label = QLabel(f"<b>{escape(qid)}</b> {escape(n.text if n else qid)}")
                label.setWordWrap(True)
                layout.addWidget(label)
                edit = AutosaveText()
                edit.setAccessibleName(f"Notes for {qid}")
                edit.setMinimumHeight(90)
                edit.set_text_quietly(existing.get(qid, ""))
                edit.settled.connect(lambda q=qid: self._save_note(q))
                label.setBuddy(edit)
                layout.addWidget(edit)
                self.notes[qid] = edit
        layout.addStretch(1)
        self.notes_scroll.setWidget(body)
        self.order_tabs()

    def _save_note(self, qid: str) -> None:
        if self.meeting is None:
            return
        meeting_id, text = self.meeting.id, self.notes[qid].toPlainText()
        self.saver.save(
            ("meeting", meeting_id, qid),
            lambda: self.workspace.record_meeting_note(meeting_id, qid, text),
        )

    def flush(self) -> None:
        for edit in self.notes.values():
            edit.flush()

    def save_details(self) -> Meeting | None:
        if self.inspection_id is None:
            return None
        groups = [GroupAttendance(g, s.value()) for g, s in self.counts.items() if s.value() > 0]
        questions = [
            str(self.questions.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.questions.count())
            if self.questions.item(i).checkState() == Qt.CheckState.Checked
        ]
        chosen = self.held_on.date()  # not toPython(): its stub says it returns object
        held = date(chosen.year(), chosen.month(), chosen.day())
        try:
            self.meeting = self.workspace.save_meeting(
                self.inspection_id,
                MeetingKind(self.kind.currentData()),
                held,
                self.title.text(),
                groups,
                questions,
                self.meeting.id if self.meeting else None,
            )
        except ProbdeskError as exc:
            show_problem(self, exc)
            return None
        self.saver.saved.emit(datetime.now().strftime("%H:%M:%S"))
        self._build_notes()
        return self.meeting


class MeetingsPanel(QSplitter):
    def __init__(
        self, workspace: Workspace | None, saver: Saver, parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("meetingsSplitter")
        self._workspace = workspace
        left = QWidget()
        llayout = QVBoxLayout(left)
        llayout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.new_button = QPushButton("&New meeting or focus group")
        self.new_button.setAccessibleName("New meeting or focus group")
        bar.addWidget(self.new_button)
        bar.addStretch(1)
        llayout.addLayout(bar)
        self.model = MeetingTableModel(self)
        self.view = record_view(self.model, "Meetings and focus groups")
        llayout.addWidget(self.view)
        self.addWidget(left)
        self.editor = MeetingEditor(workspace, saver)
        self.addWidget(self.editor)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 3)
        self.setSizes([360, 1000])  # in proportion: the editor's head counts fit side by side
        self.inspection_id: str | None = None
        self.new_button.clicked.connect(self.editor.new_meeting)
        self.view.selectionModel().currentRowChanged.connect(self._selected)
        self.editor.save_button.clicked.connect(self._refresh_after_save)

    @property
    def workspace(self) -> Workspace:
        """The open data: the window attaches it before the panel is used."""
        if self._workspace is None:
            raise RuntimeError("no data is open yet")
        return self._workspace

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = self.editor.workspace = workspace

    def set_inspection(self, inspection_id: str | None, qs: QuestionSet | None) -> None:
        self.inspection_id = inspection_id
        self.editor.set_inspection(inspection_id, qs)
        rows = self.workspace.meetings(inspection_id) if inspection_id else []
        self.model.set_rows(rows, qs)

    def _selected(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self.editor.show_meeting(self.model.meeting_at(current.row()))

    def _refresh_after_save(self) -> None:
        if self.inspection_id is None or self.editor.meeting is None:
            return
        keep = self.editor.meeting.id
        self.model.set_rows(self.workspace.meetings(self.inspection_id), self.model.qs)
        row = self.model.row_of(keep)
        if row >= 0:
            self.view.selectionModel().blockSignals(True)
            self.view.selectRow(row)
            self.view.selectionModel().blockSignals(False)
