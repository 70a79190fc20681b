"""The Hub tab: the team lead merges the shared folder into the hub and reads the figures,
the conflicts and how far fieldwork has got.

The hub is the window's, passed in (`set_hub`): the window opens it when first needed and
closes it. The figures are probdesk.services.figures', the same the reports print. Every read
and write of the hub goes through the Runner: a hub on a network drive or a server never
freezes the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSettings,
    QSize,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QPainter, QPen, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.answer_types import value_word
from probdesk.domain.case_events import field_label
from probdesk.domain.case_events import valid_field as case_field
from probdesk.domain.records import CaseStatus, Inspection
from probdesk.errors import ProbdeskError
from probdesk.ui.changes import Changes
from probdesk.ui.kit.layout import hint_label, name_buttons, plural, scrolling_body, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.kit.tables import (
    Column,
    RecordTableModel,
    RowsTableModel,
    record_view,
    selected_rows,
)
from probdesk.ui.runner import Cancelled, Progress, Runner

if TYPE_CHECKING:
    from probdesk.domain.questionset import QuestionSet, RatingLevel
    from probdesk.hub.store import Hub
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.figures import (
        CaseOutcome,
        Conflict,
        InspectionFigures,
        ModerationItem,
        RegionalFigures,
        Side,
        SummaryRow,
    )
    from probdesk.services.hub import (
        EnrolledKey,
        HeldKey,
        MergeOutcome,
        ModerationResult,
        ResolutionResult,
    )
    from probdesk.services.hub_access import HubAccess

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
STATE_COLOURS = {"rejected": "#a4000f", "quarantined": "#8a4b00", "held": "#8a4b00"}
OUTCOME_LABELS = {
    "yes": "Yes",
    "no": "No",
    "na": "Not applicable",
    "unanswered": "Not answered yet",
}
# Rating badges and the threshold bands behind the bars, best level first: dark text on a
# light tint (GOV.UK tag colours), readable in both the badge and the bar.
RATING_COLOURS = (
    ("#005a30", "#cce2d8"),  # green
    ("#3d4f12", "#e2ecc4"),  # light green
    ("#6e3619", "#fcd6c3"),  # orange
    ("#942514", "#f6d7d2"),  # red
)
BAR_COLOUR = "#1d4f7a"
TRACK_COLOUR = "#e4e8ec"
NO_CASES = "no relevant cases"
POOLED_TEXT = "The region's PDU inspections, poo&led"
DRILL_NOTE = "Double-click a row, or press Enter, to see its cases."
POOLED_DRILL_NOTE = (
    "Double-click a row, or press Enter, to see its cases across the pooled inspections."
)


def rating_colours(position: int, levels: int) -> tuple[QColor, QColor]:
    """(text, background) for the level at `position` of a scale of `levels`, best first."""
    last = len(RATING_COLOURS) - 1
    i = last if levels <= 1 else round(position * last / (levels - 1))
    fg, bg = RATING_COLOURS[min(max(i, 0), last)]
    return QColor(fg), QColor(bg)


def _value_text(value: object) -> str:
    if value is None:
        return "(cleared)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value_word(value)


def _counts_text(counts: dict[str, int]) -> str:
    words = (
        ("cases", "case"),
        ("answers", "answer"),
        ("meetings", "meeting"),
        ("meeting_notes", "note"),
    )
    return ", ".join(plural(counts[k], w) for k, w in words if k in counts)


def _details(o: MergeOutcome) -> str:
    if o.reason:
        return o.reason
    if o.state == "already merged":
        return "merged before: nothing new"
    counts = _counts_text(o.counts)
    return f"{counts}. Note: {o.flag}" if o.flag else counts


# -- models ---------------------------------------------------------------------------------


class MergeOutcomeModel(RecordTableModel):
    """One row per package file the merge looked at."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Package file", lambda o: o.file),
                ("Result", lambda o: STATE_LABELS.get(o.state, o.state)),
                ("Details", _details),
            ],
            tooltip=lambda o: (
                f"{o.file}\nPackage id {o.package_id or 'not readable'}\n{_details(o)}"
            ),
            parent=parent,
        )
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        record = self._record(index)
        if record is not None and record.state in STATE_COLOURS:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(STATE_COLOURS[record.state]))
            if role == Qt.ItemDataRole.FontRole and index.column() == 1:
                return self._bold
        return super().data(index, role)


class HeldKeyModel(RecordTableModel):
    """Laptops whose packages are held: the key's fingerprint and whom it says it is."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Key fingerprint", lambda h: h.fingerprint),
                ("Says it is", lambda h: h.claimed_member or "nobody"),
                ("Packages", lambda h: str(h.packages)),
                ("Newest", lambda h: h.file_name),
            ],
            tooltip=lambda h: (
                f"Key {h.fingerprint}, laptop {h.device_id[:8]}: {plural(h.packages, 'package')} "
                "held. Ask the member to read this laptop's fingerprint (Sync tab) aloud and "
                "compare it before enrolling."
            ),
            parent=parent,
        )


class NumbersModel(RecordTableModel):
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


class ProgressModel(NumbersModel):
    def __init__(self, parent: QObject | None = None) -> None:
        def count(status: CaseStatus) -> Any:
            return lambda r: str(dict(r.by_status).get(status.value, 0))

        columns: list[Column] = [
            ("By", lambda r: "Assessor" if r.group == "assessor" else "PDU"),
            ("Name", lambda r: r.name),
            *((s.label, count(s)) for s in CaseStatus),
            ("Total", lambda r: str(r.total)),
        ]
        super().__init__(columns, first_number=2, parent=parent)


def _conflict_values(c: Conflict) -> str:
    if c.kind != "conflict":
        return "different questions answered on several laptops"
    parts = [f"{who}: {_value_text(value)}" for who, value in c.values]
    if parts:
        parts[0] += " (shown)"
    return "  ·  ".join(parts)


def _conflict_question(c: Conflict) -> str:
    """The question, or the case's field in words ("the fact rosh_level"), or "(several)"."""
    if not c.question_id:
        return "(several)"
    return field_label(c.question_id) if case_field(c.question_id) else c.question_id


class ConflictModel(RecordTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda c: c.case_ref),
                ("Question", _conflict_question),
                ("Answers, the one shown first", _conflict_values),
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


def _status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


