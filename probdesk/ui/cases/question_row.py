"""One question on screen: its row in the case form, and the guidance panel beside the form.

A row holds the question's text, why it is asked (for a conditional question), the team lead's
comments on that question (sent back in a pack), its answer widget
(probdesk/ui/cases/question_widgets.py) and the evidence notes field.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.questionset import Question, QuestionSet
from probdesk.domain.records import Comment
from probdesk.services.questionsets import answer_words
from probdesk.ui.cases.question_widgets import (
    AnswerWidget,
    ChoiceWidget,
    YesNoWidget,
    answer_widget,
)
from probdesk.ui.kit import colours
from probdesk.ui.kit.autosave_text import AutosaveText
from probdesk.ui.kit.layout import OneLineLabel


class NoteText(AutosaveText):
    """An evidence note: one line while empty and not in use, a few lines once it holds text
    or has the focus (the form then shows more questions at a time)."""

    LINES_OPEN = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.textChanged.connect(self._fit)
        self._fit()

    def _height(self, lines: int) -> int:
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        return self.fontMetrics().lineSpacing() * lines + frame + 2

    def _lines(self) -> int:
        """Lines the note needs at its width (1 to LINES_OPEN); LINES_OPEN while typing."""
        if self.hasFocus():
            return self.LINES_OPEN
        if not self.toPlainText():
            return 1
        laid_out = int(self.document().documentLayout().documentSize().height())
        return max(1, min(self.LINES_OPEN, laid_out))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()  # the text wraps differently at another width

    def _fit(self) -> None:
        height = self._height(self._lines())
        if self.height() != height or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._fit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._fit()


REQUIRED = "needed to submit"
NOT_COUNTED = "not counted in the findings"


def question_marks(question: Question) -> list[str]:
    """What the form says beside a question's text: a key question is needed to submit (an
    applicable one, unanswered, blocks it); one that does not count toward the findings says
    so (most do: the legend above the form says that)."""
    out = []
    if question.is_key:
        out.append(REQUIRED)
    if not question.counts:
        out.append(NOT_COUNTED)
    return out


class QuestionRow(QFrame):
    """A question: its text, the answer widget, and the evidence notes field."""

    answer_changed = Signal(str)  # question id
    note_settled = Signal(str)
    said = Signal(str)  # why a key did nothing (the status bar shows it)

    def __init__(
        self, question: Question, condition: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.question = question
        self.setObjectName(f"question-{question.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel if question.is_key else QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        kind = "Key question" if question.is_key else "Prompt"
        marks = question_marks(question)
        shown = f" <small>({escape(', '.join(marks))})</small>" if marks else ""
        self.label = QLabel(f"<b>{escape(question.id)}</b>&nbsp; {escape(question.text)}{shown}")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAccessibleName(f"{kind} {question.id}")
        self.label.setAccessibleDescription(
            "; ".join(marks) if marks else "optional for submitting"
        )
        if question.is_key:
            font = self.label.font()
            font.setPointSizeF(font.pointSizeF() * 1.08)
            self.label.setFont(font)
        layout.addWidget(self.label)
        if condition:
            # One line (the whole of it in the tooltip and the guidance pane): more questions
            # fit on a laptop's screen.
            self.condition = OneLineLabel(f"Asked because {condition}.")
            font = self.condition.font()
            font.setItalic(True)
            self.condition.setFont(font)
            self.condition.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.condition.setAccessibleName(f"Why {question.id} is asked")
            layout.addWidget(self.condition)
        # The team lead's comments on this question (filled in for each case: rows are reused).
        self.comments = QLabel("")
        self.comments.setWordWrap(True)
        self.comments.setTextFormat(Qt.TextFormat.RichText)
        self.comments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.comments.setAccessibleName(f"Comments on {question.id}")
        self.comments.setStyleSheet(
            f"QLabel {{ background: {colours.css('note_bg')}; "
            f"border: 1px solid {colours.css('note_border')}; color: {colours.css('note_fg')}; "
            "padding: 3px; }"
        )
        self.comments.hide()
        layout.addWidget(self.comments)
        self.answer: AnswerWidget = answer_widget(question)
        self.answer.changed.connect(lambda: self.answer_changed.emit(question.id))
        self.answer.refused.connect(self.said)
        self.label.setBuddy(self.answer.focus_target())
        self.note = NoteText()
        self.note.setPlaceholderText("Evidence notes…")
        self.note.setAccessibleName(f"Evidence notes for {question.id}")
        self.note.settled.connect(lambda: self.note_settled.emit(question.id))
        if isinstance(self.answer, YesNoWidget | ChoiceWidget):
            # A short answer and its note share a line: more questions fit on a laptop.
            line = QHBoxLayout()
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(self.answer, 0, Qt.AlignmentFlag.AlignTop)
            line.addWidget(self.note, 1)
            layout.addLayout(line)
        else:
            layout.addWidget(self.answer)
            layout.addWidget(self.note)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def show_comments(self, found: Sequence[Comment]) -> None:
        """The comments on this question, e.g. "Team lead (TL), 4 Dec: Is the RoSH level
        right?", each with the assessor's reply; hidden when there are none."""
        lines = [
            (
                "Team lead" + (f" ({c.author})" if c.author else ""),
                f", {c.created_at.day} {c.created_at:%b}",
                f" (done {c.done_at.day} {c.done_at:%b})" if c.done_at else "",
                f": {c.text}",
                c.reply,
            )
            for c in found
        ]
        self.comments.setText(
            "<br>".join(
                f"<b>{escape(who)}</b>{when}<i>{escape(done)}</i>{escape(text)}"
                + (f"<br><i>Your reply</i>: {escape(reply)}" if reply else "")
                for who, when, done, text, reply in lines
            )
        )
        # What a screen reader says: the same lines without the markup.
        self.comments.setAccessibleDescription(
            "\n".join(
                f"{who}{when}{done}{text}" + (f". Your reply: {reply}" if reply else "")
                for who, when, done, text, reply in lines
            )
        )
        self.comments.setVisible(bool(found))

    def contains_focus(self) -> bool:
        w = QApplication.focusWidget()
        return w is not None and (w is self or self.isAncestorOf(w))


