"""The question form for one case, generated from the question set.

Sections show the key question first, then its prompts (a QuestionRow each, in question_row.py).
Conditional questions appear and disappear as facts and answers change. Every change goes
through the Saver.

Undo (Ctrl+Z, the Case menu) takes back the last answer or note change made in this window
to the open case by recording the value it had before as a new answer event; Redo
(Ctrl+Shift+Z) records the change again. Both show in the question's history like any other
change. Each case keeps its own steps while the window is open; a note being typed keeps its
own Ctrl+Z for the typing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
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
from probdesk.ui.kit.layout import FlowLabel, OneLineLabel
from probdesk.ui.kit.messages import show_problem
from probdesk.ui.kit.saver import Saver

if TYPE_CHECKING:
    from probdesk.ui.cases.reply_dialog import ReplyDialog


@dataclass(frozen=True)
class Step:
    """One change to a question of a case, as undo and redo replay it."""

    question_id: str
    before: tuple[object, str]  # (answer, note) before the change
    after: tuple[object, str]


class CaseForm(QWidget):
    """Header, sections of question rows, and answers kept from another variant."""

    status_changed = Signal(str)  # case id: status, progress or variant changed
    said = Signal(str)  # a short message for the status bar (what undo did, why it could not)
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
        # Each built form's sections: (its box, its title, its question ids), for their counts.
        self._sections: dict[tuple[str, str | None], list[tuple[QGroupBox, str, list[str]]]] = {}
        self.sections: list[tuple[QGroupBox, str, list[str]]] = []
        self.answers: dict[str, object] = {}
        self.saved: dict[str, tuple[object, str]] = {}  # what the store holds, per question
        self.undo_steps: dict[str, list[Step]] = {}  # case id -> its steps, oldest first
        self.redo_steps: dict[str, list[Step]] = {}
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
        self.progress = FlowLabel("")  # two lines where the form is narrow, never cut
        self.progress.setAccessibleName("Case progress")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.progress, 1)
        self.facts_button = QPushButton("Cas&e facts…")
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
        self.facts_line = OneLineLabel("")  # the whole of it in its tooltip, and Case facts…
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
        self._sections = {}
        self._preparing: str | None = None  # the set whose forms prepare_at_idle builds
        self.sections = []
        self.title.setText("No case selected")
        self.progress.setText("")
        self.facts_line.set_full("")
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
        self.saved = {
            q: (state.answers.get(q), state.notes.get(q, ""))
            for q in {*state.answers, *state.notes}
        }
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
        self._refresh_sections()
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
        self.sections = self._sections.get(key, [])
        self._built_for = key
        self.questions_area.setWidget(self.body)

    def prepare(self, qs: QuestionSet) -> None:
        """Build the forms of every variant ahead of time, at once."""
        for v in qs.variants:
            key = (qs.content_hash, v.id)
            if key not in self._bodies:
                self._bodies[key] = self._build(qs, v.id)

    def prepare_at_idle(self, qs: QuestionSet) -> None:
        """Build the forms of the set's variants one at a time while the window is idle (the
        window calls it when an inspection is chosen): the first case of each variant then
        opens as fast as the next, and no one build holds the window for long."""
        from PySide6.QtCore import QTimer

        self._preparing = qs.content_hash
        pending = [v.id for v in qs.variants]

        def next_one() -> None:
            if self._preparing != qs.content_hash or not pending:
                return  # another inspection was chosen meanwhile, or all are built
            key = (qs.content_hash, pending.pop(0))
            if key not in self._bodies:
                self._bodies[key] = self._build(qs, key[1])
            QTimer.singleShot(0, next_one)

        QTimer.singleShot(0, next_one)

    def _build(
        self, qs: QuestionSet, variant: str | None
    ) -> tuple[QWidget, dict[str, QuestionRow], QGroupBox]:
        body = QWidget()
        body.setObjectName("caseFormBody")
        layout = QVBoxLayout(body)
        layout.setSpacing(6)
        sections = qs.sections_for(variant)
        boxes: list[tuple[QGroupBox, str, list[str]]] = []
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
            box_layout.setSpacing(0)
            box_layout.setContentsMargins(4, 4, 4, 4)
            for q in s.questions:
                why = qs.describe(q.applies_when) if q.applies_when is not None else ""
                row = QuestionRow(q, why)
                row.answer_changed.connect(self._answer_changed)
                row.note_settled.connect(self._note_settled)
                row.said.connect(self.said)
                rows[q.id] = row
                box_layout.addWidget(row)
            layout.addWidget(box)
            boxes.append((box, s.title, [q.id for q in s.questions]))
        self._sections[(qs.content_hash, variant)] = boxes
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
        self.facts_line.set_full(facts)
        submitted = case.status in (CaseStatus.SUBMITTED, CaseStatus.RETURNED)
        self.submit_button.setText("&Reopen case" if submitted else "&Submit case")
        self.submit_button.setAccessibleName("Reopen case" if submitted else "Submit case")
        self.facts_button.setEnabled(self.state.facts_editable)
        self.submit_button.setEnabled(self.state.mine)

    def _refresh_sections(self) -> None:
        """Each section's title with how many of its applicable questions are answered."""
        if self.state is None:
            return
        applicable = self._applicable()
        for box, title, ids in self.sections:
            asked = [q for q in ids if q in applicable]
            answered = sum(1 for q in asked if self.answers.get(q) is not None)
            text = f"{title} · {answered} of {len(asked)} answered" if asked else title
            if box.title() != text:
                box.setTitle(text)
                box.setAccessibleName(f"Section {text}")

    def unanswered(self) -> tuple[list[str], list[str]]:
        """The applicable key questions and prompts of the open case still unanswered."""
        if self.state is None:
            return [], []
        applicable = self._applicable()
        keys: list[str] = []
        prompts: list[str] = []
        for qid, row in self.rows.items():
            if qid in applicable and self.answers.get(qid) is None:
                (keys if row.question.is_key else prompts).append(qid)
        return keys, prompts

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
        saved = self._save(qid)
        assert self.state is not None
        if saved and self.state.case.status is CaseStatus.NOT_STARTED:
            # The first answer starts the case (Workspace.record_answer): the header says so.
            case = replace(self.state.case, status=CaseStatus.IN_PROGRESS)
            self.state = replace(self.state, case=case)
        self._apply_visibility()
        self._refresh_header()
        self._refresh_sections()
        self.status_changed.emit(self.state.case.id)

    def _note_settled(self, qid: str) -> None:
        self._save(qid)

    def _save(self, qid: str, *, step: bool = True) -> bool:
        """Write what the row shows (answer and note together); the Saver keeps it if it
        fails. True once it is written; with `step`, undo can take it back."""
        assert self.state is not None
        case_id = self.state.case.id
        row = self.rows[qid]
        value, note = row.answer.value(), row.note.toPlainText()
        written = self.saver.save(
            (case_id, qid),
            lambda: self.workspace.record_answer(case_id, qid, value, note),
        )
        before = self.saved.get(qid, (None, ""))
        if written and before != (value, note):
            self.saved[qid] = (value, note)
            if step:
                self.undo_steps.setdefault(case_id, []).append(Step(qid, before, (value, note)))
                self.redo_steps.pop(case_id, None)
        return written

    # -- undo -----------------------------------------------------------------------------
    def undo(self) -> bool:
        """Take back the last change to the open case (see the module docstring)."""
        return self._replay(self.undo_steps, self.redo_steps, "Undid", "undo")

    def redo(self) -> bool:
        return self._replay(self.redo_steps, self.undo_steps, "Redid", "redo")

    def _replay(
        self, take: dict[str, list[Step]], give: dict[str, list[Step]], done: str, word: str
    ) -> bool:
        if self.state is None:
            self.said.emit(f"Nothing to {word}: no case is open.")
            return False
        self.flush()
        case = self.state.case
        steps = take.get(case.id, [])
        if not self.state.editable:
            self.said.emit(
                f"Nothing to {word}: case {case.reference} is {case.status.label.lower()}; "
                "reopen it to change it."
                if self.state.mine
                else f"Nothing to {word}: case {case.reference} is read-only here."
            )
            return False
        if not steps:
            self.said.emit(f"Nothing to {word} in case {case.reference}.")
            return False
        s = steps[-1]
        row = self.rows.get(s.question_id)
        if row is None:  # the case's variant changed since: the question is not on the form
            steps.pop()
            self.said.emit(f"Cannot {word} the change to {s.question_id}: it is not asked now.")
            return False
        value, note = s.after if take is self.redo_steps else s.before
        row.answer.set_value(value)
        row.note.set_text_quietly(note)
        self.answers[s.question_id] = value
        if not self._save(s.question_id, step=False):
            self.said.emit(f"Could not {word} the change to {s.question_id}: see the message.")
            return False
        steps.pop()
        give.setdefault(case.id, []).append(s)
        self._apply_visibility()
        self._refresh_header()
        self._refresh_sections()
        if s.question_id in self._applicable():
            self.focus(s.question_id)
        shown = row.question.label_of(value) if value is not None else "no answer"
        self.said.emit(f"{done} the change to {s.question_id} (now: {shown}).")
        self.status_changed.emit(case.id)
        return True

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
        submitting = case.status not in (CaseStatus.SUBMITTED, CaseStatus.RETURNED)
        keys, prompts = self.unanswered()
        if submitting and not keys and prompts and not self._submit_anyway(prompts):
            self.focus(prompts[0])
            return
        try:
            if not submitting:
                self.workspace.reopen(case.id)
            else:
                self.workspace.submit(case.id)
        except ProbdeskError as exc:
            show_problem(self, exc)
            return
        self.load(case.id)
        self.status_changed.emit(case.id)
        # The form is read-only once submitted: focus stays on the button (now Reopen case),
        # not lost to the top of the window; reopened, it goes to the first question left.
        if submitting or self.next_unanswered() is None:
            self.submit_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit_anyway(self, prompts: list[str]) -> bool:
        """Unanswered applicable prompts do not block a submit, but the assessor is told
        which, and chooses; No goes to the first of them."""
        assert self.state is not None
        qs = self.state.question_set
        listed = "\n".join(f"• {q}: {qs.question(q).text}" for q in prompts[:12])
        more = f"\n…and {len(prompts) - 12} more." if len(prompts) > 12 else ""
        many = len(prompts) != 1
        answer = QMessageBox.question(
            self,
            "Submit with unanswered prompts?",
            f"{len(prompts)} applicable prompt{'s are' if many else ' is'} not answered in case "
            f"{self.state.case.reference}:\n\n{listed}{more}\n\nThe key questions are all "
            "answered, so the case can be submitted. Submit it anyway? No takes you to the "
            f"first unanswered prompt ({prompts[0]}).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

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

    def jump_to_unanswered(self) -> str | None:
        """Ctrl+J: the next unanswered applicable question, or the status bar says why not."""
        found = self.next_unanswered()
        if found is None:
            self.said.emit(
                "No case is open."
                if self.state is None
                else f"Every applicable question of case {self.state.case.reference} is answered."
            )
        return found

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
