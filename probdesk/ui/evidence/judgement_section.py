"""The Evidence tab's judgement: the form, the draft kept while another question is shown,
and the history of what was recorded."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
)

from probdesk.domain.evidence import Judgement, Triangulation
from probdesk.errors import ProbdeskError
from probdesk.ui.evidence.models import NOTHING, multiline, when_text
from probdesk.ui.evidence.state import EvidenceState
from probdesk.ui.kit import colours
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.messages import message_label, show_message


class JudgementSection(EvidenceState):
    """The team's judgement on the chosen question: rating, rationale and history, with a
    draft kept per question until it is recorded. Judgements are recorded by people:
    nothing here computes one.

    A part of EvidencePanel (a mixin): it builds its widgets in its own method and holds
    their slots; the state the sections share (log, inspection, qs, meetings, findings)
    is declared in state.py and set by the panel.
    """

    def _build_judgement(self) -> QGroupBox:
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
        self.draft_text.setStyleSheet(f"color: {colours.css('warning')};")
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
        return judge_box

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

    def _show_judgement(self, tri: Triangulation) -> None:
        j = tri.judgement
        if j is None:
            self.current_text.setText("<i>No judgement recorded yet.</i>")
        else:
            rating = escape(j.rating) if j.rating else "no rating"
            self.current_text.setText(
                f"Current: <b>{rating}</b>, recorded by {escape(j.recorded_by)} on "
                f"{escape(when_text(j.recorded_at))}"
            )
        self.history.setHtml(
            "".join(
                f"<p style='margin:0 0 8px 0'><b>{escape(h.rating or 'No rating')}</b> "
                f"<span style='color:{colours.css('muted')}'>· {escape(h.recorded_by)} · "
                f"{escape(when_text(h.recorded_at))}</span><br>{multiline(h.rationale)}</p>"
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
