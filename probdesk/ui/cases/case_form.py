"""The question form for one case, generated from the question set.

Sections show the key question first, then its prompts (a QuestionRow each, in question_row.py).
Conditional questions appear and disappear as facts and answers change. Every change goes
through the Saver.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.questionset import Question, QuestionSet
from probdesk.domain.records import CaseStatus, Comment
from probdesk.errors import ProbdeskError
from probdesk.services.workspace import CaseState, Workspace
from probdesk.ui.cases.comments_box import CommentsBox
from probdesk.ui.cases.question_row import QuestionRow
from probdesk.ui.kit.autosave_text import AutosaveText
from probdesk.ui.kit.messages import show_problem
from probdesk.ui.kit.saver import Saver

if TYPE_CHECKING:
    from probdesk.ui.cases.reply_dialog import ReplyDialog


class CaseForm(QWidget):
    """Header, sections of question rows, and answers kept from another variant."""

    status_changed = Signal(str)  # case id: status, progress or variant changed
    edit_facts_requested = Signal(str)
    history_requested = Signal(str, str)  # case id, question id
    focus_question = Signal(object)  # Question | None

    def __init__(
        self, workspace: Workspace | None, saver: Saver, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.saver = saver
        self.state: CaseState | None = None
        self.rows: dict[str, QuestionRow] = {}
        self.body: QWidget | None = None
        self.kept = QGroupBox()
        self._built_for: tuple[str, str | None] | None = None
        self._bodies: dict[
            tuple[str, str | None], tuple[QWidget, dict[str, QuestionRow], QGroupBox]
        ] = {}
        self.answers: dict[str, object] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.title = QLabel("No case selected")
        self.title.setAccessibleName("Case")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        header.addWidget(self.title, 1)
        self.progress = QLabel("")
        self.progress.setAccessibleName("Case progress")
        header.addWidget(self.progress)
        self.facts_button = QPushButton("Case &facts…")
        self.facts_button.setAccessibleName("Edit case facts")
        self.facts_button.clicked.connect(
            lambda: self.state and self.edit_facts_requested.emit(self.state.case.id)
        )
        header.addWidget(self.facts_button)
        self.submit_button = QPushButton("&Submit case")
        self.submit_button.setAccessibleName("Submit case")
        self.submit_button.clicked.connect(self.submit_or_reopen)
        header.addWidget(self.submit_button)
        outer.addLayout(header)
        self.facts_line = QLabel("")
        self.facts_line.setWordWrap(True)
        self.facts_line.setAccessibleName("Case facts summary")
        outer.addWidget(self.facts_line)
        # Comments the team lead sent back (Sync tab: Open…) and a move's review notices,
        # filled in by load(); the window hands in the fieldwork's readers.
        self.comments_for: Callable[[str, str], list[Comment]] | None = None
        self.mark_comments_done: Callable[[str], int] | None = None
        self.reply_to_comment: Callable[[str, str, bool], Comment] | None = None
        self.comments = CommentsBox()
        self.comments.connect_done(self._comments_done)
        self.comments.connect_reply(lambda: self.ask_reply())
        self.reply_dialog: ReplyDialog | None = None
        outer.addWidget(self.comments)
        self.questions_area = QScrollArea()
        self.questions_area.setWidgetResizable(True)
        self.questions_area.setAccessibleName("Questions")
        self.questions_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        outer.addWidget(self.questions_area, 1)
        self.clear()
        app = QApplication.instance()
        assert isinstance(app, QApplication)  # a widget exists only once the application does
        app.focusChanged.connect(self._focus_changed)

    @property
    def workspace(self) -> Workspace:
        """The open data: the window attaches it before the form is used."""
        if self._workspace is None:
            raise RuntimeError("no data is open yet")
        return self._workspace

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._workspace = workspace

    # -- building -------------------------------------------------------------------------
    def clear(self) -> None:
        self.flush()
        self.state = None
        self.rows = {}
        self.body = None
        self._built_for = None
        old = self.questions_area.takeWidget()
        bodies = [body for body, _rows, _kept in self._bodies.values()]
        if old is not None and old not in bodies:
            old.deleteLater()
        for body in bodies:
            body.deleteLater()
        self._bodies = {}
        self.title.setText("No case selected")
        self.progress.setText("")
        self.facts_line.setText("")
        self.comments.hide()
        hint = QLabel(
            "Choose a case in the list, or add one with Add case… (Ctrl+N).\n\n"
            "Answer with Y, N and A; Ctrl+J jumps to the next unanswered question."
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.questions_area.setWidget(hint)
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        self.facts_button.setEnabled(on)
        self.submit_button.setEnabled(on)

    def load(self, case_id: str) -> None:
        """Show a case (flushing any typing in the previous one first).

        The rows are built once per question set and variant and reused when the next case
        has the same: opening a case then only fills in values.
        """
        self.flush()
        state = self.workspace.case_state(case_id)
        self.state = state
        self.answers = dict(state.answers)
        qs, case = state.question_set, state.case
        self._show_body(qs, case.variant)
        assert self.body is not None
        for qid, row in self.rows.items():
            row.answer.set_value(state.answers.get(qid))
            row.note.set_text_quietly(state.notes.get(qid, ""))
        self._show_comments(case.inspection_id, case.id)
        self._fill_kept(state)
        self._apply_visibility()
        self._set_enabled(True)
        self._refresh_header()
        self.body.setEnabled(state.editable)
        self.questions_area.verticalScrollBar().setValue(0)

    def _show_body(self, qs: QuestionSet, variant: str | None) -> None:
        """Put the form for this set and variant in the scroll area, built once and kept."""
        key = (qs.content_hash, variant)
        if key == self._built_for and self.body is not None:
            return
        if self.body is not None and self.questions_area.widget() is self.body:
            self.questions_area.takeWidget()  # kept for the next case of that variant, not deleted
        cached = self._bodies.get(key)
        if cached is None:
            cached = self._build(qs, variant)
            self._bodies[key] = cached
        self.body, self.rows, self.kept = cached
        self._built_for = key
        self.questions_area.setWidget(self.body)

    def prepare(self, qs: QuestionSet) -> None:
        """Build the forms of every variant ahead of time (called when the GUI is idle)."""
        for v in qs.variants:
            key = (qs.content_hash, v.id)
            if key not in self._bodies:
                self._bodies[key] = self._build(qs, v.id)

    def _build(
        self, qs: QuestionSet, variant: str | None
    ) -> tuple[QWidget, dict[str, QuestionRow], QGroupBox]:
        body = QWidget()
        body.setObjectName("caseFormBody")
        layout = QVBoxLayout(body)
        layout.setSpacing(10)
        sections = qs.sections_for(variant)
        if not sections:
            missing = QLabel(
                "This case's variant is not determined yet: record its case facts "
                "(Case facts…) to see its questions."
            )
            missing.setWordWrap(True)
            layout.addWidget(missing)
        rows: dict[str, QuestionRow] = {}
        for s in sections:
            box = QGroupBox(s.title)
            box.setAccessibleName(f"Section {s.title}")
            box_layout = QVBoxLayout(box)
            box_layout.setSpacing(2)
            for q in s.questions:
                why = qs.describe(q.applies_when) if q.applies_when is not None else ""
                row = QuestionRow(q, why)
                row.answer_changed.connect(self._answer_changed)
                row.note_settled.connect(self._note_settled)
                rows[q.id] = row
                box_layout.addWidget(row)
            layout.addWidget(box)
        kept = QGroupBox("Answers kept from another variant (not counted for this case)")
        kept.setAccessibleName("Answers kept from another variant")
        QVBoxLayout(kept)
        layout.addWidget(kept)
        layout.addStretch(1)
        return body, rows, kept

    def _fill_kept(self, state: CaseState) -> None:
        """Answers given under another variant: kept, shown, not counted."""
        qs = state.question_set
        kept_layout = self.kept.layout()
        assert kept_layout is not None
        while kept_layout.count():
            item = kept_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for qid, value in state.other_variant_answers:
            q = qs.question(qid) if qs.has_question(qid) else None
            text = q.text if q else "(a question this version of the set no longer has)"
            shown = q.label_of(value) if q else str(value)
            where = ", ".join(qs.variant(v).label for v in qs.section_of(qid).variants) if q else ""
            line = QLabel(
                f"<b>{escape(qid)}</b> <small>({escape(where)})</small> {escape(text)}: "
                f"<i>{escape(shown)}</i>"
            )
            line.setWordWrap(True)
            kept_layout.addWidget(line)
        self.kept.setVisible(bool(state.other_variant_answers))

    def _show_comments(self, inspection_id: str, case_id: str) -> None:
        found = self.comments_for(inspection_id, case_id) if self.comments_for else []
        self.comments.show_comments(found, self.state is not None and self.state.mine)
        for qid, row in self.rows.items():  # and each at its question
            row.show_comments([c for c in found if c.question_id == qid])

    def ask_reply(self, comment_id: str = "") -> bool:
        """Ask for a reply to one of the lead's comments on the open case, then record it."""
        from probdesk.ui.cases.comments_box import replyable
        from probdesk.ui.cases.reply_dialog import ReplyDialog

        if self.state is None or self.reply_to_comment is None or self.comments_for is None:
            return False
        case = self.state.case
        found = replyable(self.comments_for(case.inspection_id, case.id))
        if not found or not self.state.mine:
            return False
        dialog = ReplyDialog(found, self, comment_id)
        self.reply_dialog = dialog
        dialog.accepted.connect(lambda: self._reply(dialog))
        dialog.open()
        return True

    def _reply(self, dialog: ReplyDialog) -> None:
        if self.state is None or self.reply_to_comment is None:
            return
        case = self.state.case
        try:
            self.reply_to_comment(dialog.comment_id(), dialog.reply(), dialog.done_box.isChecked())
        except ProbdeskError as exc:
            show_problem(self, exc)
            return
        self._show_comments(case.inspection_id, case.id)
        self.status_changed.emit(case.id)  # the To do column and "changes not exported"

    def _comments_done(self) -> None:
        if self.state is None or self.mark_comments_done is None:
            return
        case = self.state.case
        try:
            self.mark_comments_done(case.id)
        except ProbdeskError as exc:
            show_problem(self, exc)
            return
        self._show_comments(case.inspection_id, case.id)
        self.status_changed.emit(case.id)  # the case list's To do column catches up

    def _refresh_header(self) -> None:
        if self.state is None:
            return
        qs, case = self.state.question_set, self.state.case
        variant = qs.variant(case.variant).label if case.variant else "variant not determined"
        self.title.setText(f"Case {case.reference}")
        self.title.setAccessibleDescription(f"{variant}, {case.status.label}")
        applicable = self._applicable()
        answered = sum(1 for q in applicable if self.answers.get(q) is not None)
        moved = (
            ""
            if self.state.mine
            else f" · {case.assessor}'s case, answered on their laptop: read it on the Hub tab"
            if self.state.elsewhere
            else f" · now {case.assessor}'s case: read-only here"
        )
        self.progress.setText(
            f"{variant} · {case.status.label} · {answered} of {len(applicable)} answered{moved}"
        )
        facts = "; ".join(
            f"{f.label}: {f.label_of(case.facts[f.id])}" for f in qs.facts if f.id in case.facts
        )
        self.facts_line.setText(facts)
        submitted = case.status in (CaseStatus.SUBMITTED, CaseStatus.RETURNED)
        self.submit_button.setText("&Reopen case" if submitted else "&Submit case")
        self.submit_button.setAccessibleName("Reopen case" if submitted else "Submit case")
        self.facts_button.setEnabled(self.state.facts_editable)
        self.submit_button.setEnabled(self.state.mine)

    def _applicable(self) -> frozenset[str]:
        assert self.state is not None
        c = self.state.case
        return self.state.question_set.applicable(c.variant, c.facts, self.answers)

    def _apply_visibility(self) -> None:
        applicable = self._applicable()
        for qid, row in self.rows.items():
            shown = qid in applicable
            if row.isHidden() == shown:  # only touch rows that change: each call relayouts
                row.setVisible(shown)

    # -- saving ---------------------------------------------------------------------------
    def _answer_changed(self, qid: str) -> None:
        row = self.rows[qid]
        value = row.answer.value()
        self.answers[qid] = value
        self._save(qid)
        self._apply_visibility()
        self._refresh_header()
        assert self.state is not None
        self.status_changed.emit(self.state.case.id)

    def _note_settled(self, qid: str) -> None:
        self._save(qid)

    def _save(self, qid: str) -> None:
        """Write what the row shows (answer and note together); the Saver keeps it if it fails."""
        assert self.state is not None
        case_id = self.state.case.id
        row = self.rows[qid]
        value, note = row.answer.value(), row.note.toPlainText()
        self.saver.save(
            (case_id, qid),
            lambda: self.workspace.record_answer(case_id, qid, value, note),
        )

    def flush(self) -> None:
        """Save typing that has not settled yet (switching case, closing the window)."""
        for row in self.rows.values():
            if row.note.dirty:
                row.note.flush()
            answer_edit = getattr(row.answer, "edit", None)
            if isinstance(answer_edit, AutosaveText) and answer_edit.dirty:
                answer_edit.flush()

    # -- actions --------------------------------------------------------------------------
    def submit_or_reopen(self) -> None:
        if self.state is None:
            return
        self.flush()
        case = self.state.case
        try:
            if case.status in (CaseStatus.SUBMITTED, CaseStatus.RETURNED):
                self.workspace.reopen(case.id)
            else:
                self.workspace.submit(case.id)
        except ProbdeskError as exc:
            show_problem(self, exc)
            return
        self.load(case.id)
        self.status_changed.emit(case.id)

    def next_unanswered(self) -> str | None:
        """Move focus to the next applicable question without an answer (wrapping round)."""
        if not self.rows:
            return None
        order = list(self.rows)
        applicable = self._applicable()
        current = self.focused_question()
        start = order.index(current.id) + 1 if current else 0
        for qid in order[start:] + order[:start]:
            if qid in applicable and self.answers.get(qid) is None:
                self.focus(qid)
                return qid
        return None

    def focus(self, qid: str) -> None:
        row = self.rows[qid]
        row.answer.focus_target().setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.questions_area.ensureWidgetVisible(row, 20, 60)

    def focused_question(self) -> Question | None:
        for row in self.rows.values():
            if row.contains_focus():
                return row.question
        return None

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or not self.isAncestorOf(new):
            return
        self.focus_question.emit(self.focused_question())

    def request_history(self) -> None:
        q = self.focused_question()
        if q is not None and self.state is not None:
            self.history_requested.emit(self.state.case.id, q.id)