class ModerationModel(RecordTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda m: m.case_ref),
                ("PDU", lambda m: m.pdu),
                ("Assessor", lambda m: m.assessor),
                ("Status", lambda m: _status_label(m.status)),
                ("Decision", lambda m: DECISION_LABELS.get(m.decision, m.decision) or "None yet"),
                ("By", lambda m: m.moderator),
            ],
            tooltip=lambda m: (
                f"{m.case_ref}: {DECISION_LABELS.get(m.decision, m.decision)} by {m.moderator}"
                + (f"\n{m.comment}" if m.comment else "")
                if m.decision
                else f"{m.case_ref}: submitted, not moderated yet"
            ),
            parent=parent,
        )


class SummaryModel(RowsTableModel):
    """The figures: one row per group and counting question, with % Yes and the rating."""

    NAME, QUESTION, RELEVANT, YES, NO, NA, PERCENT, RATING = range(8)
    HEADERS = ("PDU", "Question", "Relevant", "Yes", "No", "N/A", "% Yes", "Rating")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(self.HEADERS, parent)
        self.qs: QuestionSet | None = None
        self.others: tuple[QuestionSet, ...] = ()  # pooled: the other sets' question texts
        self.scale: tuple[RatingLevel, ...] = ()
        self._bold = QFont()
        self._bold.setBold(True)
        self._muted = QBrush(QColor("#5f6b76"))

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
            return r.rating or ""
        return str((r.relevant, r.yes, r.no, r.not_applicable)[col - self.RELEVANT])

    def _tooltip(self, r: SummaryRow, col: int) -> str:
        if col == self.PERCENT:
            if r.percent is None:
                return f"{r.question_id}: no case in {r.name} is relevant to this question."
            tip = (
                f"{r.question_id} in {r.name}: {r.yes} of {r.relevant} relevant cases "
                f"answered Yes ({r.percent:.1f}%, rounded down)."
            )
            if self.scale:
                bands = ", ".join(f"{lv.label} from {lv.min_percent}%" for lv in self.scale)
                tip += f"\nRating bands: {bands}."
            return tip + "\nDouble-click or press Enter to see the cases."
        kind = "Key question" if r.key_question else "Prompt"
        return f"{kind} {r.question_id}: {self.question_text(r.question_id)}"


