"""The Hub tab: the team lead merges the shared folder into the hub and reads the figures,
the conflicts and how far fieldwork has got.

The hub is the window's, passed in (`set_hub`): the window opens it when first needed and
closes it. The figures are probdesk.services.figures', the same the reports print. Every read
and write of the hub goes through the Runner: a hub on a network drive or a server never
freezes the window.

This module puts the sections together and sets the state they share (declared in state.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from probdesk.domain.records import Inspection
from probdesk.domain.words import day_text
from probdesk.errors import OperationCancelled, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.case_view import open_rows
from probdesk.ui.hub.decisions_section import DecisionsSection
from probdesk.ui.hub.figures_section import FiguresSection
from probdesk.ui.hub.merge_section import MergeSection
from probdesk.ui.hub.progress_section import ProgressSection
from probdesk.ui.hub.state import (
    CONFLICTS,
    FIGURES,
    MODERATION,
    PACKAGES,
    PAGE_TITLES,
    PROGRESS,
)
from probdesk.ui.hub.workbook_section import WorkbookSection
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import hint_label, scrolling_body
from probdesk.ui.kit.messages import show_message
from probdesk.ui.kit.runner import Runner

if TYPE_CHECKING:
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.figures import (
        InspectionFigures,
        RegionalFigures,
    )
    from probdesk.services.hub import (
        HeldKey,
    )
    from probdesk.services.hub_access import HubAccess

PAGE_KEY = "hub/page"
HubRead = tuple["InspectionFigures | None", list["HeldKey"], "RegionalFigures | None"]


class HubPanel(MergeSection, ProgressSection, FiguresSection, DecisionsSection, WorkbookSection):
    """The Hub tab: its sections (merge_section.py, progress_section.py, figures_section.py,
    decisions_section.py), each built in its own method, put together and wired here, with
    the state they share and the reading of the hub."""

    def __init__(self, settings: QSettings, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None
        self.figures: InspectionFigures | None = None
        self.held_keys: list[HeldKey] = []  # the inspection's laptops waiting for enrolment
        self.regional: RegionalFigures | None = None  # a regional inspection's pooled figures
        self.hub_access: HubAccess | None = None  # the window's hub: passed in, never opened here
        self._stale = True  # the figures on show may not be the inspection's: read again

        layout = scrolling_body(self, "Hub")
        self.hint = hint_label(
            "Choose an inspection at the top to merge the assessors' packages from the shared "
            "folder and see its figures.",
            "Hub: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        # One page per section: at 1366x768 (and at 125%) each shows whole, the figures with
        # the width and height of the tab.
        self.content = self.pages = QTabWidget()
        self.pages.setObjectName("hubPages")
        self.pages.setAccessibleName("Hub pages")
        self.pages.setDocumentMode(True)
        layout.addWidget(self.pages, 1)
        sections: dict[int, list[QWidget]] = {
            PACKAGES: [self._build_merge()],
            PROGRESS: [self._build_progress()],
            FIGURES: [self._build_figures(), self._build_workbook()],  # workbook_section.py
            CONFLICTS: [self._build_conflicts()],
            MODERATION: [self._build_moderation()],
        }
        for i, title in enumerate(PAGE_TITLES):
            page = QWidget()
            page.setAccessibleName(f"Hub: {title.lower()}")
            box = QVBoxLayout(page)
            box.setContentsMargins(0, 6, 0, 0)
            for n, widget in enumerate(sections[i]):
                box.addWidget(widget, 1 if n == 0 else 0)
            self.pages.addTab(page, title)
        # The page last shown (the Figures page the first time), kept between runs.
        shown = self.settings.value(PAGE_KEY, FIGURES)
        self.pages.setCurrentIndex(int(str(shown)) if str(shown).isdigit() else FIGURES)
        self.pages.currentChanged.connect(lambda i: self.settings.setValue(PAGE_KEY, i))

        self._wire()
        self.set_inspection(None)

    def _wire(self) -> None:
        self.merge_button.clicked.connect(self.merge_shared)
        self.close_button.clicked.connect(self.ask_close)
        self.purge_button.clicked.connect(self.ask_purge_hub)
        self.scope_combo.currentIndexChanged.connect(lambda _i: self._show_summary())
        self.provisional_box.toggled.connect(self._provisional_toggled)
        self.source_group.idToggled.connect(self._source_toggled)
        self.summary_view.doubleClicked.connect(lambda i: self.drill_down(i.row()))
        # Enter on a row opens its cases. An event filter on the view, not a QShortcut: a
        # shortcut only fires in the active window, a key press reaches the focused view always.
        self.summary_view.installEventFilter(self)
        self.settle_button.clicked.connect(self.settle_selected)
        self.approve_button.clicked.connect(self.approve_selected)
        self.return_button.clicked.connect(self.return_selected)
        # A case opens from every list of cases: double-click, Enter, or Open case….
        self.open_case_button.clicked.connect(self.open_selected_case)
        open_rows(
            self.moderation_view, lambda r: self.open_case(self.moderation_model.row_at(r).case_ref)
        )
        open_rows(
            self.conflict_view, lambda r: self.open_case(self.conflict_model.row_at(r).case_ref)
        )
        open_rows(self.progress_view, self.open_progress_row)
        for view in (self.conflict_view, self.moderation_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._update_actions())
            view.model().modelReset.connect(self._update_actions)
        self.runner.changed.connect(self._changed)
        self.runner.finished.connect(self._runner_finished)

    # -- state ----------------------------------------------------------------------------
    def set_fieldwork(self, fieldwork: Fieldwork) -> None:
        self.fieldwork = fieldwork
        self._stale = True
        self._update()
        self._refresh_if_shown()

    def set_inspection(self, inspection: Inspection | None) -> None:
        changed = (inspection.id if inspection else None) != (
            self.inspection.id if self.inspection else None
        )
        self.inspection = inspection
        if changed:
            self.merge_model.set_rows([])
            self.tally.setText("")
            show_message(self.merge_message, "")
            show_message(self.conflict_message, "")
            show_message(self.moderation_message, "")
            self.own_radio.setChecked(True)  # a regional inspection opens on its own sample
            self._show_figures(None)
            self._stale = True
        self.source_row.setVisible(self.is_regional())
        self._update()
        self._refresh_if_shown()

    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._stale = True
        self._refresh_if_shown()

    def _update(self) -> None:
        ready = self.inspection is not None and self.fieldwork is not None
        self.hint.setVisible(not ready)
        self.content.setVisible(ready)
        has_folder = self.shared_folder() is not None
        self.folder_hint.setVisible(ready and not has_folder)
        self.merge_button.setEnabled(ready and has_folder)
        closed = self.inspection.closed_at if self.inspection is not None else None
        self.close_button.setEnabled(ready and closed is None)
        self.purge_button.setEnabled(ready)
        self.closed_label.setText(
            f"Closed on {day_text(closed)}: laptops may purge it once all their work is merged."
            if closed is not None
            else "Open: close it when fieldwork and moderation are over."
        )
        self._update_actions()

    def _update_actions(self) -> None:
        conflict = self.selected_conflict()
        self.settle_button.setEnabled(conflict is not None and conflict.kind == "conflict")
        case = self.selected_case()
        self.approve_button.setEnabled(case is not None)
        self.open_case_button.setEnabled(case is not None)
        self.return_button.setEnabled(case is not None and self.shared_folder() is not None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update()  # the shared folder may have been set on the Sync tab meanwhile
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if self._stale and self.isVisible() and not self.runner.busy:
            self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes & (Changes.HUB | Changes.TEAM):
            self._stale = True  # read again: at once when shown, else when next shown

    def _provisional_toggled(self, _on: bool) -> None:
        self._stale = True
        self._refresh_if_shown()

    def _runner_finished(self, _title: str) -> None:
        self._refresh_if_shown()  # once the runner is free again

    # -- figures, conflicts, progress -----------------------------------------------------
    def refresh(self) -> bool:
        """Read the inspection's figures, conflicts and progress from the hub again."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None:
            self._show_figures(None)
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._stale = False
            self._show_figures(None)
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            show_message(self.merge_message, exc.message, problem=True)
            return False

        regional = inspection.kind == "region"
        provisional = self.provisional_box.isChecked()

        def work(progress: Progress, cancelled: Cancelled) -> HubRead:
            from probdesk.services import figures as views
            from probdesk.services.hub import held_packages

            progress(0, 0, "Reading the figures from the hub")
            figures = views.inspection_figures(hub, inspection.id, provisional=provisional)
            held = held_packages(hub, inspection.id) if figures is not None else []
            if not regional:
                return figures, held, None
            if cancelled():
                raise OperationCancelled
            progress(0, 0, f"Pooling the PDU inspections of {inspection.region}")
            pooled = views.regional_figures(hub, inspection.region, provisional=provisional)
            return figures, held, pooled

        def done(read: HubRead) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return  # the inspection changed meanwhile; stale is set, it reads again
            self._show_figures(*read)

        def failed(exc: Exception) -> None:
            if isinstance(exc, OperationCancelled):
                self._stale = True  # read again when next shown
                show_message(self.merge_message, "Reading the figures was cancelled.")
                return
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            show_message(self.merge_message, exc.message, problem=True)

        started = self.runner.run("Reading the hub's figures", work, done, failed)
        if started:
            self._stale = False
        return started
