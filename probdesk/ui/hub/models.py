"""The Hub tab's table models: merge outcomes, held keys, progress, conflicts, moderation
and the figures' summary, with the words and colours they show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from probdesk.domain.answer_types import value_word
from probdesk.domain.case_events import field_label
from probdesk.domain.case_events import valid_field as case_field
from probdesk.domain.records import CaseStatus
from probdesk.ui.kit import colours
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.tables import Column, R, RecordTableModel, RowsTableModel

if TYPE_CHECKING:
    from probdesk.domain.questionset import QuestionSet, RatingLevel
    from probdesk.services.figures import (
        Conflict,
        ModerationItem,
        ProgressRow,
        SummaryRow,
    )
    from probdesk.services.hub import (
        HeldKey,
        MergeOutcome,
    )

Index = QModelIndex | QPersistentModelIndex
PERCENT_ROLE = Qt.ItemDataRole.UserRole + 1
NUMERIC = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

STATE_LABELS = {
    "merged": "Merged",
    "already merged": "Already merged",
    "held": "Held: key not enrolled",
    "rejected": "Rejected",
    "quarantined": "Quarantined",
}
# Problems stand out by colour (and the state column in bold): red refused, amber held back.
STATE_COLOURS = {"rejected": "problem", "quarantined": "warning", "held": "warning"}
OUTCOME_LABELS = {
    "yes": "Yes",
    "no": "No",
    "na": "Not applicable",
    "did_not_apply": "Did not apply",
    "unanswered": "Not answered yet",
}
# Rating badges and the threshold bands behind the bars, best level first: dark text on a
# light tint (GOV.UK tag colours), or light on dark under a dark palette (kit/colours.BANDS).
NO_CASES = "no relevant cases"
POOLED_TEXT = "The region's PDU inspections, poo&led"
DRILL_NOTE = "Double-click a row, or press Enter, to see its cases."
POOLED_DRILL_NOTE = (
    "Double-click a row, or press Enter, to see its cases across the pooled inspections."
)


def rating_colours(position: int, levels: int) -> tuple[QColor, QColor]:
    """(text, background) for the level at `position` of a scale of `levels`, best first."""
    last = len(colours.BANDS) - 1
    i = last if levels <= 1 else round(position * last / (levels - 1))
    return colours.band(i)


def value_text(value: object) -> str:
    if value is None:
        return "(cleared)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value_word(value)


def counts_text(counts: dict[str, int]) -> str:
    words = (
        ("cases", "case"),
        ("answers", "answer"),
        ("meetings", "meeting"),
        ("meeting_notes", "note"),
    )
    return ", ".join(plural(counts[k], w) for k, w in words if k in counts)


def outcome_details(o: MergeOutcome) -> str:
    if o.reason:
        return o.reason
    if o.state == "already merged":
        return "merged before: nothing new"
    counts = counts_text(o.counts)
    return f"{counts}. Note: {o.flag}" if o.flag else counts


# -- models ---------------------------------------------------------------------------------


class MergeOutcomeModel(RecordTableModel["MergeOutcome"]):
    """One row per package file the merge looked at."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Package file", lambda o: o.file),
                ("Result", lambda o: STATE_LABELS.get(o.state, o.state)),
                ("Details", outcome_details),
            ],
            tooltip=lambda o: (
                f"{o.file}\nPackage id {o.package_id or 'not readable'}\n{outcome_details(o)}"
            ),
            parent=parent,
        )
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        record = self._record(index)
        if record is not None and record.state in STATE_COLOURS:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(colours.colour(STATE_COLOURS[record.state]))
            if role == Qt.ItemDataRole.FontRole and index.column() == 1:
                return self._bold
        return super().data(index, role)


def held_tooltip(h: HeldKey) -> str:
    return (
        f"Key {h.fingerprint}, laptop {h.device_id[:8]}: {plural(h.packages, 'package')} "
        "held. Ask the member to read this laptop's fingerprint (Sync tab) aloud and "
        "compare it before enrolling."
    )


