"""The Hub tab's dialogs: the cases behind a percentage, settling a conflict, returning a
case with a comment, a comment on one question of a case."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.case_events import field_label
from probdesk.domain.case_events import valid_field as case_field
from probdesk.ui.hub.case_view import OPEN_NOTE, open_rows
from probdesk.ui.hub.models import OUTCOME_LABELS, status_label, value_text
from probdesk.ui.kit.dialog import finish_with_ctrl_return
from probdesk.ui.kit.layout import name_buttons, plural
from probdesk.ui.kit.tables import RecordTableModel, record_view

if TYPE_CHECKING:
    from probdesk.services.figures import (
        CaseOutcome,
        Conflict,
        Side,
    )


class DrillDownDialog(QDialog):
    """The cases behind one percentage, with each case's outcome; with `open_case`, Enter or
    a double-click on a case opens it (`open_case(its CaseOutcome, this dialog)`: a pooled
    figure's cases are in several inspections, each named in its row)."""

    def __init__(
        self,
        heading: str,
        cases: Sequence[CaseOutcome],
        parent: QWidget | None = None,
        open_case: Callable[[CaseOutcome, QWidget], object] | None = None,
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
            f"{tally['na']} answered not applicable, {tally['did_not_apply']} did not apply, "
            f"{tally['unanswered']} not answered yet."
        )
        self.summary.setAccessibleName("Outcomes in short")
        layout.addWidget(self.summary)
        self.model: RecordTableModel[CaseOutcome] = RecordTableModel(
            [
                ("Case", lambda c: c.case_ref),
                ("PDU", lambda c: c.pdu),
                ("Assessor", lambda c: c.assessor),
                ("Status", lambda c: status_label(c.status) if c.status else ""),
                ("Outcome", lambda c: OUTCOME_LABELS.get(c.outcome, c.outcome)),
            ],
            parent=self,
        )
        self.model.set_rows(cases)
        self.view = record_view(self.model, "Cases and their outcomes")
        layout.addWidget(self.view, 1)
        self.open_case = open_case
        if open_case is not None:
            note = QLabel(OPEN_NOTE)
            note.setAccessibleName("How to open a case")
            layout.addWidget(note)
            open_rows(self.view, self._open_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 520)

    def _open_row(self, row: int) -> None:
        if self.open_case is not None and 0 <= row < self.model.rowCount():
            self.open_case(self.model.row_at(row), self)


def side_detail(side: Side, with_note: bool = True) -> str:
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
        details = [side_detail(s, not is_field) for s in conflict.sides] or [""] * len(
            conflict.values
        )
        for i, ((who, value), about) in enumerate(zip(conflict.values, details, strict=True)):
            text = f"{who}: {value_text(value)}"
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


def question_combo(questions: Sequence[tuple[str, str]], whole_case: bool) -> QComboBox:
    """A choice of the case's questions as (id, text); first "The whole case" (None)."""
    combo = QComboBox()
    if whole_case:
        combo.addItem("The whole case", None)
    for question_id, text in questions:
        short = text if len(text) <= 90 else text[:89] + "…"
        combo.addItem(f"{question_id} {short}", question_id)
    return combo


class _CommentDialog(QDialog):
    """A comment for a case's assessor, required, optionally on one of the case's questions
    (`questions`: id, text); OK is enabled once it can be sent. Tab leaves the text and
    Ctrl+Return sends."""

    def __init__(
        self,
        title: str,
        questions: Sequence[tuple[str, str]],
        *,
        whole_case: bool,  # the comment may be on the case as a whole
        choose: tuple[str, str],  # the question line's text and the combo's accessible name
        prompt: str,
        edit_name: str,
        ok: tuple[str, str],  # OK's text and accessible name
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.whole_case = whole_case
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        self.question_choice: QComboBox | None = None
        if questions or not whole_case:
            which = QLabel(choose[0])
            which.setAccessibleName("Which question")
            self.question_choice = question_combo(questions, whole_case=whole_case)
            self.question_choice.setAccessibleName(choose[1])
            which.setBuddy(self.question_choice)
            layout.addWidget(which)
            layout.addWidget(self.question_choice)
        label = QLabel(prompt)
        label.setWordWrap(True)
        label.setAccessibleName("What to write")
        layout.addWidget(label)
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setTabChangesFocus(True)  # Tab leaves it; Ctrl+Return sends
        self.comment_edit.setAccessibleName(edit_name)
        label.setBuddy(self.comment_edit)
        layout.addWidget(self.comment_edit, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        name_buttons(self.buttons, *ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        finish_with_ctrl_return(self, self.accept)
        layout.addWidget(self.buttons)
        self.comment_edit.textChanged.connect(self._update)
        self._update()

    def comment(self) -> str:
        return self.comment_edit.toPlainText().strip()

    def _ready(self) -> bool:
        chosen = self.whole_case or (
            self.question_choice is not None and self.question_choice.count() > 0
        )
        return bool(self.comment()) and chosen

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self._ready())

    def accept(self) -> None:
        if self._ready():  # the comment (and a question, where one is needed) is required
            super().accept()


class ReturnDialog(_CommentDialog):
    """Return a case to its assessor: what they should look at again (required); with
    `questions` (id, text), the question the comment is on may be chosen."""

    def __init__(
        self,
        case_ref: str,
        parent: QWidget | None = None,
        questions: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(
            f"Return case {case_ref}", questions, whole_case=True,
            choose=("The comment is on:", "The question the comment is on"),
            prompt=f"What should the assessor look at again in case {case_ref}?",
            edit_name="Comment for the assessor",
            ok=("Return", "Return the case to its assessor"), parent=parent,
        )  # fmt: skip
        self.case_ref = case_ref
        self.setAccessibleName("Return a case with a comment")
        self.resize(480, 260)

    def question_id(self) -> str | None:
        """The question chosen; None: the whole case."""
        if self.question_choice is None:
            return None
        data = self.question_choice.currentData()
        return str(data) if data is not None else None


class QuestionCommentDialog(_CommentDialog):
    """A comment for the assessor on one question of a case: the question and the text
    (both required). It does not return the case."""

    def __init__(
        self, case_ref: str, questions: Sequence[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            f"Comment on a question of case {case_ref}", questions, whole_case=False,
            choose=(f"Which question of case {case_ref}?", "The question to comment on"),
            prompt="What should the assessor look at? It shows at that question.",
            edit_name="Comment on the question for the assessor",
            ok=("Send", "Send the comment to the case's assessor"), parent=parent,
        )  # fmt: skip
        self.case_ref = case_ref
        self.setAccessibleName("Comment on one question of a case")
        self.resize(520, 300)

    def question_id(self) -> str:
        assert self.question_choice is not None  # always made: a question is required
        return str(self.question_choice.currentData())
