"""The Evidence tab's figures: staff survey figures per question, and the case findings from
the hub (the window's, passed in), read through probdesk.services.figures on the Runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton

from probdesk.domain.evidence import SurveyFigure
from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.services.hub_access import hub_of
from probdesk.ui.evidence.models import (
    MERGE_FIRST,
    MERGE_ON_LEAD,
    NOT_IN_HUB,
    READ_TITLE,
    FindingModel,
    Findings,
    SurveyModel,
    applies_to,
    fit_rows,
    hub_notes_of,
    table,
)
from probdesk.ui.evidence.state import EvidenceState
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import section
from probdesk.ui.kit.messages import message_label, show_message

if TYPE_CHECKING:
    from probdesk.services.figures import CaseFindings
    from probdesk.services.hub_access import HubAccess


class SourcesSection(EvidenceState):
    """The staff survey figures recorded against the question, and the case findings read
    from the hub on the window's Runner (with the meeting notes merged there).

    A part of EvidencePanel (a mixin): it builds its widgets in its own method and holds
    their slots; the state the sections share (log, inspection, qs, meetings, findings)
    is declared in state.py and set by the panel.
    """

    def _build_survey(self) -> QGroupBox:
        survey_box, survey = section("Staff survey figures", "Staff survey figures")
        self.survey_model = SurveyModel(self)
        self.survey_view = table(self.survey_model, "Staff survey figures", 2, stretch=0)
        survey.addWidget(self.survey_view)
        row = QHBoxLayout()
        self.survey_label = QLineEdit()
        self.survey_label.setAccessibleName("Survey figure name")
        self.survey_label.setPlaceholderText("Figure, e.g. Workload is manageable")
        self.survey_value = QLineEdit()
        self.survey_value.setAccessibleName("Survey figure value")
        self.survey_value.setPlaceholderText("Value, e.g. 54%")
        self.survey_value.setMinimumWidth(110)
        self.survey_value.setMaximumWidth(150)
        self.survey_button = QPushButton("Save figure")
        self.survey_button.setAccessibleName("Save the survey figure")
        self.survey_button.setToolTip(
            "Saves the figure against the chosen question (Return in the value does too); the "
            "same name changes it, an empty value clears it"
        )
        row.addWidget(self.survey_label, 3)
        row.addWidget(self.survey_value, 1)
        row.addWidget(self.survey_button)
        survey.addLayout(row)
        self.survey_message = message_label("Survey figures: message")
        self.survey_message.hide()
        survey.addWidget(self.survey_message)
        return survey_box

    def _build_findings(self) -> QGroupBox:
        findings_box, findings = section("Case findings (from the hub)", "Case findings")
        self.findings_text = QLabel(MERGE_FIRST)
        self.findings_text.setWordWrap(True)
        self.findings_text.setAccessibleName("Case findings: where they come from")
        findings.addWidget(self.findings_text)
        self.finding_model = FindingModel(self)
        self.findings_view = table(
            self.finding_model, "Case findings by key question", 4, stretch=0
        )
        findings.addWidget(self.findings_view)
        return findings_box

    def _survey_chosen(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            s: SurveyFigure = self.survey_model.row_at(current.row())
            self.survey_label.setText(s.label)
            self.survey_value.setText(s.value)

    def save_survey(self) -> SurveyFigure | None:
        qid = self.current_question()
        if self.log is None or self.inspection is None or qid is None:
            return None
        label = self.survey_label.text()
        try:
            figure = self.log.record_survey(
                self.inspection.id, qid, label, self.survey_value.text()
            )
        except ProbdeskError as exc:
            show_message(self.survey_message, exc.message, problem=True)
            return None
        self.survey_label.clear()
        self.survey_value.clear()
        show_message(
            self.survey_message,
            f"Saved {label.strip()}." if figure and figure.value else f"Cleared {label.strip()}.",
        )
        self._written()
        self.survey_label.setFocus()
        return figure

    def _show_findings(self) -> None:
        f = self.findings
        rows = (
            f.rows
            if f is not None and self.inspection and f.inspection_id == self.inspection.id
            else None
        )
        if rows is None:
            if f is not None and self.inspection and f.inspection_id == self.inspection.id:
                text = f.text
            elif self.hub_exists():
                text = "Reading the case findings from the hub…"
            else:
                text = MERGE_FIRST if self.lead else MERGE_ON_LEAD
            self.findings_text.setText(text)
            self.finding_model.set_rows([])
            self.findings_view.hide()
            return
        self.finding_model.sections = (
            {s.key_question.id: s.title for s in self.qs.sections} if self.qs else {}
        )
        regions = sorted({r.name for r in rows})
        self.findings_text.setText(
            f"% Yes of relevant cases for each case key question, {', '.join(regions)} "
            "(all PDUs pooled). The same for every question: line them up with what each "
            "group said."
            if rows
            else "The hub holds no answered case key questions for this inspection yet."
        )
        self.finding_model.set_rows(rows)
        fit_rows(self.findings_view, len(rows), 16)
        self.findings_view.setVisible(bool(rows))

    # -- the hub --------------------------------------------------------------------------
    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._findings_stale = True

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def _changed(self, changes: Changes) -> None:
        if changes & Changes.HUB:
            self._findings_stale = True  # a merge, a moderation, a settled conflict

    def _runner_finished(self, _title: str) -> None:
        self._refresh_findings_if_shown()  # once the runner is free again

    def _refresh_findings_if_shown(self) -> None:
        if self._findings_stale and self.isVisible() and not self.runner.busy:
            self.read_findings()

    def read_findings(self) -> bool:
        """Read the case findings from the hub (on the Runner); False when none can be read."""
        inspection = self.inspection
        if inspection is None or not applies_to(self.qs):
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._findings_stale = False
            self.findings = None
            self._show_findings()
            return False
        try:
            hub = hub_of(self.hub_access)
        except ProbdeskError as exc:
            self.findings = Findings(inspection.id, None, exc.message)
            self._show_findings()
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> CaseFindings | None:
            from probdesk.services import figures

            progress(0, 0, "Reading the case findings and meeting notes from the hub")
            return figures.case_findings(hub, inspection.id)

        def done(read: CaseFindings | None) -> None:
            self.findings = (
                Findings(inspection.id, None, NOT_IN_HUB)
                if read is None
                else Findings(inspection.id, read.rows, "", tuple(hub_notes_of(read.notes)))
            )
            self._show_findings()
            tri, now = self.triangulation, self.inspection
            if tri is not None and now is not None and now.id == inspection.id:
                self._show_notes(tri)

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            self.findings = Findings(inspection.id, None, exc.message)
            self._show_findings()

        started = self.runner.run(READ_TITLE, work, done, failed)
        if started:
            self._findings_stale = False
        return started
