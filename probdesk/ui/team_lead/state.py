"""The state the Team lead tab's sections share, declared once so mypy checks the sections.

Each section (team_section.py, packs_section.py) inherits TeamLeadState, so `self` is a
QWidget with these names; SetupPanel (panel.py) inherits the sections and sets the state in
its `__init__`. The names are annotations only, but for the tab's signal: a section emits
it, so it is defined here, once, for the panel to have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QWidget

from probdesk.domain.records import Assessor, Inspection
from probdesk.ui.kit.runner import Runner

if TYPE_CHECKING:
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess


class TeamLeadState(QWidget):
    """What the Team lead tab's sections share: set by SetupPanel, the tab's signal, and the
    methods one section calls on another or on the panel."""

    cases_changed = Signal(str)  # inspection id: cases were added or assigned
    question_set_moved = Signal(str)  # inspection id: it is on a new question-set version

    # -- set by the panel -----------------------------------------------------------------
    settings: QSettings  # the shared folder is read from them
    runner: Runner
    fieldwork: Fieldwork | None
    hub_access: HubAccess | None  # the window's hub (`set_hub`): the move preview reads it
    inspection: Inspection | None
    saved_team: list[Assessor]  # the team as last saved (team_section.py reloads it)

    # -- the panel's (panel.py) -----------------------------------------------------------
    def _update_buttons(self) -> None:
        """Enable the buttons for what is chosen, and say when the team is not saved."""
        raise NotImplementedError

    # -- team_section.py ------------------------------------------------------------------
    def _team_dirty(self) -> bool:
        """Whether the team shown has changes not saved yet."""
        raise NotImplementedError

    def save_team(self) -> bool:
        """Save the team shown; False, with the reason shown, if it cannot be."""
        raise NotImplementedError
