"""The state the Hub tab's sections share, declared once so mypy checks the sections.

HubPanel (panel.py) is put together from sections (merge_section.py, progress_section.py,
figures_section.py, decisions_section.py), each a class deriving from HubState: in a section
`self` is the panel, a QWidget, and the names below are what one section may use of the
panel's state and of what another section builds. The panel's __init__ sets the
attributes; the sections and the panel define the methods (the declarations here raise
NotImplementedError: the panel's class always has the real one first). The few methods that
only read this state are defined here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY

if TYPE_CHECKING:
    from probdesk.domain.records import Inspection
    from probdesk.hub.store import Hub
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.figures import InspectionFigures, RegionalFigures
    from probdesk.services.hub import HeldKey
    from probdesk.services.hub_access import HubAccess
    from probdesk.ui.hub.models import ConflictModel, ModerationModel, ProgressModel
    from probdesk.ui.kit.runner import Runner


# The Hub tab's pages (a tab each), in order: a 1366x768 laptop shows one at a time whole.
PACKAGES, PROGRESS, FIGURES, CONFLICTS, MODERATION = range(5)
PAGE_TITLES = ("Packages", "Progress", "Figures", "Conflicts", "Moderation")


class HubState(QWidget):
    """What the Hub tab's sections share: the panel's services and choice, the figures read,
    and the widgets one section builds and another fills."""

    # -- the panel's: set in HubPanel.__init__ ---------------------------------------------
    settings: QSettings
    runner: Runner
    fieldwork: Fieldwork | None
    inspection: Inspection | None
    hub_access: HubAccess | None  # the window's hub: passed in, never opened here
    _stale: bool  # the figures on show may not be the inspection's: read again
    figures: InspectionFigures | None  # the figures read (figures_section.py shows them)
    regional: RegionalFigures | None  # a regional inspection's pooled figures

    pages: QTabWidget  # the panel's: one page per section
    # -- built by one section, filled by figures_section.py --------------------------------
    held: QLabel  # merge_section.py
    progress_model: ProgressModel  # progress_section.py
    progress_summary: QLabel  # progress_section.py
    conflict_model: ConflictModel  # decisions_section.py
    undecided: QLabel  # decisions_section.py
    moderation_model: ModerationModel  # decisions_section.py

    # -- read from the shared state ---------------------------------------------------------
    def shared_folder(self) -> Path | None:
        text = str(self.settings.value(SHARED_FOLDER_KEY, "") or "")
        return Path(text).expanduser() if text else None

    def hub(self) -> Hub:
        """The window's hub (a new one is made on first use if there is none: merging comes)."""
        from probdesk.services.hub_access import hub_of

        return hub_of(self.hub_access)

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def is_regional(self) -> bool:
        """Whether the chosen inspection is a regional one (kind "region")."""
        return self.inspection is not None and self.inspection.kind == "region"

    def show_page(self, page: int) -> None:
        """Bring one of the Hub tab's pages (PACKAGES, ..., MODERATION) to the front."""
        self.pages.setCurrentIndex(page)

    def title_pages(self, conflicts: int, waiting: int, held: int) -> None:
        """The pages' tab titles, with what waits on each: undecided conflicts, cases waiting
        for a decision, laptops waiting to be enrolled."""
        counts = {CONFLICTS: conflicts, MODERATION: waiting, PACKAGES: held}
        for i, title in enumerate(PAGE_TITLES):
            n = counts.get(i, 0)
            self.pages.setTabText(i, f"{title} ({n})" if n else title)

    # -- defined by the panel or a section ----------------------------------------------------
    def set_inspection(self, inspection: Inspection | None) -> None:
        """Show `inspection` (None: none chosen); the panel's (panel.py)."""
        raise NotImplementedError

    def refresh(self) -> bool:
        """Read the inspection's figures, conflicts and progress again; the panel's."""
        raise NotImplementedError

    def _update(self) -> None:
        """Enable and show what the choice allows; the panel's."""
        raise NotImplementedError

    def _show_held(self, held: list[HeldKey]) -> None:
        """Show the laptops waiting for enrolment; merge_section.py's."""
        raise NotImplementedError
