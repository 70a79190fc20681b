"""The Team lead tab: the team, the case sample (import and assignment), the setup pack, and
comments sent back to the assessors.

Nothing of a sample file is imported until the team lead has seen the check and pressed
Import; adding the cases, assigning them, writing the pack, reading the assessors' exports and
writing their comments packs go through the Runner.

This module puts the sections together and sets the state they share (declared in state.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from probdesk.domain.records import Inspection
from probdesk.ui.kit.layout import hint_label, scrolling_body
from probdesk.ui.kit.messages import show_message
from probdesk.ui.kit.runner import Runner
from probdesk.ui.kit.tables import selected_rows
from probdesk.ui.team_lead.packs_section import PacksSection
from probdesk.ui.team_lead.team_section import TeamSection

if TYPE_CHECKING:
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess


class SetupPanel(TeamSection, PacksSection):
    """The Team lead tab: its sections (team_section.py, packs_section.py), each built in
    its own method, put together and wired here; the state they share is declared in
    state.py and set here."""

    # its signal, cases_changed(inspection id), is defined in state.py

    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork = None
        self.hub_access = None
        self.inspection = None
        self.saved_team = []
        self.exports_folder = None  # where the exports on show were found

        layout = scrolling_body(self, "Team lead")
        self.hint = hint_label(
            "Choose an inspection at the top, or create one with New inspection…, to set up "
            "its team, its case sample and the setup pack for the assessors.",
            "Team lead: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)

        top = QHBoxLayout()
        top.addWidget(self._build_team(), 1)
        top.addWidget(self._build_cases(), 2)
        content.addLayout(top, 1)
        content.addWidget(self._build_pack())
        content.addWidget(self._build_back())
        self._wire()
        self.set_inspection(None)

    def _wire(self) -> None:
        self.name_edit.returnPressed.connect(self.add_assessor)
        self.add_button.clicked.connect(self.add_assessor)
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_team_button.clicked.connect(self.save_team)
        self.import_button.clicked.connect(self.import_sample)
        self.assign_button.clicked.connect(self.assign_selected)
        self.write_button.clicked.connect(self.write_setup_pack)
        self.move_button.clicked.connect(self.move_question_set)
        self.look_button.clicked.connect(self.look_for_exports)
        self.send_button.clicked.connect(self.send_comments)
        self.exports_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.team_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.cases_view.selectionModel().selectionChanged.connect(self._update_buttons)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        self.fingerprint.setText(fieldwork.fingerprints()["signing"])
        self.set_inspection(self.inspection)

    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub: the move preview counts the answers merged into it."""
        self.hub_access = hub

    def set_inspection(self, inspection: Inspection | None) -> None:
        if self.inspection is None or inspection is None or inspection.id != self.inspection.id:
            for label in (
                self.team_message,
                self.cases_message,
                self.pack_message,
                self.exports_message,
            ):
                show_message(label, "")
            self.exports_model.set_exports([], {})
            self.exports_folder = None
        self.inspection = inspection
        ready = inspection is not None and self.fieldwork is not None
        self.hint.setVisible(not ready)
        self.content.setVisible(ready)
        self.reload_team()
        self.reload_cases()
        self.reload_pack_state()

    def _update_buttons(self) -> None:
        dirty = self._team_dirty()
        self.remove_button.setEnabled(bool(selected_rows(self.team_view)))
        self.save_team_button.setEnabled(dirty)
        self.assign_button.setEnabled(
            bool(selected_rows(self.cases_view)) and self.assign_combo.count() > 0
        )
        export = self.selected_export()
        self.send_button.setEnabled(export is not None and export.problem is None)
        if dirty:
            show_message(self.team_message, "The team has changes that are not saved yet.")
