"""The Evidence tab: domain one evidence for the chosen inspection. The evidence log (documents
the PDU or region submitted), gaps to clarify tracked until answered or closed, and, per judged
question, the evidence side by side with the team's judgement and its history.

Every write is one quick local unit of work (`EvidenceLog`), made on the GUI thread as the
Meetings tab makes its own; dialogs keep what was typed when the service refuses it. The case
findings come from the hub (the window's, passed in) through probdesk.services.figures, read on the
window's Runner. Judgements are recorded by people: nothing here computes one.

This module puts the sections together and sets the state they share (declared in state.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSplitter, QWidget

from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import Inspection
from probdesk.errors import ProbdeskError
from probdesk.services.evidence import EvidenceLog
from probdesk.services.workspace import Workspace
from probdesk.ui.evidence.judgement_section import JudgementSection
from probdesk.ui.evidence.log_section import LogSection
from probdesk.ui.evidence.models import NO_INSPECTION, NO_QUESTIONS, applies_to, now_text
from probdesk.ui.evidence.sources_section import SourcesSection
from probdesk.ui.evidence.triangulation_section import TriangulationSection
from probdesk.ui.kit.layout import hint_label, scrolling_body
from probdesk.ui.kit.messages import show_message
from probdesk.ui.kit.runner import Runner
from probdesk.ui.kit.saver import Saver


class EvidencePanel(LogSection, TriangulationSection, SourcesSection, JudgementSection):
    """The Evidence tab: its sections, each built in its own method (log_section.py,
    triangulation_section.py, sources_section.py, judgement_section.py), put together and
    wired here; the state they share is declared in state.py and set here."""

    def __init__(
        self,
        workspace: Workspace | None,
        saver: Saver,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.saver = saver
        self.workspace: Workspace | None = None
        # the state the sections share (its types and meaning: state.py)
        self.runner = runner
        self.hub_access = None  # the window's hub: passed in (`set_hub`)
        self.log = None
        self.inspection = None
        self.qs = None
        self.lead = True  # this laptop leads the inspection (it has the Hub tab)
        self.meetings = []
        self.triangulation = None
        self.findings = None
        self._findings_stale = True
        self._drafts = {}
        self._shown_question = None

        layout = scrolling_body(self, "Evidence")
        self.hint = hint_label(NO_INSPECTION, "Evidence: no inspection chosen")
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QSplitter(Qt.Orientation.Vertical)
        self.content.setObjectName("evidenceSplitter")
        self.content.setAccessibleName("Evidence sections")
        self.content.setChildrenCollapsible(False)
        layout.addWidget(self.content, 1)

        self.content.addWidget(self._build_log())
        self.content.addWidget(self._build_triangulation())
        self.content.setStretchFactor(0, 1)
        self.content.setStretchFactor(1, 3)
        line = self.fontMetrics().height() + 8
        self.content.setSizes([line * 10, line * 24])
        self._wire()
        if workspace is not None:
            self.set_workspace(workspace)
        self.set_inspection(None, None)

    def _wire(self) -> None:
        self.add_button.clicked.connect(self.add_document)
        self.save_file_button.clicked.connect(self.save_attachment)
        self.withdraw_button.clicked.connect(self.withdraw_document)
        self.raise_button.clicked.connect(self.raise_gap)
        self.plan_button.clicked.connect(self.plan_gap)
        self.answer_button.clicked.connect(self.answer_gap)
        self.close_button.clicked.connect(self.close_gap)
        self.open_only.toggled.connect(lambda _on: self.refresh())
        self.document_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.gap_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.question_combo.currentIndexChanged.connect(lambda _i: self.show_question())
        self.survey_view.selectionModel().currentRowChanged.connect(self._survey_chosen)
        self.survey_button.clicked.connect(self.save_survey)
        self.survey_value.returnPressed.connect(self.save_survey)
        self.record_button.clicked.connect(self.record_judgement)
        self.runner.changed.connect(self._changed)
        self.runner.finished.connect(self._runner_finished)

    # -- state ----------------------------------------------------------------------------
    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.log = EvidenceLog(workspace)

    def set_inspection(
        self, inspection: Inspection | None, qs: QuestionSet | None, lead: bool = True
    ) -> None:
        changed = (inspection.id if inspection else None) != (
            self.inspection.id if self.inspection else None
        )
        self._keep_draft()
        self._shown_question = None  # the form is filled again, from a draft if there is one
        self.inspection, self.qs, self.lead = inspection, qs, lead
        if changed:
            self.findings = None
            self._findings_stale = True
            self.open_only.setChecked(False)
        self._fill_questions()
        self._fill_ratings()
        usable = inspection is not None and applies_to(qs)
        self.hint.setText(NO_INSPECTION if inspection is None else NO_QUESTIONS)
        self.hint.setVisible(not usable)
        self.content.setVisible(usable)
        if self.isVisible():  # otherwise when the tab is shown: start-up reads nothing here
            self.refresh()
        self._refresh_findings_if_shown()

    def refresh(self) -> None:
        """Read the evidence log, gaps and the chosen question's evidence again."""
        if self.log is None or self.inspection is None or not applies_to(self.qs):
            self.document_model.set_rows([])
            self.gap_model.set_rows([])
            self.triangulation = None
            self._update()
            return
        iid = self.inspection.id
        keep_doc, keep_gap = self.selected_document(), self.selected_gap()
        try:
            state = self.log.state(iid)
            self.meetings = self.log.ws.meetings(iid)
        except ProbdeskError as exc:
            show_message(self.log_message, exc.message, problem=True)
            return
        self.document_model.set_rows(state.documents)
        self.gap_model.meetings = {m.id: m for m in self.meetings}
        self.gap_model.set_rows(
            [g for g in state.gaps if g.is_open or not self.open_only.isChecked()]
        )
        self._reselect(
            self.document_view, self.document_model.row_of(keep_doc.id) if keep_doc else -1
        )
        self._reselect(self.gap_view, self.gap_model.row_of(keep_gap.id) if keep_gap else -1)
        self.show_question()

    def _update(self) -> None:
        has = self.inspection is not None and self.log is not None and applies_to(self.qs)
        doc, gap = self.selected_document(), self.selected_gap()
        self.add_button.setEnabled(has)
        self.save_file_button.setEnabled(has and doc is not None and doc.has_attachment)
        self.withdraw_button.setEnabled(has and doc is not None and not doc.withdrawn)
        self.raise_button.setEnabled(has)
        for b in (self.plan_button, self.answer_button, self.close_button):
            b.setEnabled(has and gap is not None and gap.is_open)
        question = has and self.current_question() is not None
        for w in (self.record_button, self.survey_button, self.rating, self.rationale):
            w.setEnabled(question)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # meetings and notes may have changed on their own tab
        self._refresh_findings_if_shown()

    # -- writing --------------------------------------------------------------------------
    def _written(self) -> None:
        self.saver.saved.emit(now_text())  # the status bar's "Saved" and unexported count
        self.refresh()
