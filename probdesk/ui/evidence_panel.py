"""The Evidence tab: domain one evidence for the chosen inspection. The evidence log (documents
the PDU or region submitted), gaps to clarify tracked until answered or closed, and, per judged
question, the evidence side by side with the team's judgement and its history.

Every write is one quick local unit of work (`EvidenceLog`), made on the GUI thread as the
Meetings tab makes its own; dialogs keep what was typed when the service refuses it. The case
findings come from the hub (the window's, passed in) through probdesk.services.figures, read on the
window's Runner. Judgements are recorded by people: nothing here computes one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.evidence import (
    ATTACHMENT_LIMIT,
    MB,
    Document,
    Gap,
    Judgement,
    MeetingNote,
    SurveyFigure,
    Triangulation,
    size_in_mb,
)
from probdesk.domain.questionset import NonCaseQuestion, OrgQuestion, QuestionSet
from probdesk.domain.records import Inspection, Meeting, MeetingKind
from probdesk.errors import ProbdeskError
from probdesk.services.evidence import EvidenceLog
from probdesk.services.hub_access import hub_of
from probdesk.services.workspace import Workspace
from probdesk.ui.changes import Changes
from probdesk.ui.dialogs import _Dialog
from probdesk.ui.kit.layout import hint_label, plural, scrolling_body, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import RecordTableModel, record_view
from probdesk.ui.runner import Cancelled, Progress, Runner
from probdesk.ui.saver import Saver

if TYPE_CHECKING:
    from probdesk.services.figures import CaseFindings, EvidenceNote, SummaryRow
    from probdesk.services.hub_access import HubAccess

READ_TITLE = "Reading the case findings from the hub"
DOCUMENT_KINDS = (
    "Policy", "Plan", "Performance data", "Staff survey", "Self-assessment", "Other",
)  # fmt: skip
NO_INSPECTION = (
    "Choose an inspection at the top to log the documents the PDU or region submitted, track "
    "gaps to clarify, and record the team's judgements."
)
NO_QUESTIONS = (
    "This inspection's question set has no domain-one or non-case questions: there is no "
    "organisational evidence to log."
)
MERGE_FIRST = "Merge the packages in the Hub tab to see the case findings."
MERGE_ON_LEAD = (
    "The case findings come from the hub: the team lead sees them here once the packages are "
    "merged in the Hub tab."
)
NOT_IN_HUB = (
    "The hub holds nothing for this inspection yet: merge the packages in the Hub tab to see "
    "the case findings."
)
NOTHING = "<i>None yet.</i>"


def applies_to(qs: QuestionSet | None) -> bool:
    """Whether an inspection with this set has organisational evidence (the tab is shown)."""
    return qs is not None and bool(qs.judged_question_ids)


def _day(d: date) -> str:
    return d.strftime("%d %b %Y")


def _when(at: datetime) -> str:
    return at.strftime("%d %b %Y %H:%M")


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _multiline(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def question_title(q: OrgQuestion | NonCaseQuestion) -> str:
    """ "1.1 Leadership" or "N3 Staffing": the question's id and short name."""
    return f"{q.id} {q.title if isinstance(q, OrgQuestion) else q.theme}"


def org_items(qs: QuestionSet) -> list[tuple[str, str, bool]]:
    """(id, text, is a prompt) for every id evidence can be logged against, in file order."""
    out: list[tuple[str, str, bool]] = []
    for d in qs.domain_one:
        out.append((d.id, f"{d.id} {d.title}: {d.text}", False))
        out.extend((p.id, f"{p.id} {p.text}", True) for p in d.prompts)
    out.extend((n.id, f"{n.id} [{n.theme}] {n.text}", False) for n in qs.non_case_questions)
    return out


# -- models ---------------------------------------------------------------------------------


class DocumentModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Received", lambda d: _day(d.received_on)),
                ("Kind", lambda d: d.kind),
                ("Title", lambda d: d.title),
                ("Informs", lambda d: ", ".join(d.informs)),
                (
                    "Attachment",
                    lambda d: (
                        f"{d.attachment_name} ({size_in_mb(d.size)})" if d.has_attachment else ""
                    ),
                ),
                ("Withdrawn", lambda d: f"Withdrawn: {d.withdrawn_reason}" if d.withdrawn else ""),
            ],
            tooltip=lambda d: (
                f"{d.title}\nLogged by {d.logged_by}, {_when(d.logged_at)}"
                + (f"\nWithdrawn: {d.withdrawn_reason}" if d.withdrawn else "")
            ),
            parent=parent,
        )

    def row_of(self, document_id: str) -> int:
        return next((i for i, d in enumerate(self._rows) if d.id == document_id), -1)


class GapModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        self.meetings: dict[str, Meeting] = {}
        super().__init__(
            [
                ("Question", lambda g: g.question_id),
                ("To clarify", lambda g: g.text),
                ("State", lambda g: g.state.label),
                ("Meeting or focus group", self._meeting),
                ("Outcome", self._outcome),
            ],
            tooltip=lambda g: f"{g.text}\nRaised by {g.raised_by}, {_when(g.raised_at)}",
            parent=parent,
        )

    def _meeting(self, g: Gap) -> str:
        if g.meeting_id is None:
            return ""
        m = self.meetings.get(g.meeting_id)
        return f"{m.title} ({_day(m.held_on)})" if m else g.meeting_id

    @staticmethod
    def _outcome(g: Gap) -> str:
        if g.reason:
            return f"Closed: {g.reason}"
        return g.outcome

    def row_of(self, gap_id: str) -> int:
        return next((i for i, g in enumerate(self._rows) if g.id == gap_id), -1)