class GuidancePanel(QTextBrowser):
    """Guidance and evidence sources for the question in focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Guidance for the question in focus")
        self.setMinimumWidth(120)
        self.show_question(None, None)

    def show_question(self, qs: QuestionSet | None, q: Question | None) -> None:
        if qs is None or q is None:
            self.setHtml(
                "<h3>Guidance</h3><p>Move to a question to see its guidance and evidence "
                "sources here.</p><p><b>Submitting</b>: key questions (marked \u201cneeded to "
                "submit\u201d) must be answered; prompts left unanswered are listed when you "
                "submit, to confirm.</p><p><b>Keys</b>: Y Yes, N No, A Not applicable, Delete "
                "clears; Tab to the notes; Ctrl+J next unanswered question; Ctrl+H history; "
                "Ctrl+Z undo.</p>"
            )
            return
        parts = [f"<p><small>{escape(qs.section_of(q.id).title)} &middot; {q.id}</small></p>"]
        parts.append(f"<h3>{escape(q.text)}</h3>")
        parts.append(f"<p><b>Answer:</b> {escape(answer_words(q))}</p>")
        marks = question_marks(q)
        if marks:
            parts.append(f"<p>{escape('; '.join(marks).capitalize())}.</p>")
        if q.applies_when is not None:
            parts.append(f"<p><b>Applies when</b> {escape(qs.describe(q.applies_when))}.</p>")
        if q.guidance:
            parts.append(f"<p><b>Guidance</b><br>{escape(q.guidance)}</p>")
        if q.evidence:
            items = "".join(f"<li>{escape(e)}</li>" for e in q.evidence)
            parts.append(f"<p><b>Evidence sources</b></p><ul>{items}</ul>")
        self.setHtml("".join(parts))
