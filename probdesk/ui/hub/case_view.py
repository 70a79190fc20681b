"""The Hub tab's case view: one case as the hub holds it, to read before approving or
returning it, opened from any page that lists cases (moderation, a figure's cases, conflicts,
an assessor's or a PDU's cases on the Progress page).

It reads (probdesk.services.review.case_review) on the runner, never on the GUI thread, and
shows its facts, every question with the answer that stands, its note, author, laptop and
time, the answers before it, the undecided conflicts and the moderation decisions, all
read-only. Approve and Return to assessor… do what the Moderation page's buttons do (the
panel's `moderate`, through the runner), then the view and the Hub tab read the hub again.
Comment on a question… sends the assessor a comment on one question of the case in a
send-back pack (probdesk.services.hub.comment_on_question), without returning it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.models import status_label
from probdesk.ui.hub.state import HubState
from probdesk.ui.kit import colours
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import RecordTableModel, record_view, selected_rows

if TYPE_CHECKING:
    from probdesk.services.hub import ModerationResult, QuestionCommentResult
    from probdesk.services.review import (
        CaseLine,
        CaseReview,
        CommentThread,
        ConflictReview,
        QuestionReview,
        Recorded,
    )
    from probdesk.ui.hub.dialogs import QuestionCommentDialog, ReturnDialog

OPEN_NOTE = "Double-click a case, or press Enter, to read it."


def _muted() -> str:  # the palette's at the time: light or dark (ui/kit/colours.py)
    return colours.css("muted")


def _problem() -> str:
    return colours.css("problem")


def _warning() -> str:
    return colours.css("warning")


# -- opening a row with the mouse or the keyboard ----------------------------------------------


class _EnterOpens(QObject):
    """Enter on a view opens its current row. An event filter, not a QShortcut: a shortcut
    fires only in the active window, a key press reaches the focused view always; and the
    key is taken, so that a dialog's default button does not fire as well."""

    def __init__(self, view: QTableView, open_row: Callable[[int], object]) -> None:
        super().__init__(view)
        self.view = view
        self.open_row = open_row
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            rows = selected_rows(self.view)
            current = self.view.currentIndex()
            row = rows[0] if rows else (current.row() if current.isValid() else -1)
            if row >= 0:
                self.open_row(row)
            return True
        return super().eventFilter(watched, event)


def open_rows(view: QTableView, open_row: Callable[[int], object]) -> None:
    """Double-click a row of `view`, or press Enter on it, to open it (`open_row(row)`)."""
    view.doubleClicked.connect(lambda index: open_row(index.row()))
    _EnterOpens(view, open_row)


def moderated_text(result: ModerationResult) -> str:
    """What a moderation decision did, said on the Moderation page and in the case view."""
    if result.action == "approved":
        return f"{result.case_ref} approved."
    names = ", ".join(pack.name for pack in result.sendbacks)
    return f"{result.case_ref} returned to its assessor" + (f": {names} written." if names else ".")


def _alive(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget)


def _replace(old: QDialog | None) -> None:
    """Close a dialog a new one replaces (it may be gone already with its parent)."""
    if old is not None and shiboken6.isValid(old):
        old.close()
        old.deleteLater()


# -- the panel's part: opening cases ------------------------------------------------------------


