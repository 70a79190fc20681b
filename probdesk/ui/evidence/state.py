"""The state the Evidence tab's sections share, declared once so mypy checks the sections.

Each section (log_section.py, triangulation_section.py, sources_section.py,
judgement_section.py) inherits EvidenceState, so `self` is a QWidget with these names;
EvidencePanel (panel.py) inherits the sections and sets the state in its `__init__`. The
names are annotations only: the panel or the section that builds a widget assigns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QLabel, QTableView, QWidget

from probdesk.domain.evidence import Triangulation
from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import Inspection, Meeting
from probdesk.services.evidence import EvidenceLog
from probdesk.ui.evidence.models import Findings, GapModel, SurveyModel
from probdesk.ui.kit.runner import Runner

if TYPE_CHECKING:
    from probdesk.services.hub_access import HubAccess


class EvidenceState(QWidget):
    """What the Evidence tab's sections share: set by EvidencePanel, or built by one section
    and used by another; and the methods one section calls on another or on the panel."""

    # -- set by the panel -----------------------------------------------------------------
    runner: Runner
    hub_access: HubAccess | None  # the window's hub: passed in (`set_hub`)
    log: EvidenceLog | None
    inspection: Inspection | None
    qs: QuestionSet | None
    lead: bool  # this laptop leads the inspection (it has the Hub tab)
    meetings: list[Meeting]
    triangulation: Triangulation | None
    findings: Findings | None
    _findings_stale: bool
    # (inspection id, question id) -> (rating, rationale) typed but not recorded
    _drafts: dict[tuple[str, str], tuple[str, str]]
    _shown_question: str | None

    # -- built by one section, used by another --------------------------------------------
    gap_model: GapModel  # log_section.py
    survey_model: SurveyModel  # sources_section.py
    survey_view: QTableView  # sources_section.py
    survey_message: QLabel  # sources_section.py
    judge_message: QLabel  # judgement_section.py

    # -- the panel's (panel.py) -----------------------------------------------------------
    def _update(self) -> None:
        """Enable the buttons for what is chosen."""
        raise NotImplementedError

    def _written(self) -> None:
        """After a write: say "Saved" in the status bar and read again."""
        raise NotImplementedError

    # -- triangulation_section.py ---------------------------------------------------------
    def current_question(self) -> str | None:
        """The id of the question chosen in the picker."""
        raise NotImplementedError

    def _show_notes(self, tri: Triangulation) -> None:
        """Show the notes by participant group, this laptop's and the hub's."""
        raise NotImplementedError

    # -- sources_section.py ---------------------------------------------------------------
    def _build_survey(self) -> QGroupBox:
        """The staff survey figures box."""
        raise NotImplementedError

    def _build_findings(self) -> QGroupBox:
        """The case findings box."""
        raise NotImplementedError

    def _show_findings(self) -> None:
        """Show the case findings read from the hub, or why there are none."""
        raise NotImplementedError

    # -- judgement_section.py -------------------------------------------------------------
    def _build_judgement(self) -> QGroupBox:
        """The judgement box: the form and the history."""
        raise NotImplementedError

    def _keep_draft(self) -> None:
        """Keep what was typed in the form for the question shown, as its draft."""
        raise NotImplementedError

    def _load_judgement_form(self, tri: Triangulation) -> None:
        """Fill the form from the question's draft, or its recorded judgement."""
        raise NotImplementedError

    def _show_judgement(self, tri: Triangulation) -> None:
        """Show the question's current judgement and its history."""
        raise NotImplementedError
