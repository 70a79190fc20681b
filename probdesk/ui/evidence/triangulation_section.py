"""Section 3 of the Evidence tab: the question picker and the evidence on the chosen question,
this laptop's and the hub's, laid side by side with the judgement (judgement_section.py)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.evidence import MeetingNote, Triangulation, size_in_mb
from probdesk.domain.questionset import OrgQuestion
from probdesk.errors import ProbdeskError
from probdesk.ui.evidence.models import (
    NOTHING,
    HubNote,
    day_text,
    fit_rows,
    meeting_label,
    multiline,
    question_title,
    rich_label,
)
from probdesk.ui.evidence.state import EvidenceState
from probdesk.ui.kit import colours
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.messages import show_message


class TriangulationSection(EvidenceState):
    """Section 3, for the chosen question: the question and its guidance, then its evidence
    side by side (documents, survey figures, open gaps, notes by participant group, the
    case findings) with the team's judgement.

    A part of EvidencePanel (a mixin): it builds its widgets in its own method and holds
    their slots; the state the sections share (log, inspection, qs, meetings, findings)
    is declared in state.py and set by the panel.
    """

    def _build_triangulation(self) -> QGroupBox:
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
        self.question_text.setStyleSheet(f"color: {colours.css('strong')}; padding: 2px 0 4px 0;")
        tri.addWidget(self.question_text)
        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.setObjectName("evidenceSides")
        sides.setChildrenCollapsible(False)
        self.sides = sides
        tri.addWidget(sides, 1)
        sides.addWidget(self._build_evidence())  # the evidence, side by side with the judgement
        sides.addWidget(self._build_judgement())
        sides.setStretchFactor(0, 3)
        sides.setStretchFactor(1, 2)
        return tri_box

    def _build_evidence(self) -> QScrollArea:
        """The evidence on the question, scrolling: documents, survey figures and open gaps on
        the left, the notes on the right, the case findings across the whole width."""
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
        self.documents_text = rich_label("Documents informing the question")
        docs.addWidget(self.documents_text)
        left.addWidget(docs_box)
        left.addWidget(self._build_survey())
        gaps_open_box, gaps_open = section("Open gaps", "Open gaps for the question")
        self.open_gaps_text = rich_label("Open gaps for the question")
        gaps_open.addWidget(self.open_gaps_text)
        left.addWidget(gaps_open_box)
        left.addStretch(1)
        notes_box, notes = section(
            "Meeting and focus-group notes, by participant group", "Notes by participant group"
        )
        self.notes_text = rich_label("Notes from meetings and focus groups")
        notes.addWidget(self.notes_text)
        right.addWidget(notes_box)
        findings_box = self._build_findings()
        right.addStretch(1)
        stack.addWidget(findings_box)  # the whole width: the key questions' names are long
        stack.addStretch(1)
        scroll.setWidget(body)
        return scroll

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

    def current_question(self) -> str | None:
        data = self.question_combo.currentData()
        return str(data) if data is not None else None

    def choose_question(self, question_id: str) -> None:
        index = self.question_combo.findData(question_id)
        if index >= 0:
            self.question_combo.setCurrentIndex(index)

    # -- reading --------------------------------------------------------------------------
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
            f"<p style='margin:0 0 4px 0'>{escape(day_text(d.received_on))} · {escape(d.kind)} · "
            f"<b>{escape(d.title)}</b>"
            + (
                f" · {escape(d.attachment_name)} ({escape(size_in_mb(d.size))})"
                if d.has_attachment
                else ""
            )
            + f" <span style='color:{colours.css('muted')}'>(informs "
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
            f"<span style='color:{colours.css('muted')}'>({escape(g.state.label)}"
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
            (meeting_label(n.kind, n.held_on.isoformat(), n.meeting_title), n.question_id,
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
                f"<p style='margin:0 0 4px 14px'><span style='color:{colours.css('muted')}'>"
                f"{escape(n.meeting_title)} ({escape(n.kind.label.lower())}, "
                f"{escape(day_text(n.held_on))}, {n.head_count} attended"
                + (", from the hub" if hub else "")
                + ")"
                + (f" on {escape(n.question_id)}" if n.question_id != own else "")
                + f":</span> {multiline(n.note)}</p>"
            )

        def loose(h: HubNote) -> str:  # a note whose meeting the hub could not describe
            return (
                f"<p style='margin:0 0 4px 14px'><span style='color:{colours.css('muted')}'>"
                f"{escape(h.meeting)} "
                f"(from the hub)"
                + (f" on {escape(h.question_id)}" if h.question_id != own else "")
                + f":</span> {multiline(h.note)}</p>"
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
                f"<p style='margin:6px 0 0 0; color:{colours.css('muted')}'><i>"
                f"{plural(len(hub_notes), 'note')} from the hub: recorded on the assessors' "
                "laptops and merged.</i></p>"
            )
        self.notes_text.setText("".join(groups) if groups else NOTHING)