class HeldKeyModel(RecordTableModel["HeldKey"]):
    """Laptops whose packages are held: the key's fingerprint and whom it says it is."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Key fingerprint", lambda h: h.fingerprint),
                ("Says it is", lambda h: h.claimed_member or "nobody"),
                ("Packages", lambda h: str(h.packages)),
                ("Newest", lambda h: h.file_name),
            ],
            tooltip=held_tooltip,
            parent=parent,
        )


class NumbersModel(RecordTableModel[R]):
    """A record table whose columns from `first_number` on hold counts: right-aligned."""

    def __init__(
        self, columns: Sequence[Column], first_number: int, parent: QObject | None = None
    ) -> None:
        super().__init__(columns, parent=parent)
        self.first_number = first_number

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.TextAlignmentRole and self._record(index) is not None:
            return NUMERIC if index.column() >= self.first_number else None
        return super().data(index, role)


class ProgressModel(NumbersModel["ProgressRow"]):
    def __init__(self, parent: QObject | None = None) -> None:
        def count(status: CaseStatus) -> Callable[[ProgressRow], str]:
            return lambda r: str(dict(r.by_status).get(status.value, 0))

        columns: list[Column] = [
            ("By", lambda r: "Assessor" if r.group == "assessor" else "PDU"),
            ("Name", lambda r: r.name),
            *((s.label, count(s)) for s in CaseStatus),
            ("Total", lambda r: str(r.total)),
        ]
        super().__init__(columns, first_number=2, parent=parent)


def conflict_values(c: Conflict) -> str:
    if c.kind != "conflict":
        return "different questions answered on several laptops"
    parts = [f"{who}: {value_text(value)}" for who, value in c.values]
    if parts:
        parts[0] += " (shown)"
    return "  ·  ".join(parts)


def conflict_question(c: Conflict) -> str:
    """The question, or the case's field in words ("the fact rosh_level"), or "(several)"."""
    if not c.question_id:
        return "(several)"
    return field_label(c.question_id) if case_field(c.question_id) else c.question_id


class ConflictModel(RecordTableModel["Conflict"]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda c: c.case_ref),
                ("Question", conflict_question),
                ("Answers, the one shown first", conflict_values),
            ],
            tooltip=lambda c: (
                "Concurrent answers to the same question: the newest (by clock, then laptop) "
                "is shown in the figures until someone answers again."
                if c.kind == "conflict"
                else "Several laptops changed this case; their answers do not clash."
            ),
            parent=parent,
        )


DECISION_LABELS = {"approved": "Approved", "returned": "Returned"}


def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


def moderation_tooltip(m: ModerationItem) -> str:
    if not m.decision:
        return f"{m.case_ref}: submitted, not moderated yet"
    decided = f"{m.case_ref}: {DECISION_LABELS.get(m.decision, m.decision)} by {m.moderator}"
    return decided + (f"\n{m.comment}" if m.comment else "")


class ModerationModel(RecordTableModel["ModerationItem"]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda m: m.case_ref),
                ("PDU", lambda m: m.pdu),
                ("Assessor", lambda m: m.assessor),
                ("Status", lambda m: status_label(m.status)),
                ("Decision", lambda m: DECISION_LABELS.get(m.decision, m.decision) or "None yet"),
                ("By", lambda m: m.moderator),
            ],
            tooltip=moderation_tooltip,
            parent=parent,
        )