class CaseViews(HubState):
    """Reading one case, or one assessor's or PDU's cases, from any page of the Hub tab.

    A part of HubPanel like the sections (the sections that list cases derive from it); the
    panel's Moderation page gives `moderate` (decisions_section.py).
    """

    case_dialog: CaseViewDialog | None = None
    group_dialog: CaseListDialog | None = None

    def moderate(
        self,
        case_ref: str,
        action: str,
        comment: str,
        then: Callable[[ModerationResult], None] | None = None,
        question_id: str | None = None,
    ) -> bool:
        raise NotImplementedError  # decisions_section.py

    def comment_on_question(
        self,
        case_ref: str,
        question_id: str,
        text: str,
        then: Callable[[QuestionCommentResult], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> bool:
        """Send the case's assessor a comment on one question through the runner."""
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            (failed or self.runner.default_error)(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> QuestionCommentResult:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Writing the comment on {question_id} of case {case_ref}")
            return hubs.comment_on_question(
                hub, fw, inspection.id, case_ref, question_id, text, shared
            )

        return self.runner.run(
            "Sending a comment on a question", work, then, failed, changes=Changes.OUTBOX
        )

    def read_case(
        self,
        inspection_id: str,
        case_ref: str,
        done: Callable[[CaseReview], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> bool:
        """Read one case from the hub through the runner; False when it could not start."""
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            (failed or self.runner.default_error)(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> CaseReview:
            from probdesk.services import review

            progress(0, 0, f"Reading case {case_ref} from the hub")
            return review.case_review(hub, inspection_id, case_ref)

        return self.runner.run(f"Reading case {case_ref}", work, done, failed)

    def open_case(
        self, case_ref: str, parent: QWidget | None = None, *, inspection_id: str | None = None
    ) -> bool:
        """Read the case and show it (window-modal over `parent`, the panel by default).
        `inspection_id`: the case is in another inspection of the hub (a PDU inspection whose
        cases a regional one pools): shown read-only, to be moderated in its own."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None or not self.hub_exists():
            return False
        chosen = inspection.id

        def done(review: CaseReview) -> None:
            if self.inspection is None or self.inspection.id != chosen:
                return  # the inspection changed meanwhile
            _replace(self.case_dialog)
            dialog = CaseViewDialog(self, review, parent if _alive(parent) else self)
            self.case_dialog = dialog
            dialog.open()  # window-modal, without a nested event loop

        return self.read_case(inspection_id or inspection.id, case_ref, done)

    def open_group(self, group: str, name: str) -> bool:
        """List one assessor's (group "assessor") or one PDU's cases, to open one from."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None or not self.hub_exists():
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> list[CaseLine]:
            from probdesk.services import review

            progress(0, 0, f"Finding the cases of {name}")
            return review.group_cases(hub, inspection.id, group, name)

        def done(cases: list[CaseLine]) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return
            _replace(self.group_dialog)
            who = f"Assessor {name}" if group == "assessor" else f"{name} PDU"
            dialog = CaseListDialog(f"{who}: {plural(len(cases), 'case')}", cases, self,
                                    self.open_case)  # fmt: skip
            self.group_dialog = dialog
            dialog.open()

        return self.runner.run(f"Finding the cases of {name}", work, done)

    def open_progress_row(self, row: int) -> bool:
        if not 0 <= row < self.progress_model.rowCount():
            return False
        r = self.progress_model.row_at(row)
        return self.open_group(r.group, r.name)


# -- a list of cases to open one from ------------------------------------------------------------


class CaseListDialog(QDialog):
    """An assessor's or a PDU's cases, with their status: Enter or a double-click opens one."""

    def __init__(
        self,
        heading: str,
        cases: Sequence[CaseLine],
        parent: QWidget | None = None,
        open_case: Callable[[str, QWidget], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cases")
        self.setAccessibleName("Cases")
        layout = QVBoxLayout(self)
        self.heading = QLabel(heading)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("Whose cases")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        counted = sum(c.counted for c in cases)
        self.summary = QLabel(
            f"{counted} of {plural(len(cases), 'case')} counted in the figures (submitted, "
            "approved or locked)."
        )
        self.summary.setAccessibleName("Cases in short")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model: RecordTableModel[CaseLine] = RecordTableModel(
            [
                ("Case", lambda c: c.case_ref),
                ("PDU", lambda c: c.pdu),
                ("Assessor", lambda c: c.assessor),
                ("Status", lambda c: status_label(c.status)),
                ("Counted", lambda c: "Yes" if c.counted else "Not yet"),
                ("Decision", lambda c: c.decision or "None yet"),
            ],
            parent=self,
        )
        self.model.set_rows(cases)
        self.view = record_view(self.model, "Cases and their status")
        layout.addWidget(self.view, 1)
        self.open_case = open_case
        if open_case is not None:
            note = QLabel(OPEN_NOTE)
            note.setAccessibleName("How to open a case")
            layout.addWidget(note)
            open_rows(self.view, self._open_row)
        row = QHBoxLayout()
        row.addStretch(1)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        if cases:
            self.view.selectRow(0)
        self.view.setFocus()
        self.resize(640, 480)

    def _open_row(self, row: int) -> None:
        if self.open_case is not None and 0 <= row < self.model.rowCount():
            self.open_case(self.model.row_at(row).case_ref, self)


# -- the case view --------------------------------------------------------------------------


def _p(html: str, indent: int = 0, colour: str = "", top: int = 0) -> str:
    style = f"margin-left:{indent}px; margin-top:{top}px; margin-bottom:0px;"
    if colour:
        style += f" color:{colour};"
    return f'<p style="{style}">{html}</p>'


def _note(note: str) -> str:
    """A note as typed, its line breaks kept."""
    return escape(note).replace("\n", "<br>")


def _who(r: Recorded) -> str:
    """Who gave an answer, on which laptop, when: "AB · laptop 1a2b3c4d (AB) · 2026-..."."""
    parts = [r.author or "author not recorded", r.laptop.text, r.recorded_at or "time unknown"]
    return escape(" · ".join(parts))


def _recorded_line(r: Recorded) -> str:
    flags = []
    if r.decision:
        flags.append("the team lead's decision")
    if r.set_aside:
        flags.append("set aside by the team lead's decision")
    flag = f" ({', '.join(flags)})" if flags else ""
    return f"<b>{escape(r.value)}</b>{escape(flag)} · {_who(r)}"


def _thread_html(t: CommentThread, indent: int) -> str:
    """A comment sent to the assessor and what came back: the replies, and the answers given
    to its question since."""
    sent = " · ".join(x for x in (t.author or "team lead", t.sent_at) if x)
    kind = "Returned with" if t.kind == "return" else "Comment"
    head = (
        f"<b>{escape(kind)}</b> ({escape(sent)}): {_note(t.text)}"
        if t.text
        else f"<b>Reply to {escape(t.about)}</b>"
    )
    colour = _muted() if t.done else _warning()
    out = [_p(f"{head} <span style='color:{colour}'>[{escape(t.state)}]</span>", indent, top=4)]
    for r in t.replies:
        who = " · ".join([r.author or "author not recorded", r.laptop.text,
                          r.recorded_at or "time unknown"])  # fmt: skip
        words = _note(r.text) if r.text else "<i>no words</i>"
        done = " · marked done" if r.done else ""
        earlier = "Earlier reply" if r.replaced else "Reply"
        out.append(_p(f"{earlier} ({escape(who)}{done}): {words}", indent + 16,
                      _muted() if r.replaced else ""))  # fmt: skip
    for a in t.answered_since:
        out.append(_p(f"Answered since: {_recorded_line(a)}", indent + 16))
    return "".join(out)


def _question_html(q: QuestionReview, threads: Sequence[CommentThread] = ()) -> str:
    left = 0 if q.is_key else 28
    inner = left + 20
    kind = "" if q.is_key else "Prompt "
    title = f"<b>{escape(q.question_id)}</b>&nbsp;&nbsp;{escape(q.text)}"
    out = [_p(f"{escape(kind)}{title}" if kind else title, left, top=10 if q.is_key else 6)]
    # The states are probdesk.services.review's (not imported here: the tab loads the
    # services it needs only when it first reads the hub).
    if q.state == "did_not_apply":
        out.append(_p("<i>Did not apply</i>", inner, _muted()))
    elif q.state == "not_answered":
        out.append(_p("<b>Not answered</b>", inner, _problem()))
    elif q.current is not None:
        out.append(_p(_recorded_line(q.current), inner))
    else:
        out.append(_p(f"<b>{escape(q.answer)}</b>", inner))
    if q.note:
        out.append(_p(f"Note: {_note(q.note)}", inner))
    if q.why:
        out.append(_p(escape(q.why), inner, _muted()))
    if q.conflict:
        out.append(
            _p("Answered differently on two laptops: undecided (see Conflicts).", inner, _warning())
        )
    out.extend(_thread_html(t, inner) for t in threads)
    if q.history:
        out.append(_p(f"History ({len(q.history)}), oldest first:", inner, _muted()))
        for h in q.history:
            line = f"– {_recorded_line(h)}"
            if h.note:
                line += f"<br>&nbsp;&nbsp;Note: {_note(h.note)}"
            out.append(_p(line, inner + 16, _muted()))
    return "".join(out)


def _conflict_html(c: ConflictReview) -> str:
    if c.kind != "conflict":
        return _p(f"<b>Parallel update</b>: {escape(c.about)}", top=6)
    out = [_p(f"<b>{escape(c.question_id)}</b>&nbsp;&nbsp;{escape(c.about)}", top=6)]
    for i, side in enumerate(c.sides):
        shown = " (the figures use this one until you settle it)" if i == 0 else ""
        line = f"{i + 1}. {_recorded_line(side)}{escape(shown)}"
        if side.note:
            line += f"<br>Note: {_note(side.note)}"
        out.append(_p(line, 20))
    return "".join(out)


def case_html(review: CaseReview) -> str:
    """The body of the case view: facts, questions, kept answers, conflicts, moderation and
    the case's changes, as rich text (every value escaped)."""
    conflicts = sum(c.kind == "conflict" for c in review.conflicts)
    links = [
        ("facts", "Facts"),
        ("questions", f"Questions ({len(review.questions)})"),
        ("conflicts", f"Conflicts ({conflicts})"),
        ("comments", f"Comments ({len(review.comments)})"),
        ("moderation", f"Moderation ({len(review.moderation)})"),
        ("changes", "Status and changes"),
    ]
    out = [_p(" · ".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in links))]

    out.append('<h3><a name="facts"></a>Facts</h3>')
    rows = [("Variant", review.variant), ("Question set", review.question_set),
            *review.facts]  # fmt: skip
    out.append('<table cellspacing="0" cellpadding="2">')
    for label, value in rows:
        out.append(
            f'<tr><td style="color:{_muted()}; padding-right:16px">{escape(label)}</td>'
            f"<td>{escape(value)}</td></tr>"
        )
    out.append("</table>")

    out.append('<h3><a name="questions"></a>Questions</h3>')
    for s in review.sections:
        stage = "" if s.stage.casefold() == s.title.casefold() else s.stage
        shown = f" <span style='color:{_muted()}'>({escape(stage)})</span>" if stage else ""
        out.append(f"<h4>{escape(s.title)}{shown}</h4>")
        out.extend(_question_html(q, review.comments_on(q.question_id)) for q in s.questions)
    if review.kept:
        out.append("<h4>Answers kept, not counted</h4>")
        out.extend(_question_html(q, review.comments_on(q.question_id)) for q in review.kept)

    out.append('<h3><a name="conflicts"></a>Conflicts</h3>')
    if review.conflicts:
        out.extend(_conflict_html(c) for c in review.conflicts)
        if conflicts:
            out.append(_p("Settle a conflict on the Conflicts page.", colour=_muted(), top=6))
    else:
        out.append(_p("No undecided conflict on this case.", colour=_muted()))

    out.append('<h3><a name="comments"></a>Comments to the assessor</h3>')
    if review.comments:
        out.extend(_thread_html(t, 0) if t.question_id is None else
                   _p(f"On <b>{escape(t.about)}</b>:", top=6) + _thread_html(t, 16)
                   for t in review.comments)  # fmt: skip
        out.append(_p("Replies and changed answers arrive with the assessor's next export.",
                      colour=_muted(), top=6))  # fmt: skip
    else:
        out.append(_p("No comment sent on this case from the hub.", colour=_muted()))

    out.append('<h3><a name="moderation"></a>Moderation</h3>')
    if review.moderation:
        for m in review.moderation:
            line = f"{escape(m.at)} · <b>{escape(m.words)}</b> by {escape(m.moderator)}"
            if m.comment:
                line += f"<br>Comment: {_note(m.comment)}"
            out.append(_p(line, top=4))
        out.append(_p("The latest decision stands.", colour=_muted(), top=4))
    else:
        out.append(_p("No moderation decision yet.", colour=_muted()))

    out.append('<h3><a name="changes"></a>Status and changes</h3>')
    if review.changes:
        for ch in review.changes:
            who = " · ".join(
                [
                    ch.author or "author not recorded",
                    ch.laptop.text,
                    ch.recorded_at or "time unknown",
                ]
            )
            out.append(_p(f"{escape(ch.field)}: <b>{escape(ch.value)}</b> · {escape(who)}", top=2))
    else:
        out.append(_p("No change recorded.", colour=_muted()))
    return "".join(out)


class CaseViewDialog(QDialog):
    """One case, read-only, with Approve and Return to assessor… (see the module docstring)."""

    def __init__(self, host: CaseViews, review: CaseReview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.review = review
        self.return_dialog: ReturnDialog | None = None
        self.question_dialog: QuestionCommentDialog | None = None
        self._read_again = False  # the runner was busy: read again once it is free
        self.setAccessibleName("Case view")
        layout = QVBoxLayout(self)

        self.heading = self._label("The case", bold=True)
        self.heading.setStyleSheet("font-size: 15px;")
        layout.addWidget(self.heading)
        self.people = self._label("Assessor and status")
        layout.addWidget(self.people)
        self.latest = self._label("Latest moderation decision")
        layout.addWidget(self.latest)
        self.warning = self._label("Undecided conflicts on the case")
        self.warning.setStyleSheet(f"color: {_warning()}; font-weight: bold;")
        layout.addWidget(self.warning)

        self.body = QTextBrowser()
        self.body.setAccessibleName("The case's facts, answers, conflicts and moderation")
        self.body.setOpenLinks(True)  # the links inside go to the parts of the case
        self.body.setOpenExternalLinks(False)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        layout.addWidget(self.body, 1)

        self.message = message_label("Case view: message")
        self.message.hide()
        layout.addWidget(self.message)
        self.why_not = self._label("Why the case cannot be moderated now")
        self.why_not.setStyleSheet(f"color: {_muted()};")
        layout.addWidget(self.why_not)

        row = QHBoxLayout()
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setAccessibleName("Approve this case")
        self.return_button = QPushButton("&Return to assessor…")
        self.return_button.setAccessibleName("Return this case to its assessor with a comment")
        self.return_button.setToolTip(
            "Send the case back to its assessor's laptop with what to look at again"
        )
        self.question_button = QPushButton("Comment on a &question…")
        self.question_button.setAccessibleName(
            "Send the assessor a comment on one question of this case"
        )
        self.question_button.setToolTip(
            "The comment shows at that question in the assessor's form; the case is not returned"
        )
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close the case view")
        for button in (self.approve_button, self.return_button, self.question_button):
            button.setAutoDefault(False)  # Enter never approves or returns by accident
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        self.close_button.setDefault(True)
        layout.addLayout(row)
        self.approve_button.clicked.connect(self.approve)
        self.return_button.clicked.connect(self.ask_return)
        self.question_button.clicked.connect(self.ask_question_comment)
        self.close_button.clicked.connect(self.reject)
        host.runner.finished.connect(self._runner_finished)

        self.show_review(review)
        self._fit()
        self.body.setFocus()

    def _label(self, name: str, *, bold: bool = False) -> QLabel:
        label = QLabel("")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if bold:
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        return label

    def _fit(self) -> None:
        """At most 90% of the screen (1366x768 shows it whole); the body scrolls inside."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        width = min(1000, int(area.width() * 0.9))
        height = min(900, int(area.height() * 0.9))
        self.setMaximumSize(int(area.width() * 0.9), int(area.height() * 0.9))
        self.resize(width, height)

    # -- what it shows ---------------------------------------------------------------------
    def show_review(self, review: CaseReview) -> None:
        self.review = review
        self.setWindowTitle(f"Case {review.reference}")
        self.heading.setText(f"Case {review.reference} · {review.pdu} PDU · {review.region}")
        counted = "counted in the figures" if review.counted else "not counted in the figures yet"
        self.people.setText(
            f"Assessor: {review.assessor} ({review.assessor_role}) · Status: "
            f"{review.status_label} · {counted}"
        )
        d = review.decision
        self.latest.setText(
            f"Latest decision: {d.words} by {d.moderator} on {d.at}"
            + (f": {d.comment}" if d.comment else ".")
            if d is not None
            else "No moderation decision yet."
        )
        waiting = sum(c.kind == "conflict" for c in review.conflicts)
        self.warning.setText(
            f"{plural(waiting, 'undecided conflict')} on this case: see Conflicts below."
            if waiting
            else ""
        )
        self.warning.setVisible(bool(waiting))
        position = self.body.verticalScrollBar().value()
        self.body.setHtml(case_html(review))
        self.body.verticalScrollBar().setValue(position)  # read again: stay where you were
        self._update_actions()

    def pooled(self) -> bool:
        """The case is in another inspection than the one chosen (a regional inspection's
        pooled PDU case): read here, moderated in its own inspection."""
        chosen = self.host.inspection
        return chosen is None or chosen.id != self.review.inspection_id

    def _update_actions(self) -> None:
        review = self.review
        has_folder = self.host.shared_folder() is not None
        own = not self.pooled()
        self.approve_button.setEnabled(own and review.can_moderate)
        self.return_button.setEnabled(own and review.can_moderate and has_folder)
        self.question_button.setEnabled(own and has_folder and bool(review.questions))
        why = review.moderation_note
        if not own:
            why = (
                f"This case is in the {review.pdu} PDU inspection, pooled here: "
                "choose that inspection at the top to approve, return or comment on it."
            )
        if not why and not has_folder:
            why = (
                "Returning a case needs the shared folder (set it on the Sync tab): its "
                "send-back pack goes there."
            )
        self.why_not.setText(why)
        self.why_not.setVisible(bool(why))

    # -- reading again -----------------------------------------------------------------------
    def reload(self) -> bool:
        """Read the case from the hub again (once the runner is free, if it is busy)."""
        started = self.host.read_case(
            self.review.inspection_id, self.review.reference, self._read, self._failed
        )
        self._read_again = not started and self.host.runner.busy
        return started

    def _read(self, review: CaseReview) -> None:
        if shiboken6.isValid(self):
            self.show_review(review)

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProbdeskError):
            self.host.runner.default_error(exc)
            return
        if shiboken6.isValid(self):
            show_message(self.message, exc.message, problem=True)

    def _runner_finished(self, _title: str) -> None:
        if self._read_again and not self.host.runner.busy:
            self.reload()

    # -- moderating --------------------------------------------------------------------------
    def approve(self) -> bool:
        if not self.review.can_moderate or self.pooled():
            return False
        return self.host.moderate(self.review.reference, "approved", "", then=self._moderated)

    def ask_return(self) -> bool:
        """Ask what the assessor should look at again (the Moderation page's dialog), then
        return the case."""
        from probdesk.ui.hub.dialogs import ReturnDialog

        if not self.review.can_moderate or self.host.shared_folder() is None or self.pooled():
            return False
        _replace(self.return_dialog)
        ref = self.review.reference
        dialog = ReturnDialog(ref, self, self._questions())
        dialog.accepted.connect(
            lambda: self.host.moderate(
                ref, "returned", dialog.comment(), then=self._moderated,
                question_id=dialog.question_id(),
            )
        )  # fmt: skip
        self.return_dialog = dialog
        dialog.open()
        return True

    def _questions(self) -> list[tuple[str, str]]:
        return [(q.question_id, q.text) for q in self.review.questions]

    def ask_question_comment(self) -> bool:
        """Ask for the question and the comment, then send it to the case's assessor."""
        from probdesk.ui.hub.dialogs import QuestionCommentDialog

        if self.host.shared_folder() is None or not self.review.questions:
            return False
        _replace(self.question_dialog)
        ref = self.review.reference
        dialog = QuestionCommentDialog(ref, self._questions(), self)
        dialog.accepted.connect(
            lambda: self.host.comment_on_question(
                ref, dialog.question_id(), dialog.comment(), self._commented, self._failed
            )
        )
        self.question_dialog = dialog
        dialog.open()
        return True

    def _commented(self, result: QuestionCommentResult) -> None:
        if not shiboken6.isValid(self):
            return
        names = ", ".join(pack.name for pack in result.sendbacks)
        show_message(
            self.message,
            f"Comment on {result.question_id} sent to the assessor of {result.case_ref}: "
            f"{names} written.",
        )
        self.reload()  # the comment now shows at its question

    def _moderated(self, result: ModerationResult) -> None:
        if not shiboken6.isValid(self):
            return
        show_message(self.message, moderated_text(result))
        self.reload()
