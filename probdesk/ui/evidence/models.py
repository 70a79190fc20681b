"""The Evidence tab's texts, helpers and table models: the documents, gaps, survey figures and
case findings as rows, and the hub's notes as the tab lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QWidget

from probdesk.domain.evidence import Document, Gap, SurveyFigure, size_in_mb
from probdesk.domain.questionset import NonCaseQuestion, OrgQuestion, QuestionSet
from probdesk.domain.records import Meeting, MeetingKind
from probdesk.domain.words import day_text as day_text  # the evidence tab's days
from probdesk.domain.words import moment_text
from probdesk.ui.kit.tables import RecordTableModel, record_view

if TYPE_CHECKING:
    from probdesk.services.figures import EvidenceNote, SummaryRow

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


def when_text(at: datetime) -> str:
    return moment_text(at)


def now_text() -> str:
    return datetime.now().strftime("%H:%M:%S")


def multiline(text: str) -> str:
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


class DocumentModel(RecordTableModel[Document]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Received", lambda d: day_text(d.received_on)),
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
                f"{d.title}\nLogged by {d.logged_by}, {when_text(d.logged_at)}"
                + (f"\nWithdrawn: {d.withdrawn_reason}" if d.withdrawn else "")
            ),
            parent=parent,
        )

    def row_of(self, document_id: str) -> int:
        return next((i for i, d in enumerate(self._rows) if d.id == document_id), -1)


class GapModel(RecordTableModel[Gap]):
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
            tooltip=lambda g: f"{g.text}\nRaised by {g.raised_by}, {when_text(g.raised_at)}",
            parent=parent,
        )

    def _meeting(self, g: Gap) -> str:
        if g.meeting_id is None:
            return ""
        m = self.meetings.get(g.meeting_id)
        return f"{m.title} ({day_text(m.held_on)})" if m else g.meeting_id

    @staticmethod
    def _outcome(g: Gap) -> str:
        if g.reason:
            return f"Closed: {g.reason}"
        return g.outcome

    def row_of(self, gap_id: str) -> int:
        return next((i for i, g in enumerate(self._rows) if g.id == gap_id), -1)


class SurveyModel(RecordTableModel[SurveyFigure]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Figure", lambda s: s.label),
                ("Value", lambda s: s.value),
                ("Against", lambda s: s.question_id),
            ],
            tooltip=lambda s: f"Entered by {s.recorded_by}, {when_text(s.recorded_at)}",
            parent=parent,
        )


class FindingModel(RecordTableModel["SummaryRow"]):  # quoted: imported for typing only
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
    model: QAbstractItemModel,
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


def meeting_label(kind: str, held_on: object, title: str) -> str:
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


def rich_label(name: str) -> QLabel:
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
