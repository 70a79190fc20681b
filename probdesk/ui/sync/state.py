"""The state the Sync tab's sections share, declared once so mypy checks the sections.

Each section (outbox_section.py, incoming_section.py) inherits SyncState, so `self` is a
QWidget with these names; SyncPanel (panel.py) inherits the sections and sets the state in
its `__init__`. The names are annotations only, but for the tab's two signals: the sections
emit them, so they are defined here, once, for the panel to have.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from probdesk.domain.records import Inspection
from probdesk.ui.kit.runner import Runner

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import Fieldwork


class SyncState(QWidget):
    """What the Sync tab's sections share: set by SyncPanel, the tab's signals, and the
    methods one section calls on another or on the panel."""

    inspection_opened = Signal(str)  # a pack added or changed this inspection: show it
    exported = Signal()  # how far this laptop's changes have gone has changed (status bar)

    # -- set by the panel -----------------------------------------------------------------
    runner: Runner
    fieldwork: Fieldwork | None
    inspection: Inspection | None

    # -- the panel's (panel.py) -----------------------------------------------------------
    def shared_folder(self) -> Path | None:
        """The shared folder set in the settings, or None."""
        raise NotImplementedError

    def _update_buttons(self) -> None:
        """Enable the buttons for what is set and chosen."""
        raise NotImplementedError

    # -- outbox_section.py ----------------------------------------------------------------
    def _failed(self, exc: Exception, label: QLabel | None = None) -> None:
        """Show why a run on the Runner failed (in `label`, else the export's message)."""
        raise NotImplementedError