class SurveyModel(RecordTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Figure", lambda s: s.label),
                ("Value", lambda s: s.value),
                ("Against", lambda s: s.question_id),
            ],
            tooltip=lambda s: f"Entered by {s.recorded_by}, {_when(s.recorded_at)}",
            parent=parent,
        )


class FindingModel(RecordTableModel):
    """The case findings from the hub: each case key question's % Yes in the region."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.sections: dict[str, str] = {}
        super().__init__(
            [
                ("Key question", self._question),
                ("Yes of relevant", lambda r: f"{r.yes} of {r.relevant}"),
                (
                    "% Yes",
                    lambda r: "no relevant cases" if r.percent is None else f"{r.percent:.1f}%",
                ),
                ("Rating", lambda r: r.rating or ""),
            ],
            tooltip=lambda r: (
                f"{self._question(r)}\n{r.name}: {r.yes} of {r.relevant} "
                "relevant cases answered Yes"
            ),
            parent=parent,
        )

    def _question(self, r: SummaryRow) -> str:
        section = self.sections.get(r.question_id)
        return f"{r.question_id} {section}" if section else r.question_id


def table(
    model: RecordTableModel,
    name: str,
    rows: int,
    stretch: int | None = None,
    widths: dict[int, int] | None = None,
) -> QTableView:
    """A record view at least `rows` rows high. Column `stretch` takes the spare width, columns
    in `widths` start that many characters wide (long text elided, whole in the tooltip), the
    others fit their contents: the table needs no sideways scrolling."""
    view = record_view(model, name)
    view.setMinimumHeight((view.fontMetrics().height() + 8) * (rows + 1) + 4)
    header = view.horizontalHeader()
    if stretch is not None:
        header.setStretchLastSection(False)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    for column, chars in (widths or {}).items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, view.fontMetrics().averageCharWidth() * chars)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    return view


def fit_rows(view: QTableView, rows: int, most: int) -> None:
    """Make a short table as high as its rows (between 1 and `most`), no emptier."""
    line = view.verticalHeader().defaultSectionSize()
    shown = max(1, min(rows, most))
    view.setFixedHeight(
        view.horizontalHeader().sizeHint().height() + line * shown + 2 * view.frameWidth() + 4
    )


# -- dialogs --------------------------------------------------------------------------------


class DocumentDialog(_Dialog):
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
        self.file_label.setStyleSheet("color: #a4000f; font-weight: bold;" if too_big else "")

    def apply(self) -> None:
        received: date = self.received.date().toPython()  # type: ignore[assignment]
        self.result_value = self._add(
            self.title.text(), self.kind.currentText(), received, self.checked(), self.attachment
        )


class TextDialog(_Dialog):
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


class GapDialog(_Dialog):
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


class PlanDialog(_Dialog):
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
            self.meeting.addItem(f"{_day(m.held_on)}  {m.kind.label}: {m.title}", m.id)
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


# -- the panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubNote:
    """A meeting or focus-group note in the hub: recorded on an assessor's laptop, merged."""

    meeting_ids: tuple[str, ...]  # the hub's meeting the note belongs to
    meeting: str  # kind, date and title, as `probdesk evidence` prints them
    title: str
    kind: MeetingKind | None
    held_on: date | None
    question_id: str
    groups: tuple[tuple[str, int], ...]  # (participant group id, head count); () if not known
    groups_text: str  # the groups with head counts, in words
    note: str


@dataclass
class Findings:
    """The case findings read from the hub for one inspection (rows None: none to show), and
    the meeting and focus-group notes the hub holds for it."""

    inspection_id: str
    rows: list[SummaryRow] | None
    text: str  # why there are none, or where they come from
    notes: tuple[HubNote, ...] = ()


def _meeting_label(kind: str, held_on: object, title: str) -> str:
    """A meeting as `figures.evidence` names it: "Focus group, 2026-11-03: Practitioners"."""
    return f"{'Focus group' if kind == MeetingKind.FOCUS_GROUP else 'Meeting'}, {held_on}: {title}"


def hub_notes_of(notes: Sequence[EvidenceNote]) -> list[HubNote]:
    """The hub's current meeting and focus-group notes as this tab lays them out, with each
    meeting's participant groups and head counts."""
    out = []
    for e in notes:
        try:
            held_on: date | None = date.fromisoformat(e.held_on)
            kind: MeetingKind | None = MeetingKind(e.kind)
        except ValueError:
            held_on, kind = None, None
        out.append(HubNote(
            (e.meeting_id,), e.meeting, e.title, kind, held_on, e.question_id, e.attendance,
            e.groups, e.note,
        ))  # fmt: skip
    return out


def _rich_label(name: str) -> QLabel:
    label = QLabel(NOTHING)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