class PercentBarDelegate(QStyledItemDelegate):
    """The % Yes column: a bar for the percentage over the rating bands, and the number."""

    def __init__(self, model: SummaryModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 260), hint.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_colour = opt.palette.highlightedText() if selected else opt.palette.text()
        area = opt.rect.adjusted(6, 0, -6, 0)
        fm = opt.fontMetrics
        painter.save()
        percent = index.data(PERCENT_ROLE)
        if percent is None:
            font = QFont(opt.font)
            font.setItalic(True)
            painter.setFont(font)
            painter.setPen(text_colour.color() if selected else QColor("#5f6b76"))
            painter.drawText(
                area, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text
            )
            painter.restore()
            return
        text_width = fm.horizontalAdvance("100.0%") + 10
        height = max(8, min(area.height() - 8, fm.height() - 2))
        bar = QRect(
            area.left(),
            area.top() + (area.height() - height) // 2,
            max(20, area.width() - text_width),
            height,
        )
        self._paint_bands(painter, bar)
        filled = bar.adjusted(0, height // 4, 0, -(height // 4))
        filled.setWidth(round(bar.width() * max(0.0, min(float(percent), 100.0)) / 100))
        painter.fillRect(filled, QColor(BAR_COLOUR))
        painter.setPen(QPen(QColor("#8a96a3"), 1))
        painter.drawRect(bar.adjusted(0, 0, -1, -1))
        painter.setPen(text_colour.color())
        label = QRect(bar.right() + 1, area.top(), area.right() - bar.right(), area.height())
        painter.drawText(label, int(NUMERIC), text)
        painter.restore()

    def _paint_bands(self, painter: QPainter, bar: QRect) -> None:
        scale = self.model.scale
        if not scale:
            painter.fillRect(bar, QColor(TRACK_COLOUR))
            return
        upper = 100.0
        for pos, level in enumerate(scale):  # best first: each band runs up to the one above
            lower = float(level.min_percent)
            x0 = bar.left() + round(bar.width() * lower / 100)
            x1 = bar.left() + round(bar.width() * upper / 100)
            _fg, bg = rating_colours(pos, len(scale))
            painter.fillRect(QRect(x0, bar.top(), max(0, x1 - x0), bar.height()), bg)
            if lower > 0:  # the threshold itself, as a tick across the bar
                fg, _bg = rating_colours(pos, len(scale))
                painter.setPen(QPen(fg, 1))
                painter.drawLine(x0, bar.top(), x0, bar.bottom())
            upper = lower


# -- drill-down -----------------------------------------------------------------------------


class DrillDownDialog(QDialog):
    """The cases behind one percentage, with each case's outcome."""

    def __init__(
        self, heading: str, cases: Sequence[CaseOutcome], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cases behind the figure")
        self.setAccessibleName("Cases behind the figure")
        layout = QVBoxLayout(self)
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setAccessibleName("Question and group")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        tally = {k: sum(c.outcome == k for c in cases) for k in OUTCOME_LABELS}
        self.summary = QLabel(
            f"{plural(len(cases), 'case')}: {tally['yes']} Yes, {tally['no']} No, "
            f"{tally['na']} not applicable, {tally['unanswered']} not answered yet."
        )
        self.summary.setAccessibleName("Outcomes in short")
        layout.addWidget(self.summary)
        self.model = RecordTableModel(
            [
                ("Case", lambda c: c.case_ref),
                ("PDU", lambda c: c.pdu),
                ("Assessor", lambda c: c.assessor),
                ("Outcome", lambda c: OUTCOME_LABELS.get(c.outcome, c.outcome)),
            ],
            parent=self,
        )
        self.model.set_rows(cases)
        self.view = record_view(self.model, "Cases and their outcomes")
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 520)


def _side_detail(side: Side, with_note: bool = True) -> str:
    laptop = f"laptop {side.device_id[:8]}" if side.device_id else "laptop unknown"
    when = side.recorded_at.replace("T", " ")[:16] if side.recorded_at else "time unknown"
    if not with_note:  # a case's field: no note to show
        return f"{laptop}, {when}."
    note = f"Note: {side.note}" if side.note else "No note."
    return f"{laptop}, {when}. {note}"


class SettleDialog(QDialog):
    """Which of a conflict's answers stands, and whether both notes are kept."""

    def __init__(self, conflict: Conflict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.setWindowTitle("Settle a conflict")
        self.setAccessibleName("Settle a conflict")
        self.setMinimumWidth(520)  # the sides' laptops, times and notes on few lines
        layout = QVBoxLayout(self)
        is_field = case_field(conflict.question_id)
        if is_field:
            text = (
                f"Case {conflict.case_ref}: {field_label(conflict.question_id)} was changed "
                "differently on two laptops (or by you and an assessor). Which value stands?"
            )
        else:
            text = (
                f"Case {conflict.case_ref}, question {conflict.question_id} was answered "
                "differently on two laptops. Which answer stands?"
            )
        heading = QLabel(text)
        heading.setWordWrap(True)
        heading.setAccessibleName("The conflict")
        layout.addWidget(heading)
        self.group = QButtonGroup(self)
        self.radios: list[QRadioButton] = []
        details = [_side_detail(s, not is_field) for s in conflict.sides] or [""] * len(
            conflict.values
        )
        for i, ((who, value), about) in enumerate(zip(conflict.values, details, strict=True)):
            text = f"{who}: {_value_text(value)}"
            radio = QRadioButton(text)
            radio.setAccessibleName(f"Keep {'value' if is_field else 'answer'} {i + 1}, {text}")
            self.group.addButton(radio, i)
            self.radios.append(radio)
            layout.addWidget(radio)
            if not about:
                continue
            detail = QLabel(about)
            detail.setWordWrap(True)
            detail.setTextFormat(Qt.TextFormat.PlainText)
            detail.setAccessibleName(f"Answer {i + 1}: laptop, time and note")
            detail.setIndent(24)
            layout.addWidget(detail)
        if self.radios:
            self.radios[0].setChecked(True)
        self.both_notes_box = QCheckBox("Keep &both notes")
        self.both_notes_box.setAccessibleName("Keep both notes")
        self.both_notes_box.setToolTip("Keep the notes of every answer, not only the chosen one's")
        layout.addWidget(self.both_notes_box)
        self.both_notes_box.setVisible(not is_field)  # a case's fields have no notes
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        name_buttons(buttons, "Settle", "Settle the conflict")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def keep(self) -> int:
        """The chosen answer, 1 for the one listed first."""
        return max(self.group.checkedId(), 0) + 1

    def both_notes(self) -> bool:
        return self.both_notes_box.isChecked()


class ReturnDialog(QDialog):
    """Return a case to its assessor: what they should look at again (required)."""

    def __init__(self, case_ref: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_ref = case_ref
        self.setWindowTitle(f"Return case {case_ref}")
        self.setAccessibleName("Return a case with a comment")
        layout = QVBoxLayout(self)
        label = QLabel(f"What should the assessor look at again in case {case_ref}?")
        label.setWordWrap(True)
        label.setAccessibleName("What to write")
        layout.addWidget(label)
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setAccessibleName("Comment for the assessor")
        label.setBuddy(self.comment_edit)
        layout.addWidget(self.comment_edit, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        name_buttons(self.buttons, "Return", "Return the case to its assessor")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.comment_edit.textChanged.connect(self._update)
        self._update()
        self.resize(480, 260)

    def comment(self) -> str:
        return self.comment_edit.toPlainText().strip()

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.comment()))

    def accept(self) -> None:
        if not self.comment():  # the comment is required
            return
        super().accept()


# -- the panel ------------------------------------------------------------------------------


HubRead = tuple["InspectionFigures | None", list["HeldKey"], "RegionalFigures | None"]


class HubPanel(QWidget):
    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None
        self.figures: InspectionFigures | None = None
        self.held_keys: list[HeldKey] = []  # the inspection's laptops waiting for enrolment
        self.regional: RegionalFigures | None = None  # a regional inspection's pooled figures
        self.drill_dialog: DrillDownDialog | None = None
        self.settle_dialog: SettleDialog | None = None
        self.return_dialog: ReturnDialog | None = None
        self.hub_access: HubAccess | None = None  # the window's hub: passed in, never opened here
        self._stale = True  # the figures on show may not be the inspection's: read again

        layout = scrolling_body(self, "Hub")
        self.hint = hint_label(
            "Choose an inspection at the top to merge the assessors' packages from the shared "
            "folder and see its figures.",
            "Hub: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QSplitter(Qt.Orientation.Vertical)
        self.content.setObjectName("hubSplitter")
        self.content.setAccessibleName("Hub sections")
        self.content.setChildrenCollapsible(False)
        layout.addWidget(self.content, 1)
        line = self.fontMetrics().height() + 8

        # -- 1. merge -----------------------------------------------------------------------
        top = QSplitter(Qt.Orientation.Horizontal)
        top.setAccessibleName("Merge and fieldwork progress")
        top.setChildrenCollapsible(False)
        merge_box, merge = section("1. Merge the assessors' packages", "Merge")
        row = QHBoxLayout()
        self.merge_button = QPushButton("Me&rge the shared folder")
        self.merge_button.setAccessibleName("Merge the shared folder into the hub")
        self.merge_button.setToolTip(
            "Read every package the assessors have put in the shared folder into the hub; "
            "packages already merged are skipped"
        )
        row.addWidget(self.merge_button)
        self.tally = QLabel("")
        self.tally.setAccessibleName("Merge result in short")
        row.addWidget(self.tally, 1)
        merge.addLayout(row)
        self.held = QLabel("")
        self.held.setAccessibleName("What the hub holds")
        merge.addWidget(self.held)
        self.folder_hint = hint_label(
            "No shared folder is set: set it on the Sync tab, then merge.",
            "Hub: no shared folder",
        )
        merge.addWidget(self.folder_hint)
        self.merge_message = message_label("Merge: message")
        self.merge_message.hide()
        merge.addWidget(self.merge_message)
        self.merge_model = MergeOutcomeModel(self)
        self.merge_view = record_view(self.merge_model, "Packages merged")
        self.merge_view.setMinimumHeight(line * 5)
        # The file names are long and alike: their ends tell them apart.
        self.merge_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.merge_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(
            0, self.fontMetrics().horizontalAdvance("pd-events-0826fd86-04a0-4b19-86…") + 12
        )
        merge.addWidget(self.merge_view, 1)
        self.held_box = QWidget()
        self.held_box.setAccessibleName("Laptops waiting for enrolment")
        held = QVBoxLayout(self.held_box)
        held.setContentsMargins(0, 0, 0, 0)
        self.held_note = QLabel(
            "<b>Laptops waiting for enrolment.</b> Their packages change no figure until you "
            "enrol them. Ask the member to read the fingerprint on their laptop (Sync tab) "
            "aloud; enrol it only if it matches, otherwise refuse it."
        )
        self.held_note.setWordWrap(True)
        held.addWidget(self.held_note)
        self.held_model = HeldKeyModel(self)
        self.held_view = record_view(self.held_model, "Laptops waiting for enrolment")
        self.held_view.setMinimumHeight(line * 3)
        held.addWidget(self.held_view)
        row = QHBoxLayout()
        member_label = QLabel("Enrol &for:")
        self.enrol_member = QComboBox()
        self.enrol_member.setAccessibleName("The team member the laptop is enrolled for")
        member_label.setBuddy(self.enrol_member)
        row.addWidget(member_label)
        row.addWidget(self.enrol_member)
        self.enrol_button = QPushButton("&Enrol the laptop")
        self.enrol_button.setAccessibleName("Enrol the selected laptop's key for the member")
        row.addWidget(self.enrol_button)
        self.refuse_button = QPushButton("Re&fuse the laptop")
        self.refuse_button.setAccessibleName("Refuse the selected laptop's key for good")
        row.addWidget(self.refuse_button)
        row.addStretch(1)
        held.addLayout(row)
        self.enrol_message = message_label("Enrolment: message")
        self.enrol_message.hide()
        held.addWidget(self.enrol_message)
        self.held_box.hide()
        merge.addWidget(self.held_box)
        self.enrol_button.clicked.connect(self.enrol_selected)
        self.refuse_button.clicked.connect(self.refuse_selected)
        self.held_view.selectionModel().currentRowChanged.connect(self._held_selected)
        top.addWidget(merge_box)

        # -- 4. progress (beside the merge: both short) ---------------------------------------
        progress_box, progress = section("4. Fieldwork progress", "Fieldwork progress")
        self.progress_summary = QLabel("")
        self.progress_summary.setAccessibleName("Fieldwork progress in short")
        progress.addWidget(self.progress_summary)
        self.progress_model = ProgressModel(self)
        self.progress_view = record_view(self.progress_model, "Cases by status")
        # Three assessors and three PDUs, the usual team, fit without scrolling.
        self.progress_view.setMinimumHeight(line * 7 + 4)
        header = self.progress_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        progress.addWidget(self.progress_view, 1)
        row = QHBoxLayout()
        self.closed_label = QLabel("")
        self.closed_label.setAccessibleName("Whether the inspection is closed")
        self.closed_label.setWordWrap(True)
        row.addWidget(self.closed_label, 1)
        self.close_button = QPushButton("Close &inspection…")
        self.close_button.setAccessibleName("Close the inspection")
        self.close_button.setToolTip(
            "Fieldwork and moderation are over: tell the laptops, which may then purge it "
            "once all their work is merged; the hub keeps it for the retention period"
        )
        row.addWidget(self.close_button)
        self.purge_button = QPushButton("&Purge expired…")
        self.purge_button.setAccessibleName("Purge the closed inspections whose time is up")
        self.purge_button.setToolTip(
            "Remove from this hub every closed inspection whose retention period is over "
            "(the organisation's period, set with probdesk hub retention DAYS); a record of "
            "ids and counts stays"
        )
        row.addWidget(self.purge_button)
        progress.addLayout(row)
        self.close_message = message_label("Closing: message")
        self.close_message.hide()
        progress.addWidget(self.close_message)
        self.close_dialog: Any = None
        self.purge_box: QMessageBox | None = None
        top.addWidget(progress_box)
        top.setStretchFactor(0, 9)
        top.setStretchFactor(1, 11)
        self.content.addWidget(top)

        # -- 2. figures and 3. conflicts ----------------------------------------------------
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.setAccessibleName("Figures and conflicts")
        bottom.setChildrenCollapsible(False)
        figures_box, figures = section("2. Figures", "Figures")
        # A regional inspection: its own sample, or its region's PDU inspections pooled.
        self.source_row = QWidget()
        self.source_row.setAccessibleName("Figures of the own sample or the pooled PDUs")
        row = QHBoxLayout(self.source_row)
        row.setContentsMargins(0, 0, 0, 0)
        source_label = QLabel("Figures of:")
        row.addWidget(source_label)
        self.own_radio = QRadioButton("This inspection's &own sample")
        self.own_radio.setAccessibleName("Figures of this inspection's own sample")
        self.own_radio.setToolTip(
            "The cases of the regional inspection's own sample, answered against its own "
            "question set"
        )
        self.pooled_radio = QRadioButton(POOLED_TEXT)
        self.pooled_radio.setAccessibleName("Figures of the region's PDU inspections, pooled")
        self.pooled_radio.setToolTip(
            "Every PDU inspection of the region merged into this hub, their cases counted "
            "together (as probdesk summary --region gives)"
        )
        self.source_group = QButtonGroup(self)
        self.source_group.addButton(self.own_radio, 0)
        self.source_group.addButton(self.pooled_radio, 1)
        self.own_radio.setChecked(True)
        row.addWidget(self.own_radio)
        row.addWidget(self.pooled_radio)
        row.addStretch(1)
        figures.addWidget(self.source_row)
        row = QHBoxLayout()
        by_label = QLabel("Fi&gures by:")
        self.scope_combo = QComboBox()
        self.scope_combo.setAccessibleName("Figures by PDU or by region")
        self.scope_combo.addItem("PDU", "pdu")
        self.scope_combo.addItem("Region (all PDUs pooled)", "region")
        by_label.setBuddy(self.scope_combo)
        row.addWidget(by_label)
        row.addWidget(self.scope_combo)
        self.figures_note = QLabel(DRILL_NOTE)
        self.figures_note.setAccessibleName("Figures: how to see the cases")
        row.addWidget(self.figures_note, 1)
        figures.addLayout(row)
        self.empty_hint = hint_label(
            "The hub holds nothing for this inspection yet: press Merge the shared folder.",
            "Hub: nothing merged yet",
        )
        figures.addWidget(self.empty_hint)
        self.pooled_hint = hint_label("", "Hub: no PDU inspection of the region merged yet")
        figures.addWidget(self.pooled_hint)
        self.pooled_note = QLabel("")
        self.pooled_note.setWordWrap(True)
        self.pooled_note.setAccessibleName("Pooled figures: what they count")
        self.pooled_note.setStyleSheet("color: #1f2a33;")
        figures.addWidget(self.pooled_note)
        self.pooled_hint.hide()
        self.pooled_note.hide()
        self.summary_model = SummaryModel(self)
        self.summary_view = record_view(self.summary_model, "Figures by question")
        self.summary_view.setMinimumHeight(line * 8)
        self.bar_delegate = PercentBarDelegate(self.summary_model, self.summary_view)
        self.summary_view.setItemDelegateForColumn(SummaryModel.PERCENT, self.bar_delegate)
        self.summary_view.setWordWrap(False)
        self.summary_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.summary_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SummaryModel.QUESTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SummaryModel.PERCENT, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(SummaryModel.PERCENT, 270)
        figures.addWidget(self.summary_view, 1)
        bottom.addWidget(figures_box)

        conflicts_box, conflicts = section("3. Conflicts", "Conflicts")
        self.undecided = QLabel("")
        self.undecided.setAccessibleName("Undecided conflicts")
        self.undecided.setWordWrap(True)
        conflicts.addWidget(self.undecided)
        self.conflict_model = ConflictModel(self)
        self.conflict_view = record_view(self.conflict_model, "Conflicts and parallel updates")
        conflicts.addWidget(self.conflict_view, 1)
        row = QHBoxLayout()
        self.settle_button = QPushButton("&Settle…")
        self.settle_button.setAccessibleName("Settle the selected conflict")
        self.settle_button.setToolTip(
            "Choose which answer stands; the laptops that answered get the decision"
        )
        row.addWidget(self.settle_button)
        row.addStretch(1)
        conflicts.addLayout(row)
        self.conflict_message = message_label("Conflicts: message")
        self.conflict_message.hide()
        conflicts.addWidget(self.conflict_message)
        bottom.addWidget(conflicts_box)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 1)
        bottom.setSizes([1000, 380])
        self.content.addWidget(bottom)

        # -- 5. moderation ------------------------------------------------------------------
        moderation_box, moderation = section("5. Moderation", "Moderation")
        self.moderation_model = ModerationModel(self)
        self.moderation_view = record_view(self.moderation_model, "Submitted cases to moderate")
        self.moderation_view.setMinimumHeight(line * 5)
        moderation.addWidget(self.moderation_view, 1)
        row = QHBoxLayout()
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setAccessibleName("Approve the selected case")
        self.return_button = QPushButton("Re&turn with comment…")
        self.return_button.setAccessibleName("Return the selected case with a comment")
        self.return_button.setToolTip(
            "Send the case back to its assessor's laptop with what to look at again"
        )
        row.addWidget(self.approve_button)
        row.addWidget(self.return_button)
        row.addStretch(1)
        moderation.addLayout(row)
        self.moderation_message = message_label("Moderation: message")
        self.moderation_message.hide()
        moderation.addWidget(self.moderation_message)
        self.content.addWidget(moderation_box)
        self.content.setStretchFactor(0, 2)
        self.content.setStretchFactor(1, 5)
        self.content.setStretchFactor(2, 2)

        self.merge_button.clicked.connect(self.merge_shared)
        self.close_button.clicked.connect(self.ask_close)
        self.purge_button.clicked.connect(self.ask_purge_hub)
        self.scope_combo.currentIndexChanged.connect(lambda _i: self._show_summary())
        self.source_group.idToggled.connect(self._source_toggled)
        self.summary_view.doubleClicked.connect(lambda i: self.drill_down(i.row()))
        # Enter on a row opens its cases. An event filter on the view, not a QShortcut: a
        # shortcut only fires in the active window, a key press reaches the focused view always.
        self.summary_view.installEventFilter(self)
        self.settle_button.clicked.connect(self.settle_selected)
        self.approve_button.clicked.connect(self.approve_selected)
        self.return_button.clicked.connect(self.return_selected)
        for view in (self.conflict_view, self.moderation_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._update_actions())
            view.model().modelReset.connect(self._update_actions)
        self.runner.changed.connect(self._changed)
        self.runner.finished.connect(self._runner_finished)
        self.set_inspection(None)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        self._stale = True
        self._update()
        self._refresh_if_shown()

    def set_inspection(self, inspection: Inspection | None) -> None:
        changed = (inspection.id if inspection else None) != (
            self.inspection.id if self.inspection else None
        )
        self.inspection = inspection
        if changed:
            self.merge_model.set_rows([])
            self.tally.setText("")
            show_message(self.merge_message, "")
            show_message(self.conflict_message, "")
            show_message(self.moderation_message, "")
            self.own_radio.setChecked(True)  # a regional inspection opens on its own sample
            self._show_figures(None)
            self._stale = True
        self.source_row.setVisible(self.is_regional())
        self._update()
        self._refresh_if_shown()

    def is_regional(self) -> bool:
        """Whether the chosen inspection is a regional one (kind "region")."""
        return self.inspection is not None and self.inspection.kind == "region"

    def pooled_shown(self) -> bool:
        """Whether the figures on show are the region's PDU inspections, pooled."""
        return self.is_regional() and self.pooled_radio.isChecked()

    def show_pooled(self, pooled: bool = True) -> None:
        """Show the pooled figures of the region's PDU inspections, or the own sample's."""
        (self.pooled_radio if pooled else self.own_radio).setChecked(True)

    def shared_folder(self) -> Path | None:
        text = str(self.settings.value(SHARED_FOLDER_KEY, "") or "")
        return Path(text).expanduser() if text else None

    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._stale = True
        self._refresh_if_shown()

    def hub(self) -> Hub:
        """The window's hub (a new one is made on first use if there is none: merging comes)."""
        from probdesk.services.hub_access import hub_of

        return hub_of(self.hub_access)

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def _update(self) -> None:
        ready = self.inspection is not None and self.fieldwork is not None
        self.hint.setVisible(not ready)
        self.content.setVisible(ready)
        has_folder = self.shared_folder() is not None
        self.folder_hint.setVisible(ready and not has_folder)
        self.merge_button.setEnabled(ready and has_folder)
        closed = self.inspection.closed_at if self.inspection is not None else None
        self.close_button.setEnabled(ready and closed is None)
        self.purge_button.setEnabled(ready)
        self.closed_label.setText(
            f"Closed on {closed:%d %b %Y}: laptops may purge it once all their work is merged."
            if closed is not None
            else "Open: close it when fieldwork and moderation are over."
        )
        self._update_actions()

    def _update_actions(self) -> None:
        conflict = self.selected_conflict()
        self.settle_button.setEnabled(conflict is not None and conflict.kind == "conflict")
        case = self.selected_case()
        self.approve_button.setEnabled(case is not None)
        self.return_button.setEnabled(case is not None and self.shared_folder() is not None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update()  # the shared folder may have been set on the Sync tab meanwhile
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if self._stale and self.isVisible() and not self.runner.busy:
            self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes & (Changes.HUB | Changes.TEAM):
            self._stale = True  # read again: at once when shown, else when next shown

    def _runner_finished(self, _title: str) -> None:
        self._refresh_if_shown()  # once the runner is free again

    # -- merge ----------------------------------------------------------------------------
    def merge_shared(self) -> bool:
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        self._update()
        if fw is None or inspection is None or shared is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            show_message(self.merge_message, exc.message, problem=True)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> list[MergeOutcome]:
            from probdesk.services import hub as hubs

            def report(done: int, total: int, what: str) -> None:
                if what == "done":
                    progress(total, total, "Reading the figures")
                else:
                    progress(done, total, f"Merging package {done + 1} of {total}: {what}")

            progress(0, 0, f"Looking for packages in {shared}")
            return hubs.merge(hub, fw, shared, report)

        return self.runner.run(
            "Merging the shared folder into the hub",
            work,
            self._merged,
            self._merge_failed,
            changes=Changes.HUB | Changes.TEAM,  # held laptops, receipts for the assessors
        )

    def _merged(self, outcomes: list[MergeOutcome]) -> None:
        self.merge_model.set_rows(outcomes)
        n = {s: sum(o.state == s for o in outcomes) for s in STATE_LABELS}
        self.tally.setText(
            f"{n['merged']} merged, {n['already merged']} already merged, {n['held']} held, "
            f"{n['rejected']} rejected, {n['quarantined']} quarantined"
        )
        if not outcomes:
            show_message(
                self.merge_message,
                f"No package from the assessors is in {self.shared_folder()} yet.",
            )
        elif n["held"] and not (n["rejected"] or n["quarantined"]):
            show_message(
                self.merge_message,
                "Some packages are held: they come from laptops not enrolled yet (below).",
                problem=True,
            )
        elif n["rejected"] or n["quarantined"]:
            show_message(
                self.merge_message,
                "Some packages were not merged: the reason is beside each. The others were.",
                problem=True,
            )
        else:
            show_message(self.merge_message, "")
        self._stale = True
        self.refresh()

    def _merge_failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        show_message(self.merge_message, exc.message, problem=True)
        self._stale = True

    # -- figures, conflicts, progress -----------------------------------------------------
    def refresh(self) -> bool:
        """Read the inspection's figures, conflicts and progress from the hub again."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None:
            self._show_figures(None)
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._stale = False
            self._show_figures(None)
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            show_message(self.merge_message, exc.message, problem=True)
            return False

        regional = inspection.kind == "region"

        def work(progress: Progress, _cancelled: Cancelled) -> HubRead:
            from probdesk.services import figures as views
            from probdesk.services.hub import held_packages

            progress(0, 0, "Reading the figures from the hub")
            figures = views.inspection_figures(hub, inspection.id)
            held = held_packages(hub, inspection.id) if figures is not None else []
            if not regional:
                return figures, held, None
            progress(0, 0, f"Pooling the PDU inspections of {inspection.region}")
            return figures, held, views.regional_figures(hub, inspection.region)

        def done(read: HubRead) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return  # the inspection changed meanwhile; stale is set, it reads again
            self._show_figures(*read)

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            show_message(self.merge_message, exc.message, problem=True)

        started = self.runner.run("Reading the hub's figures", work, done, failed)
        if started:
            self._stale = False
        return started

    def _show_figures(
        self,
        figures: InspectionFigures | None,
        held: Sequence[HeldKey] = (),
        regional: RegionalFigures | None = None,
    ) -> None:
        self.figures = figures
        self.regional = regional
        self._show_held(list(held))
        self._show_summary()
        self.conflict_model.set_rows(figures.conflicts if figures else [])
        undecided = sum(c.kind == "conflict" for c in figures.conflicts) if figures else 0
        parallel = sum(c.kind == "parallel" for c in figures.conflicts) if figures else 0
        text = f"{undecided} undecided"
        if parallel:
            text += f"; {plural(parallel, 'case')} updated on several laptops without a clash"
        self.undecided.setText(text if figures else "")
        self.held.setText(
            f"The hub holds {plural(figures.packages, 'package')} from the assessors' laptops."
            if figures
            else ""
        )
        self.moderation_model.set_rows(figures.moderation if figures else [])
        rows = figures.progress if figures else []
        self.progress_model.set_rows(rows)
        cases = sum(r.total for r in rows if r.group == "pdu")
        submitted = sum(
            dict(r.by_status).get(s.value, 0)
            for r in rows
            if r.group == "pdu"
            for s in (CaseStatus.SUBMITTED, CaseStatus.APPROVED, CaseStatus.LOCKED)
        )
        own = " of this inspection's own sample" if self.is_regional() else ""
        self.progress_summary.setText(
            f"{plural(cases, 'case')}{own} in the hub, {submitted} submitted or later."
            if figures
            else ""
        )

    def _show_summary(self) -> None:
        figures, regional = self.figures, self.regional
        by = str(self.scope_combo.currentData())
        pooled = self.pooled_shown()
        if pooled:
            rows = regional.summary.get(by, []) if regional else []
            sets = [p.qs for p in regional.pools] if regional else []
            self.summary_model.set_summary(rows, sets[0] if sets else None, sets[1:])
        else:
            rows = figures.summary.get(by, []) if figures else []
            self.summary_model.set_summary(rows, figures.qs if figures else None)
        self.summary_view.setColumnHidden(SummaryModel.RATING, not self.summary_model.scale)
        self._show_source()

    def _source_toggled(self, _id: int, on: bool) -> None:
        if on:  # the other button's toggle off is not a change of its own
            self._show_summary()

    def _show_source(self) -> None:
        """The pooled choice's label, and what the figures on show count (or why none)."""
        regional, pooled = self.regional, self.pooled_shown()
        none_merged = regional is not None and not regional.pdu_inspections
        text = POOLED_TEXT
        if regional is not None:
            n = len(regional.pdu_inspections)
            text += f" ({plural(n, 'inspection')})" if n else " (none merged yet)"
        self.pooled_radio.setText(text)
        nothing = self.figures is None if not pooled else regional is None
        self.empty_hint.setVisible(self.inspection is not None and nothing)
        self.pooled_hint.setText(
            f"No PDU inspection of {regional.region} has been merged into this hub yet: its "
            "PDUs' figures are pooled here once their packages are merged."
            if regional is not None
            else ""
        )
        self.pooled_hint.setVisible(pooled and none_merged)
        note = ""
        if pooled and regional is not None and regional.pdu_inspections:
            names = ", ".join(sorted(set(regional.pdu_names), key=str.casefold))
            note = (
                f"{regional.region}: {plural(len(regional.pdu_inspections), 'PDU inspection')} "
                f"pooled ({names}), {plural(regional.cases, 'case')}."
            )
            if len(regional.pools) > 1:
                note += (
                    f" They were answered against {len(regional.pools)} question sets: each "
                    "set's cases are pooled apart, the largest pool first."
                )
        self.pooled_note.setText(note)
        self.pooled_note.setVisible(bool(note))
        self.figures_note.setText(POOLED_DRILL_NOTE if pooled else DRILL_NOTE)

    # -- drill-down -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.summary_view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self._drill_current()
            return True
        return super().eventFilter(watched, event)

    def _drill_current(self) -> None:
        rows = selected_rows(self.summary_view)
        current = self.summary_view.currentIndex()
        row = rows[0] if rows else (current.row() if current.isValid() else -1)
        if row >= 0:
            self.drill_down(row)

    def drill_down(self, row: int) -> bool:
        """Open the list of cases behind row `row` of the figures."""
        inspection = self.inspection
        if inspection is None or not (0 <= row < self.summary_model.rowCount()):
            return False
        r: SummaryRow = self.summary_model.row_at(row)
        pdu = r.name if r.scope == "pdu" else None
        hub = self.hub()
        pooled_from: tuple[str, ...] = ()  # pooled figures: the inspections of the row's pool
        regional = self.regional
        if self.pooled_shown():
            if regional is None:
                return False
            by = str(self.scope_combo.currentData())
            pooled_from = regional.pools[regional.pool_of[by][row]].inspection_ids

        def work(progress: Progress, _cancelled: Cancelled) -> list[CaseOutcome]:
            from probdesk.services import figures

            progress(0, 0, f"Finding the cases behind {r.question_id} in {r.name}")
            if pooled_from:
                return figures.pooled_drill_down(hub, pooled_from, r.question_id, pdu)
            return figures.drill_down(hub, inspection.id, r.question_id, pdu)

        def done(cases: list[CaseOutcome]) -> None:
            text = self.summary_model.question_text(r.question_id)
            percent = NO_CASES if r.percent is None else f"{r.percent:.1f}% Yes"
            where = r.name
            if pooled_from:
                where += f", {plural(len(pooled_from), 'PDU inspection')} pooled"
            heading = f"{r.question_id} in {where} ({percent}): {text}"
            if self.drill_dialog is not None:
                self.drill_dialog.close()
                self.drill_dialog.deleteLater()
            self.drill_dialog = DrillDownDialog(heading, cases, self)
            self.drill_dialog.open()  # window-modal, without a nested event loop

        return self.runner.run("Finding the cases behind the figure", work, done)

    # -- settling conflicts -----------------------------------------------------------------
    def selected_conflict(self) -> Conflict | None:
        rows = selected_rows(self.conflict_view)
        return self.conflict_model.row_at(rows[0]) if rows else None

    def settle_selected(self) -> bool:
        """Open the dialog that settles the selected conflict (window-modal, no nested loop)."""
        conflict = self.selected_conflict()
        if conflict is None or conflict.kind != "conflict":
            return False
        if self.settle_dialog is not None:
            self.settle_dialog.close()
            self.settle_dialog.deleteLater()
        dialog = SettleDialog(conflict, self)
        dialog.accepted.connect(
            lambda: self.settle(conflict, dialog.keep(), both_notes=dialog.both_notes())
        )
        self.settle_dialog = dialog
        dialog.open()
        return True

    def settle(self, conflict: Conflict, keep: int, *, both_notes: bool = False) -> bool:
        """Keep answer `keep` (1 = the one listed first) of `conflict`, through the runner."""
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ResolutionResult:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Settling {conflict.question_id} of case {conflict.case_ref}")
            return hubs.resolve_conflict(
                hub, fw, inspection.id, conflict.case_ref, conflict.question_id,
                keep=keep, both_notes=both_notes, shared=shared,
            )  # fmt: skip

        def done(result: ResolutionResult) -> None:
            packs = plural(len(result.sendbacks), "send-back pack")
            where = f" in {shared}" if shared is not None and result.sendbacks else ""
            show_message(
                self.conflict_message,
                f"{result.case_ref} {result.question_id}: {_value_text(result.value)} stands; "
                f"{packs} written{where}.",
            )
            self._stale = True
            self.refresh()

        return self.runner.run("Settling a conflict", work, done, changes=Changes.HUB)

    # -- moderation -------------------------------------------------------------------------
    def selected_case(self) -> ModerationItem | None:
        rows = selected_rows(self.moderation_view)
        return self.moderation_model.row_at(rows[0]) if rows else None

    def approve_selected(self) -> bool:
        case = self.selected_case()
        return case is not None and self.moderate(case.case_ref, "approved", "")

    def return_selected(self) -> bool:
        """Open the dialog that asks for the comment, then returns the selected case."""
        case = self.selected_case()
        if case is None:
            return False
        if self.return_dialog is not None:
            self.return_dialog.close()
            self.return_dialog.deleteLater()
        dialog = ReturnDialog(case.case_ref, self)
        dialog.accepted.connect(lambda: self.moderate(case.case_ref, "returned", dialog.comment()))
        self.return_dialog = dialog
        dialog.open()
        return True

    # -- retention ---------------------------------------------------------------------------
    def ask_close(self) -> bool:
        """Close inspection…: say what closing does, then close it through the runner."""
        from probdesk.ui.purge_dialog import CloseInspectionDialog

        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None or inspection.closed_at is not None:
            return False
        try:
            from probdesk.services.retention import retention_days

            days = retention_days(self.hub())
        except ProbdeskError as exc:
            show_message(self.close_message, exc.message, problem=True)
            return False
        shared = self.shared_folder()
        if self.close_dialog is not None:
            self.close_dialog.close()
            self.close_dialog.deleteLater()
        dialog = CloseInspectionDialog(inspection.title, days, str(shared) if shared else None,
                                       self)  # fmt: skip
        dialog.accepted.connect(self.close_inspection)
        self.close_dialog = dialog
        dialog.open()
        return True

    def close_inspection(self) -> bool:
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> Any:
            from probdesk.services import retention

            progress(0, 0, "Closing the inspection and telling the laptops")
            return retention.close_inspection(hub, fw, inspection.id, shared)

        def done(result: Any) -> None:
            packs = len(result.packs)
            text = f"Closed on {result.closed_at:%d %b %Y}. "
            from probdesk.services.retention import plural

            text += (
                f"{plural(packs, 'closing pack')} written to the shared folder for the laptops."
                if packs
                else "No laptop has sent packages for it: no closing pack written."
                if shared is not None
                else "No shared folder is set: the laptops are not told yet."
            )
            show_message(self.close_message, text)
            self.set_inspection(fw.ws.inspection(inspection.id))

        return self.runner.run(
            "Closing the inspection", work, done, self._close_failed, changes=Changes.HUB
        )

    def ask_purge_hub(self) -> bool:
        """Purge expired…: list what is due (a dry run, through the runner), ask, then purge."""
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> Any:
            from probdesk.services import retention

            progress(0, 0, "Looking for inspections past their retention period")
            titles = {i.inspection_id: i.title for i in retention.hub_inspections(hub)}
            return retention.retention_days(hub), retention.purge_hub(hub, dry_run=True), titles

        def done(found: Any) -> None:
            days, plan, titles = found
            waiting = "".join(
                f"\n- {i.title}: kept until {i.purge_from:%d %b %Y}" for i in plan.waiting
            )
            if not plan.purged:
                text = f"No closed inspection is past its retention period ({days} days)."
                show_message(self.close_message, text + (f" Waiting:{waiting}" if waiting else ""))
                return
            due = "".join(f"\n- {titles.get(r.inspection_id, r.inspection_id[:8])}, closed on "
                          f"{r.closed_at:%d %b %Y}" for r in plan.purged)  # fmt: skip
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Purge expired inspections")
            box.setText(
                f"These closed inspections are past the retention period of {days} days. "
                f"Purging removes all their cases, answers, notes, evidence and packages from "
                f"this hub for good; a record of ids and counts stays.{due}"
            )
            box.setStandardButtons(
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
            )
            box.button(QMessageBox.StandardButton.Discard).setText("Purge for good")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(
                lambda code: (
                    self.purge_hub() if code == QMessageBox.StandardButton.Discard.value else None
                )
            )
            self.purge_box = box
            box.open()

        return self.runner.run("Looking for expired inspections", work, done, self._close_failed)

    def purge_hub(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> Any:
            from probdesk.services import retention

            progress(0, 0, "Purging expired inspections")
            return retention.purge_hub(
                hub, shared=shared, lead_device_id=fw.ws.device_id if fw is not None else None
            )

        def done(result: Any) -> None:
            from probdesk.services.retention import plural

            show_message(
                self.close_message,
                f"Purged {plural(len(result.purged), 'inspection')} from the hub; a record of "
                "ids and counts stays.",
            )
            self.refresh()

        return self.runner.run(
            "Purging expired inspections", work, done, self._close_failed, changes=Changes.HUB
        )

    def _retention_hub(self) -> Hub | None:
        """The hub for closing and purging, or None with the reason said under the buttons."""
        try:
            return self.hub()
        except ProbdeskError as exc:
            show_message(self.close_message, exc.message, problem=True)
            return None

    def _close_failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        show_message(self.close_message, exc.message, problem=True)

    # -- enrolment ---------------------------------------------------------------------------
    def _show_held(self, held: list[HeldKey]) -> None:
        self.held_model.set_rows(held)
        self.held_box.setVisible(bool(held))
        members: list[str] = []
        if self.fieldwork is not None and self.inspection is not None:
            members = [a.name for a in self.fieldwork.team(self.inspection.id)]
        current = self.enrol_member.currentText()
        self.enrol_member.clear()
        self.enrol_member.addItems(members)
        if current in members:
            self.enrol_member.setCurrentText(current)
        if held:
            self.held_view.selectRow(0)
        self._held_selected()

    def selected_held(self) -> HeldKey | None:
        rows = selected_rows(self.held_view)
        return self.held_model.row_at(rows[0]) if rows else None

    def _held_selected(self, *_args: object) -> None:
        h = self.selected_held()
        self.enrol_button.setEnabled(h is not None and self.enrol_member.count() > 0)
        self.refuse_button.setEnabled(h is not None)
        if h is not None and self.enrol_member.findText(h.claimed_member) >= 0:
            self.enrol_member.setCurrentText(h.claimed_member)

    def enrol_selected(self) -> bool:
        h = self.selected_held()
        member = self.enrol_member.currentText()
        if h is None or not member:
            return False
        return self._decide_key(h, member)

    def refuse_selected(self) -> bool:
        h = self.selected_held()
        return False if h is None else self._decide_key(h, None)

    def _decide_key(self, h: HeldKey, member: str | None) -> bool:
        fw = self.fieldwork
        if fw is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> EnrolledKey:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Recording the decision on key {h.fingerprint}")
            if member is None:
                return hubs.refuse_key(hub, fw, h.fingerprint)
            return hubs.enrol_key(hub, fw, h.fingerprint, member)

        def done(key: EnrolledKey) -> None:
            if key.state == "refused":
                text = f"Key {key.fingerprint} refused: its packages are rejected from now on."
                show_message(self.enrol_message, text)
                self._stale = True
                self.refresh()
                return
            show_message(
                self.enrol_message,
                f"Key {key.fingerprint} enrolled for {key.member}: merging its packages now.",
            )
            self.merge_shared()

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            show_message(self.enrol_message, exc.message, problem=True)

        title = "Refusing a laptop" if member is None else "Enrolling a laptop"
        return self.runner.run(title, work, done, failed, changes=Changes.HUB | Changes.TEAM)

    def moderate(self, case_ref: str, action: str, comment: str) -> bool:
        """Approve or return a case through the runner, then read the hub again."""
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ModerationResult:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Recording the decision on case {case_ref}")
            return hubs.moderate(hub, fw, inspection.id, case_ref, action, comment, shared)

        def done(result: ModerationResult) -> None:
            if result.action == "approved":
                text = f"{result.case_ref} approved."
            else:
                text = f"{result.case_ref} returned to its assessor"
                names = ", ".join(pack.name for pack in result.sendbacks)
                text += f": {names} written." if names else "."
            show_message(self.moderation_message, text)
            self._stale = True
            self.refresh()

        title = "Approving a case" if action == "approved" else "Returning a case"
        return self.runner.run(title, work, done, changes=Changes.HUB | Changes.OUTBOX)