class SummaryModel(RowsTableModel["SummaryRow"]):
    """The figures: one row per group and counting question, with % Yes and the rating."""

    NAME, QUESTION, RELEVANT, YES, NO, NA, DID_NOT_APPLY, NOT_ANSWERED, PERCENT, RATING = range(10)
    # Two-line headings for the two wide counts: the question keeps the width on a laptop.
    HEADERS = ("PDU", "Question", "Relevant", "Yes", "No", "N/A", "Did not\napply",
               "Not\nanswered", "% Yes", "Rating")  # fmt: skip

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(self.HEADERS, parent)
        self.qs: QuestionSet | None = None
        self.others: tuple[QuestionSet, ...] = ()  # pooled: the other sets' question texts
        self.scale: tuple[RatingLevel, ...] = ()
        self._bold = QFont()
        self._bold.setBold(True)
        self._muted = QBrush(colours.colour("muted"))

    def set_summary(
        self,
        rows: Sequence[SummaryRow],
        qs: QuestionSet | None,
        others: Sequence[QuestionSet] = (),
    ) -> None:
        """`others`: further question sets whose rows follow (PDU inspections pooled per set);
        the bands are those of `qs`."""
        self.qs = qs
        self.others = tuple(others)
        self.scale = qs.ratings.scale if qs is not None and qs.ratings else ()
        self.headers[self.NAME] = "Region" if rows and rows[0].scope == "region" else "PDU"
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, self.NAME, self.NAME)
        self.set_rows(rows)

    def question_text(self, qid: str) -> str:
        for qs in (self.qs, *self.others):
            if qs is not None and qs.has_question(qid):
                return qs.question(qid).text
        return ""

    def level_position(self, label: str | None) -> int | None:
        for i, level in enumerate(self.scale):
            if level.label == label:
                return i
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        r: SummaryRow | None = self._record(index)
        if r is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == PERCENT_ROLE and col == self.PERCENT:
            return r.percent
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return NUMERIC if self.RELEVANT <= col <= self.PERCENT else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if r.key_question and col in (self.QUESTION, self.RATING) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, col)
        if col == self.NAME and role == Qt.ItemDataRole.ForegroundRole:
            # The group's name once, greyed on the rows after: the eye finds each group.
            previous = self._rows[index.row() - 1] if index.row() > 0 else None
            return self._muted if previous is not None and previous.name == r.name else None
        if col == self.RATING and r.caution and role == Qt.ItemDataRole.ForegroundRole:
            return self._muted
        if col == self.RATING and role in (
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.BackgroundRole,
        ):
            pos = self.level_position(r.rating)
            if pos is None:
                return None
            fg, bg = rating_colours(pos, len(self.scale))
            return QBrush(fg if role == Qt.ItemDataRole.ForegroundRole else bg)
        return None

    def _display(self, r: SummaryRow, col: int) -> str:
        if col == self.NAME:
            return r.name
        if col == self.QUESTION:
            text = self.question_text(r.question_id)
            indent = "" if r.key_question else "    "
            return f"{indent}{r.question_id}  {text}" if text else f"{indent}{r.question_id}"
        if col == self.PERCENT:
            return NO_CASES if r.percent is None else f"{r.percent:.1f}%"
        if col == self.RATING:
            return r.rating or ("base too small" if r.caution else "")
        counts = (r.relevant, r.yes, r.no, r.not_applicable, r.did_not_apply, r.not_answered)
        return str(counts[col - self.RELEVANT])

    def _tooltip(self, r: SummaryRow, col: int) -> str:
        if col == self.DID_NOT_APPLY:
            return f"{r.question_id}: cases whose condition switched the question off."
        if col == self.NOT_ANSWERED:
            return f"{r.question_id}: cases it applies to with no answer yet (not in the base)."
        if col == self.NA:
            return f"{r.question_id}: cases answered Not applicable (not in the base)."
        if col == self.RATING and r.caution:
            return f"{r.question_id} in {r.name}: {r.caution}; no rating is given."
        if col == self.PERCENT:
            if r.percent is None:
                return f"{r.question_id}: no case in {r.name} is relevant to this question."
            tip = (
                f"{r.question_id} in {r.name}: {r.yes} of {r.relevant} relevant cases "
                f"answered Yes ({r.percent:.1f}%, rounded down)."
            )
            if r.caution:
                tip += f"\nCaution: {r.caution}."
            if self.scale:
                bands = ", ".join(f"{lv.label} from {lv.min_percent}%" for lv in self.scale)
                tip += f"\nRating bands: {bands}."
            return tip + "\nDouble-click or press Enter to see the cases."
        kind = "Key question" if r.key_question else "Prompt"
        return f"{kind} {r.question_id}: {self.question_text(r.question_id)}"