class EvidencePanel(QWidget):
    def __init__(
        self,
        workspace: Workspace | None,
        saver: Saver,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.saver = saver
        self.runner = runner
        self.hub_access: HubAccess | None = None  # the window's hub: passed in (`set_hub`)
        self.log: EvidenceLog | None = None
        self.workspace: Workspace | None = None
        self.inspection: Inspection | None = None
        self.qs: QuestionSet | None = None
        self.lead = True  # this laptop leads the inspection (it has the Hub tab)
        self.meetings: list[Meeting] = []
        self.triangulation: Triangulation | None = None
        self.findings: Findings | None = None
        self._findings_stale = True
        # (inspection id, question id) -> (rating, rationale) typed but not recorded
        self._drafts: dict[tuple[str, str], tuple[str, str]] = {}
        self._shown_question: str | None = None

        layout = scrolling_body(self, "Evidence")
        self.hint = hint_label(NO_INSPECTION, "Evidence: no inspection chosen")
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QSplitter(Qt.Orientation.Vertical)
        self.content.setObjectName("evidenceSplitter")
        self.content.setAccessibleName("Evidence sections")
        self.content.setChildrenCollapsible(False)
        layout.addWidget(self.content, 1)

        # -- 1. the evidence log ------------------------------------------------------------
        top = QWidget()
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(0, 0, 0, 0)
        log_box, log = section("1. Evidence log: documents submitted", "Evidence log")
        row = QHBoxLayout()
        self.add_button = QPushButton("Add &document…")
        self.add_button.setAccessibleName("Add a document to the evidence log")
        self.save_file_button = QPushButton("Sa&ve attached file…")
        self.save_file_button.setAccessibleName("Save the document's attached file")
        self.withdraw_button = QPushButton("&Withdraw…")
        self.withdraw_button.setAccessibleName("Withdraw the document")
        for b in (self.add_button, self.save_file_button, self.withdraw_button):
            row.addWidget(b)
        row.addStretch(1)
        log.addLayout(row)
        self.document_model = DocumentModel(self)
        self.document_view = table(
            self.document_model,
            "Documents in the evidence log",
            5,
            stretch=2,
            widths={3: 12, 4: 22, 5: 18},
        )
        log.addWidget(self.document_view, 1)
        self.log_message = message_label("Evidence log: message")
        self.log_message.hide()
        log.addWidget(self.log_message)
        top_row.addWidget(log_box, 1)

        # -- 2. gaps to clarify -------------------------------------------------------------
        gaps_box, gaps = section("2. Gaps and points to clarify", "Gaps to clarify")
        row = QHBoxLayout()
        self.raise_button = QPushButton("Rai&se gap…")
        self.raise_button.setAccessibleName("Raise a gap or point to clarify")
        self.plan_button = QPushButton("Pla&n into meeting…")
        self.plan_button.setAccessibleName("Plan the gap into a meeting or focus group")
        self.answer_button = QPushButton("Mar&k answered…")
        self.answer_button.setAccessibleName("Mark the gap answered")
        self.close_button = QPushButton("C&lose gap…")
        self.close_button.setAccessibleName("Close the gap without an answer")
        for b in (self.raise_button, self.plan_button, self.answer_button, self.close_button):
            row.addWidget(b)
        row.addStretch(1)
        self.open_only = QCheckBox("Show &open only")
        self.open_only.setAccessibleName("Show open gaps only")
        row.addWidget(self.open_only)
        gaps.addLayout(row)
        self.gap_model = GapModel(self)
        self.gap_view = table(
            self.gap_model, "Gaps to clarify", 5, stretch=1, widths={3: 24, 4: 22}
        )
        gaps.addWidget(self.gap_view, 1)
        self.gap_message = message_label("Gaps: message")
        self.gap_message.hide()
        gaps.addWidget(self.gap_message)
        top_row.addWidget(gaps_box, 1)
        self.content.addWidget(top)

        # -- 3. triangulation and judgement -------------------------------------------------
        tri_box, tri = section("3. Triangulation and judgement", "Triangulation and judgement")
        row = QHBoxLayout()
        picker_label = QLabel("Q&uestion:")
        self.question_combo = QComboBox()
        self.question_combo.setAccessibleName("Question to triangulate and judge")
        self.question_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.question_combo.setMinimumContentsLength(40)
        self.question_combo.setMaxVisibleItems(20)
        picker_label.setBuddy(self.question_combo)
        row.addWidget(picker_label)
        row.addWidget(self.question_combo, 1)
        tri.addLayout(row)
        self.question_text = QLabel("")
        self.question_text.setWordWrap(True)
        self.question_text.setTextFormat(Qt.TextFormat.RichText)
        self.question_text.setAccessibleName("The question, its prompts and guidance")
        self.question_text.setStyleSheet("color: #1f2a33; padding: 2px 0 4px 0;")
        tri.addWidget(self.question_text)
        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.setObjectName("evidenceSides")
        sides.setChildrenCollapsible(False)
        self.sides = sides
        tri.addWidget(sides, 1)

        # the evidence, side by side with the judgement
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setAccessibleName("Evidence for the question")
        body = QWidget()
        stack = QVBoxLayout(body)
        stack.setContentsMargins(0, 0, 4, 0)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        stack.addLayout(columns)
        docs_box, docs = section("Documents informing it", "Documents informing the question")
        self.documents_text = _rich_label("Documents informing the question")
        docs.addWidget(self.documents_text)
        left.addWidget(docs_box)
        survey_box, survey = section("Staff survey figures", "Staff survey figures")
        self.survey_model = SurveyModel(self)
        self.survey_view = table(self.survey_model, "Staff survey figures", 2, stretch=0)
        survey.addWidget(self.survey_view)
        row = QHBoxLayout()
        self.survey_label = QLineEdit()
        self.survey_label.setAccessibleName("Survey figure name")
        self.survey_label.setPlaceholderText("Figure, e.g. Workload is manageable")
        self.survey_value = QLineEdit()
        self.survey_value.setAccessibleName("Survey figure value")
        self.survey_value.setPlaceholderText("Value, e.g. 54%")
        self.survey_value.setMinimumWidth(110)
        self.survey_value.setMaximumWidth(150)
        self.survey_button = QPushButton("Save figure")
        self.survey_button.setAccessibleName("Save the survey figure")
        self.survey_button.setToolTip(
            "Saves the figure against the chosen question (Return in the value does too); the "
            "same name changes it, an empty value clears it"
        )
        row.addWidget(self.survey_label, 3)
        row.addWidget(self.survey_value, 1)
        row.addWidget(self.survey_button)
        survey.addLayout(row)
        self.survey_message = message_label("Survey figures: message")
        self.survey_message.hide()
        survey.addWidget(self.survey_message)
        left.addWidget(survey_box)
        gaps_open_box, gaps_open = section("Open gaps", "Open gaps for the question")
        self.open_gaps_text = _rich_label("Open gaps for the question")
        gaps_open.addWidget(self.open_gaps_text)
        left.addWidget(gaps_open_box)
        left.addStretch(1)
        notes_box, notes = section(
            "Meeting and focus-group notes, by participant group", "Notes by participant group"
        )
        self.notes_text = _rich_label("Notes from meetings and focus groups")
        notes.addWidget(self.notes_text)
        right.addWidget(notes_box)
        findings_box, findings = section("Case findings (from the hub)", "Case findings")
        self.findings_text = QLabel(MERGE_FIRST)
        self.findings_text.setWordWrap(True)
        self.findings_text.setAccessibleName("Case findings: where they come from")
        findings.addWidget(self.findings_text)
        self.finding_model = FindingModel(self)
        self.findings_view = table(
            self.finding_model, "Case findings by key question", 4, stretch=0
        )
        findings.addWidget(self.findings_view)
        right.addStretch(1)
        stack.addWidget(findings_box)  # the whole width: the key questions' names are long
        stack.addStretch(1)
        scroll.setWidget(body)
        sides.addWidget(scroll)

        # the judgement
        judge_box, judge = section("The team's judgement", "The team's judgement")
        self.current_text = QLabel("")
        self.current_text.setWordWrap(True)
        self.current_text.setTextFormat(Qt.TextFormat.RichText)
        self.current_text.setAccessibleName("Current judgement")
        judge.addWidget(self.current_text)
        form = QGridLayout()
        rating_label = QLabel("&Rating:")
        self.rating = QComboBox()
        self.rating.setAccessibleName("Rating")
        rating_label.setBuddy(self.rating)
        form.addWidget(rating_label, 0, 0)
        form.addWidget(self.rating, 0, 1)
        rationale_label = QLabel("Rational&e:")
        rationale_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.rationale = QPlainTextEdit()
        self.rationale.setTabChangesFocus(True)
        self.rationale.setAccessibleName("Rationale: what the evidence shows")
        self.rationale.setPlaceholderText("What the evidence shows, weighed across the sources")
        self.rationale.setMinimumHeight(90)
        rationale_label.setBuddy(self.rationale)
        form.addWidget(rationale_label, 1, 0)
        form.addWidget(self.rationale, 1, 1)
        form.setColumnStretch(1, 1)
        judge.addLayout(form, 2)
        row = QHBoxLayout()
        self.record_button = QPushButton("Record jud&gement")
        self.record_button.setAccessibleName("Record the judgement")
        row.addWidget(self.record_button)
        self.draft_text = QLabel("")
        self.draft_text.setAccessibleName("Draft")
        self.draft_text.setStyleSheet("color: #7a4b00;")
        self.draft_text.setWordWrap(True)
        row.addWidget(self.draft_text, 1)
        judge.addLayout(row)
        self.judge_message = message_label("Judgement: message")
        self.judge_message.hide()
        judge.addWidget(self.judge_message)
        self.history_label = QLabel("<b>History</b> (newest first)")
        self.history_label.setAccessibleName("Judgement history: heading")
        judge.addWidget(self.history_label)
        self.history = QTextBrowser()
        self.history.setAccessibleName("Judgement history, newest first")
        self.history.setOpenLinks(False)
        self.history.setMinimumHeight(80)
        judge.addWidget(self.history, 3)
        sides.addWidget(judge_box)
        sides.setStretchFactor(0, 3)
        sides.setStretchFactor(1, 2)
        self.content.addWidget(tri_box)
        self.content.setStretchFactor(0, 1)
        self.content.setStretchFactor(1, 3)
        line = self.fontMetrics().height() + 8
        self.content.setSizes([line * 10, line * 24])

        # -- wiring -------------------------------------------------------------------------
        self.add_button.clicked.connect(self.add_document)
        self.save_file_button.clicked.connect(self.save_attachment)
        self.withdraw_button.clicked.connect(self.withdraw_document)
        self.raise_button.clicked.connect(self.raise_gap)
        self.plan_button.clicked.connect(self.plan_gap)
        self.answer_button.clicked.connect(self.answer_gap)
        self.close_button.clicked.connect(self.close_gap)
        self.open_only.toggled.connect(lambda _on: self.refresh())
        self.document_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.gap_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.question_combo.currentIndexChanged.connect(lambda _i: self.show_question())
        self.survey_view.selectionModel().currentRowChanged.connect(self._survey_chosen)
        self.survey_button.clicked.connect(self.save_survey)
        self.survey_value.returnPressed.connect(self.save_survey)
        self.record_button.clicked.connect(self.record_judgement)
        self.runner.changed.connect(self._changed)
        self.runner.finished.connect(self._runner_finished)
        if workspace is not None:
            self.set_workspace(workspace)
        self.set_inspection(None, None)

    # -- state ----------------------------------------------------------------------------
    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.log = EvidenceLog(workspace)

    def set_inspection(
        self, inspection: Inspection | None, qs: QuestionSet | None, lead: bool = True
    ) -> None:
        changed = (inspection.id if inspection else None) != (
            self.inspection.id if self.inspection else None
        )
        self._keep_draft()
        self._shown_question = None  # the form is filled again, from a draft if there is one
        self.inspection, self.qs, self.lead = inspection, qs, lead
        if changed:
            self.findings = None
            self._findings_stale = True
            self.open_only.setChecked(False)
        self._fill_questions()
        self._fill_ratings()
        usable = inspection is not None and applies_to(qs)
        self.hint.setText(NO_INSPECTION if inspection is None else NO_QUESTIONS)
        self.hint.setVisible(not usable)
        self.content.setVisible(usable)
        if self.isVisible():  # otherwise when the tab is shown: start-up reads nothing here
            self.refresh()
        self._refresh_findings_if_shown()

    def _fill_questions(self) -> None:
        keep = self.question_combo.currentData()
        combo = self.question_combo
        combo.blockSignals(True)
        combo.clear()
        if self.qs is not None:
            for d in self.qs.domain_one:
                combo.addItem(f"{d.id} {d.title}: {d.text}", d.id)
                combo.setItemData(combo.count() - 1, d.text, Qt.ItemDataRole.ToolTipRole)
            if self.qs.domain_one and self.qs.non_case_questions:
                combo.insertSeparator(combo.count())
            for n in self.qs.non_case_questions:
                combo.addItem(f"{n.id} {n.theme}: {n.text}", n.id)
                combo.setItemData(combo.count() - 1, n.text, Qt.ItemDataRole.ToolTipRole)
        index = combo.findData(keep) if keep is not None else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))
        combo.blockSignals(False)

    def _fill_ratings(self) -> None:
        rates = self.qs is not None and self.qs.ratings is not None
        self.rating.clear()
        self.rating.setEditable(not rates)
        if rates and self.qs is not None:
            self.rating.addItems(list(self.qs.rating_labels))
            self.rating.setPlaceholderText("Choose a rating")
            self.rating.setToolTip("The rating scale of " + self.qs.title)
        else:
            line = self.rating.lineEdit()
            if line is not None:
                line.setPlaceholderText("Optional: this set has no rating scale")
            self.rating.setToolTip("This question set has no rating scale: any short text, or none")
        self.rating.setCurrentIndex(-1)

    def current_question(self) -> str | None:
        data = self.question_combo.currentData()
        return str(data) if data is not None else None

    def choose_question(self, question_id: str) -> None:
        index = self.question_combo.findData(question_id)
        if index >= 0:
            self.question_combo.setCurrentIndex(index)

    # -- reading --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the evidence log, gaps and the chosen question's evidence again."""
        if self.log is None or self.inspection is None or not applies_to(self.qs):
            self.document_model.set_rows([])
            self.gap_model.set_rows([])
            self.triangulation = None
            self._update()
            return
        iid = self.inspection.id
        keep_doc, keep_gap = self.selected_document(), self.selected_gap()
        try:
            state = self.log.state(iid)
            self.meetings = self.log.ws.meetings(iid)
        except ProbdeskError as exc:
            show_message(self.log_message, exc.message, problem=True)
            return
        self.document_model.set_rows(state.documents)
        self.gap_model.meetings = {m.id: m for m in self.meetings}
        self.gap_model.set_rows(
            [g for g in state.gaps if g.is_open or not self.open_only.isChecked()]
        )
        self._reselect(
            self.document_view, self.document_model.row_of(keep_doc.id) if keep_doc else -1
        )
        self._reselect(self.gap_view, self.gap_model.row_of(keep_gap.id) if keep_gap else -1)
        self.show_question()

    @staticmethod
    def _reselect(view: QTableView, row: int) -> None:
        if row >= 0:
            view.selectRow(row)

    def selected_document(self) -> Document | None:
        rows = self.document_view.selectionModel().selectedRows()
        return self.document_model.row_at(rows[0].row()) if rows else None

    def selected_gap(self) -> Gap | None:
        rows = self.gap_view.selectionModel().selectedRows()
        return self.gap_model.row_at(rows[0].row()) if rows else None

    def _update(self) -> None:
        has = self.inspection is not None and self.log is not None and applies_to(self.qs)
        doc, gap = self.selected_document(), self.selected_gap()
        self.add_button.setEnabled(has)
        self.save_file_button.setEnabled(has and doc is not None and doc.has_attachment)
        self.withdraw_button.setEnabled(has and doc is not None and not doc.withdrawn)
        self.raise_button.setEnabled(has)
        for b in (self.plan_button, self.answer_button, self.close_button):
            b.setEnabled(has and gap is not None and gap.is_open)
        question = has and self.current_question() is not None
        for w in (self.record_button, self.survey_button, self.rating, self.rationale):
            w.setEnabled(question)

    def show_question(self) -> None:
        """Show the chosen question's evidence and judgement, keeping any draft."""
        qid = self.current_question()
        if self.log is None or self.inspection is None or qid is None:
            self.triangulation = None
            self._update()
            return
        if self._shown_question != qid:
            self._keep_draft()
        try:
            tri = self.log.triangulation(self.inspection.id, qid)
        except ProbdeskError as exc:
            show_message(self.judge_message, exc.message, problem=True)
            return
        self.triangulation = tri
        self._show_question_text(tri)
        self._show_evidence(tri)
        if self._shown_question != qid:
            self._load_judgement_form(tri)
            show_message(self.judge_message, "")
            show_message(self.survey_message, "")
        self._shown_question = qid
        self._show_judgement(tri)
        self._show_findings()
        self._update()

    def _show_question_text(self, tri: Triangulation) -> None:
        """What guides the judgement, compactly: the picker above shows the question itself."""
        q = tri.question
        first = f"<b>{escape(question_title(q))}</b>"
        second = []
        if isinstance(q, OrgQuestion):
            if q.prompts:
                first += " · prompts: " + " ".join(
                    f"<b>{escape(p.id)}</b> {escape(p.text)}" for p in q.prompts
                )
            if q.non_case_questions:
                second.append(
                    "Also gathers the notes on "
                    + ", ".join(escape(n) for n in q.non_case_questions)
                )
        else:
            labels = {g.id: g.label for g in self.qs.participant_groups} if self.qs else {}
            first += " · asked of: " + escape(", ".join(labels.get(g, g) for g in q.groups))
        if q.guidance:
            second.append(f"<i>Guidance: {escape(q.guidance)}</i>")
        self.question_text.setText(first + ("<br>" + " · ".join(second) if second else ""))
        self.question_combo.setToolTip(q.text)

    def _show_evidence(self, tri: Triangulation) -> None:
        docs = [
            f"<p style='margin:0 0 4px 0'>{escape(_day(d.received_on))} · {escape(d.kind)} · "
            f"<b>{escape(d.title)}</b>"
            + (
                f" · {escape(d.attachment_name)} ({escape(size_in_mb(d.size))})"
                if d.has_attachment
                else ""
            )
            + " <span style='color:#555'>(informs "
            + escape(", ".join(q for q in d.informs if q in tri.scope))
            + ")</span></p>"
            for d in tri.documents
        ]
        self.documents_text.setText("".join(docs) if docs else NOTHING)
        self._show_notes(tri)
        self.survey_model.set_rows(tri.surveys)
        fit_rows(self.survey_view, len(tri.surveys), 5)
        gaps = [
            f"{escape(g.question_id)} · {escape(g.text)} "
            f"<span style='color:#555'>({escape(g.state.label)}"
            + (f": {escape(self.gap_model._meeting(g))}" if g.meeting_id is not None else "")
            + ")</span>"
            for g in tri.open_gaps
        ]
        self.open_gaps_text.setText("<br>".join(gaps) if gaps else NOTHING)

    def hub_notes(self, tri: Triangulation) -> list[HubNote]:
        """The hub's notes on the question (and the ones it gathers) that this laptop does not
        show already: a meeting recorded here is shown from here; otherwise the same meeting,
        question and note text count as the same note."""
        f = self.findings
        if f is None or self.inspection is None or f.inspection_id != self.inspection.id:
            return []
        local_meetings = {m.id for m in self.meetings}
        local_ids = {(n.meeting_id, n.question_id) for g in tri.notes_by_group for n in g.notes}
        local_texts = {
            (_meeting_label(n.kind, n.held_on.isoformat(), n.meeting_title), n.question_id,
             n.note.strip())
            for g in tri.notes_by_group
            for n in g.notes
        }  # fmt: skip
        scope = set(tri.scope)
        return [
            h
            for h in f.notes
            if h.question_id in scope
            and not any(m in local_meetings or (m, h.question_id) in local_ids
                        for m in h.meeting_ids)
            and (h.meeting, h.question_id, h.note.strip()) not in local_texts
        ]  # fmt: skip

    def _show_notes(self, tri: Triangulation) -> None:
        """The notes by participant group: this laptop's, then the hub's (marked as such)."""
        own = tri.question_id

        def line(n: MeetingNote, hub: bool) -> str:
            return (
                f"<p style='margin:0 0 4px 14px'><span style='color:#555'>"
                f"{escape(n.meeting_title)} ({escape(n.kind.label.lower())}, "
                f"{escape(_day(n.held_on))}, {n.head_count} attended"
                + (", from the hub" if hub else "")
                + ")"
                + (f" on {escape(n.question_id)}" if n.question_id != own else "")
                + f":</span> {_multiline(n.note)}</p>"
            )

        def loose(h: HubNote) -> str:  # a note whose meeting the hub could not describe
            return (
                f"<p style='margin:0 0 4px 14px'><span style='color:#555'>{escape(h.meeting)} "
                f"(from the hub)"
                + (f" on {escape(h.question_id)}" if h.question_id != own else "")
                + f":</span> {_multiline(h.note)}</p>"
            )

        lines: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for g in tri.notes_by_group:
            labels[g.group_id] = g.label
            lines.setdefault(g.group_id, []).extend(line(n, False) for n in g.notes)
        names = {g.id: g.label for g in self.qs.participant_groups} if self.qs else {}
        hub_notes = self.hub_notes(tri)
        for h in hub_notes:
            if not h.groups or h.kind is None or h.held_on is None:
                key = f"hub:{h.groups_text}"
                labels.setdefault(key, h.groups_text or "Participant groups not known")
                lines.setdefault(key, []).append(loose(h))
                continue
            for group_id, count in h.groups:
                labels.setdefault(group_id, names.get(group_id, group_id))
                n = MeetingNote(
                    h.meeting_ids[0], h.title, h.kind, h.held_on, h.question_id, count, h.note
                )
                lines.setdefault(group_id, []).append(line(n, True))
        order = [g.id for g in self.qs.participant_groups] if self.qs else []
        order += [g for g in lines if g not in order]
        groups = [
            f"<p style='margin:4px 0 2px 0'><b>{escape(labels[g])}</b></p>" + "".join(lines[g])
            for g in order
            if lines.get(g)
        ]
        if hub_notes:
            groups.append(
                "<p style='margin:6px 0 0 0; color:#555'><i>"
                f"{plural(len(hub_notes), 'note')} from the hub: recorded on the assessors' "
                "laptops and merged.</i></p>"
            )
        self.notes_text.setText("".join(groups) if groups else NOTHING)

    def _show_judgement(self, tri: Triangulation) -> None:
        j = tri.judgement
        if j is None:
            self.current_text.setText("<i>No judgement recorded yet.</i>")
        else:
            rating = escape(j.rating) if j.rating else "no rating"
            self.current_text.setText(
                f"Current: <b>{rating}</b>, recorded by {escape(j.recorded_by)} on "
                f"{escape(_when(j.recorded_at))}"
            )
        self.history.setHtml(
            "".join(
                f"<p style='margin:0 0 8px 0'><b>{escape(h.rating or 'No rating')}</b> "
                f"<span style='color:#555'>· {escape(h.recorded_by)} · "
                f"{escape(_when(h.recorded_at))}</span><br>{_multiline(h.rationale)}</p>"
                for h in reversed(tri.history)
            )
            or NOTHING
        )
        self.history_label.setText(
            f"<b>History</b> ({plural(len(tri.history), 'judgement')}, newest first)"
        )
        self._show_draft_state()

    def _load_judgement_form(self, tri: Triangulation) -> None:
        draft = self._drafts.get(self._draft_key(tri.question_id))
        j = tri.judgement
        rating, rationale = draft or ((j.rating, j.rationale) if j else ("", ""))
        self._set_rating(rating)
        self.rationale.setPlainText(rationale)

    def _set_rating(self, rating: str) -> None:
        if self.rating.isEditable():
            self.rating.setEditText(rating)
        else:
            self.rating.setCurrentIndex(self.rating.findText(rating) if rating else -1)

    def _form(self) -> tuple[str, str]:
        return self.rating.currentText(), self.rationale.toPlainText()

    def _recorded(self, tri: Triangulation | None) -> tuple[str, str]:
        j = tri.judgement if tri else None
        return (j.rating, j.rationale) if j else ("", "")

    def _draft_key(self, question_id: str) -> tuple[str, str]:
        return (self.inspection.id if self.inspection else "", question_id)

    def _keep_draft(self) -> None:
        """Keep what was typed for the question on show, if it is not what is recorded."""
        qid, tri = self._shown_question, self.triangulation
        if qid is None or tri is None or tri.question_id != qid:
            return
        form = self._form()
        if form != self._recorded(tri) and (form[0].strip() or form[1].strip()):
            self._drafts[self._draft_key(qid)] = form
        else:
            self._drafts.pop(self._draft_key(qid), None)

    def _show_draft_state(self) -> None:
        iid = self.inspection.id if self.inspection else ""
        others = [q for (i, q) in self._drafts if i == iid and q != self._shown_question]
        text = ""
        if self._shown_question is not None and self._draft_key(self._shown_question) in (
            self._drafts
        ):
            text = "Draft: not recorded yet."
        if others:
            text += f" Drafts not recorded yet on {', '.join(others)}."
        self.draft_text.setText(text.strip())

    def _show_findings(self) -> None:
        f = self.findings
        rows = (
            f.rows
            if f is not None and self.inspection and f.inspection_id == self.inspection.id
            else None
        )
        if rows is None:
            if f is not None and self.inspection and f.inspection_id == self.inspection.id:
                text = f.text
            elif self.hub_exists():
                text = "Reading the case findings from the hub…"
            else:
                text = MERGE_FIRST if self.lead else MERGE_ON_LEAD
            self.findings_text.setText(text)
            self.finding_model.set_rows([])
            self.findings_view.hide()
            return
        self.finding_model.sections = (
            {s.key_question.id: s.title for s in self.qs.sections} if self.qs else {}
        )
        regions = sorted({r.name for r in rows})
        self.findings_text.setText(
            f"% Yes of relevant cases for each case key question, {', '.join(regions)} "
            "(all PDUs pooled). The same for every question: line them up with what each "
            "group said."
            if rows
            else "The hub holds no answered case key questions for this inspection yet."
        )
        self.finding_model.set_rows(rows)
        fit_rows(self.findings_view, len(rows), 16)
        self.findings_view.setVisible(bool(rows))

    # -- the hub --------------------------------------------------------------------------
    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._findings_stale = True

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # meetings and notes may have changed on their own tab
        self._refresh_findings_if_shown()

    def _changed(self, changes: Changes) -> None:
        if changes & Changes.HUB:
            self._findings_stale = True  # a merge, a moderation, a settled conflict

    def _runner_finished(self, _title: str) -> None:
        self._refresh_findings_if_shown()  # once the runner is free again

    def _refresh_findings_if_shown(self) -> None:
        if self._findings_stale and self.isVisible() and not self.runner.busy:
            self.read_findings()

    def read_findings(self) -> bool:
        """Read the case findings from the hub (on the Runner); False when none can be read."""
        inspection = self.inspection
        if inspection is None or not applies_to(self.qs):
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._findings_stale = False
            self.findings = None
            self._show_findings()
            return False
        try:
            hub = hub_of(self.hub_access)
        except ProbdeskError as exc:
            self.findings = Findings(inspection.id, None, exc.message)
            self._show_findings()
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> CaseFindings | None:
            from probdesk.services import figures

            progress(0, 0, "Reading the case findings and meeting notes from the hub")
            return figures.case_findings(hub, inspection.id)

        def done(read: CaseFindings | None) -> None:
            self.findings = (
                Findings(inspection.id, None, NOT_IN_HUB)
                if read is None
                else Findings(inspection.id, read.rows, "", tuple(hub_notes_of(read.notes)))
            )
            self._show_findings()
            tri, now = self.triangulation, self.inspection
            if tri is not None and now is not None and now.id == inspection.id:
                self._show_notes(tri)

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            self.findings = Findings(inspection.id, None, exc.message)
            self._show_findings()

        started = self.runner.run(READ_TITLE, work, done, failed)
        if started:
            self._findings_stale = False
        return started

    # -- writing --------------------------------------------------------------------------
    def _written(self) -> None:
        self.saver.saved.emit(_now())  # the status bar's "Saved" and unexported count
        self.refresh()

    def add_document(self) -> Document | None:
        if self.log is None or self.inspection is None or self.qs is None:
            return None
        log, iid = self.log, self.inspection.id
        question = self.current_question()
        dialog = DocumentDialog(
            self.qs,
            lambda title, kind, received, informs, attachment: log.add_document(
                iid, title, kind, received, informs, attachment
            ),
            informs=[question] if question else [],
            parent=self,
        )
        if not dialog.exec() or dialog.result_value is None:
            return None
        doc = dialog.result_value
        show_message(self.log_message, f"Logged {doc.title}.")
        self._written()
        self._reselect(self.document_view, self.document_model.row_of(doc.id))
        return doc

    def save_attachment(self) -> Path | None:
        doc = self.selected_document()
        if self.log is None or doc is None or not doc.has_attachment:
            return None
        proposed = str(Path.home() / (Path(doc.attachment_name).name or "attachment"))
        path, _ = QFileDialog.getSaveFileName(self, "Save the attached file", proposed)
        if not path:
            return None
        try:
            written = self.log.save_attachment(doc.id, Path(path))
        except ProbdeskError as exc:
            show_message(self.log_message, exc.message, problem=True)
            return None
        show_message(self.log_message, f"Saved {doc.attachment_name} to {written}.")
        return written

    def withdraw_document(self) -> Document | None:
        doc = self.selected_document()
        if self.log is None or doc is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Withdraw document",
            f"{doc.title} stays in the log, marked withdrawn, and no longer informs any "
            "question. Say why.",
            "&Reason",
            "Withdraw",
            lambda reason: log.withdraw_document(doc.id, reason),
            self,
        )
        if not dialog.exec():
            return None
        show_message(self.log_message, f"Withdrew {doc.title}.")
        self._written()
        return dialog.result_value  # type: ignore[return-value]

    def raise_gap(self) -> Gap | None:
        if self.log is None or self.inspection is None or self.qs is None:
            return None
        log, iid = self.log, self.inspection.id
        dialog = GapDialog(
            self.qs, lambda qid, text: log.raise_gap(iid, qid, text), self.current_question(), self
        )
        if not dialog.exec() or dialog.result_value is None:
            return None
        gap = dialog.result_value
        show_message(self.gap_message, f"Raised a gap on {gap.question_id}.")
        self._written()
        self._reselect(self.gap_view, self.gap_model.row_of(gap.id))
        return gap

    def _gap_done(self, dialog: _Dialog, gap: Gap, what: str) -> Gap | None:
        if not dialog.exec():
            return None
        show_message(self.gap_message, f"{what} the gap on {gap.question_id}.")
        self._written()
        self._reselect(self.gap_view, self.gap_model.row_of(gap.id))
        return dialog.result_value  # type: ignore[attr-defined, no-any-return]

    def plan_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None or self.inspection is None:
            return None
        if not self.meetings:
            show_message(
                self.gap_message,
                "There is no meeting or focus group to plan it into yet: add one on the "
                "Meetings and focus groups tab first.",
                problem=True,
            )
            return None
        log = self.log
        dialog = PlanDialog(gap, self.meetings, lambda mid: log.plan_gap(gap.id, mid), self)
        return self._gap_done(dialog, gap, "Planned")

    def answer_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Mark answered",
            f"{gap.question_id}: {gap.text}",
            "&What the answer was",
            "Mark answered",
            lambda outcome: log.answer_gap(gap.id, outcome),
            self,
        )
        return self._gap_done(dialog, gap, "Marked answered")

    def close_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Close gap",
            f"{gap.question_id}: {gap.text}\n\nClosing it records that it will not be answered. "
            "Say why.",
            "&Reason",
            "Close gap",
            lambda reason: log.close_gap(gap.id, reason),
            self,
        )
        return self._gap_done(dialog, gap, "Closed")

    def _survey_chosen(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            s: SurveyFigure = self.survey_model.row_at(current.row())
            self.survey_label.setText(s.label)
            self.survey_value.setText(s.value)

    def save_survey(self) -> SurveyFigure | None:
        qid = self.current_question()
        if self.log is None or self.inspection is None or qid is None:
            return None
        label = self.survey_label.text()
        try:
            figure = self.log.record_survey(
                self.inspection.id, qid, label, self.survey_value.text()
            )
        except ProbdeskError as exc:
            show_message(self.survey_message, exc.message, problem=True)
            return None
        self.survey_label.clear()
        self.survey_value.clear()
        show_message(
            self.survey_message,
            f"Saved {label.strip()}." if figure and figure.value else f"Cleared {label.strip()}.",
        )
        self._written()
        self.survey_label.setFocus()
        return figure

    def record_judgement(self) -> Judgement | None:
        qid = self.current_question()
        if self.log is None or self.inspection is None or qid is None:
            return None
        rating, rationale = self._form()
        try:
            judgement = self.log.record_judgement(self.inspection.id, qid, rating, rationale)
        except ProbdeskError as exc:  # what was typed stays in the form
            show_message(self.judge_message, exc.message, problem=True)
            return None
        self._drafts.pop(self._draft_key(qid), None)
        show_message(
            self.judge_message,
            f"Recorded the judgement on {qid}"
            + (f": {judgement.rating}." if judgement.rating else "."),
        )
        self._written()
        return judgement
