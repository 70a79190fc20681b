"""The Reports tab: the team lead prints case summaries, a PDU summary or the regional summary
from the hub, as PDF, then opens or prints the result.

The panel reads the window's hub (passed in, as to every tab) and builds every report through
the window's Runner, with progress and Cancel. The PDF code (ReportLab) is loaded
the first time the tab is shown, not when the window starts.

This module puts the sections together and sets the state they share (declared in state.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QGridLayout, QWidget

from probdesk.domain.records import Inspection
from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.services.hub_access import hub_of
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import hint_label, plural, scrolling_body
from probdesk.ui.kit.runner import Runner
from probdesk.ui.reports.choices_section import ChoicesSection
from probdesk.ui.reports.models import ABOUT, CASES, PDU, READ_TITLE, ReportChoices, read_choices
from probdesk.ui.reports.output_section import OutputSection

if TYPE_CHECKING:
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess


class ReportsPanel(ChoicesSection, OutputSection):
    """The Reports tab: its sections, each built in its own methods (choices_section.py,
    output_section.py), put together and wired here, with the state they share and the
    reading of the hub."""

    def __init__(
        self,
        settings: QSettings,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner
        self.hub_access: HubAccess | None = None  # the window's hub: passed in (`set_hub`)
        self.fieldwork: Fieldwork | None = None
        self.inspection: Inspection | None = None
        self.choices: ReportChoices | None = None
        self._stale = True

        layout = scrolling_body(self, "Reports")
        self.hint = hint_label(
            "Choose an inspection at the top to print its case summaries and summary reports.",
            "Reports: no inspection chosen",
        )
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        self.content = QWidget()
        self.content.setAccessibleName("Reports sections")
        body = QGridLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)

        body.addWidget(self._build_what(), 0, 0)
        body.addWidget(self._build_output(), 1, 0)
        body.addWidget(self._build_cases(), 0, 1, 3, 1)
        body.setColumnStretch(0, 2)
        body.setColumnStretch(1, 3)
        body.setRowStretch(2, 1)
        self._wire()
        self._show_result([])
        self.set_inspection(None)

    def _wire(self) -> None:
        self.kind_group.idClicked.connect(lambda _i: self._update())
        self.scope_group.idClicked.connect(lambda _i: self._update())
        for combo in (self.pdu_summary_combo, self.cases_pdu_combo):
            combo.currentIndexChanged.connect(lambda _i: self._update())
        self.folder_box.toggled.connect(lambda _on: self._update())
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.case_view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.proxy.modelReset.connect(self._update)
        self.proxy.layoutChanged.connect(self._update)
        self.marking_edit.editingFinished.connect(self._remember_marking)
        self.build_button.clicked.connect(self.build)
        self.open_button.clicked.connect(self.open_result)
        self.print_button.clicked.connect(self.print_result)
        print_shortcut = QShortcut(QKeySequence.StandardKey.Print, self)
        print_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        print_shortcut.activated.connect(self.print_result)
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
            self._show_choices(None)
            self._show_result([])
            self._stale = True
        self._update()
        self._refresh_if_shown()

    def _update(self) -> None:
        ready = self.inspection is not None and self.fieldwork is not None
        has = ready and self.choices is not None
        self.hint.setVisible(not has)
        if not ready:
            self.hint.setText(
                "Choose an inspection at the top to print its case summaries and summary reports."
            )
        self.content.setVisible(has)
        kind = self.kind()
        per_pdu = self.all_of_pdu_radio.isChecked()
        self.cases_box.setEnabled(kind == CASES)
        self.pdu_summary_combo.setEnabled(kind == PDU)
        self.cases_pdu_combo.setEnabled(per_pdu)
        self.filter_edit.setEnabled(not per_pdu)
        self.case_view.setEnabled(not per_pdu)
        refs = self.selected_refs()
        shown = self.proxy.rowCount()
        total = self.case_model.rowCount()
        self.selection_text.setText(
            f"{len(refs)} of {plural(total, 'case')} selected"
            + (f", {shown} shown" if shown != total else "")
        )
        text, can = self._describe(kind, refs)
        self.choice_text.setText(text)
        self.about.setText(ABOUT[kind])
        self.build_button.setEnabled(has and can)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.marking_edit.text():
            self.marking_edit.setText(self.marking())
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if self._stale and self.isVisible() and not self.runner.busy:
            self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes & Changes.HUB:
            self._stale = True  # a merge, a moderation, a settled conflict: read the hub again

    def _runner_finished(self, _title: str) -> None:
        self._refresh_if_shown()  # once the runner is free again

    # -- reading the hub --------------------------------------------------------------------
    def set_hub(self, hub: HubAccess | None) -> None:
        """The window's hub (made and closed by the window when it opens the data)."""
        self.hub_access = hub
        self._stale = True

    def hub_exists(self) -> bool:
        return self.hub_access is not None and self.hub_access.exists()

    def refresh(self) -> bool:
        """Read the inspection's cases and PDUs from the hub again."""
        inspection = self.inspection
        if inspection is None or self.fieldwork is None:
            self._show_choices(None)
            return False
        if not self.hub_exists():  # nothing merged on this laptop: make no empty hub file
            self._stale = False
            self._show_choices(None)
            return False
        try:
            hub = hub_of(self.hub_access)
        except ProbdeskError as exc:
            self._show_choices(None, exc.message)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ReportChoices | None:
            progress(0, 0, "Reading the cases from the hub")
            return read_choices(hub, inspection.id)

        def done(choices: ReportChoices | None) -> None:
            if self.inspection is None or self.inspection.id != inspection.id:
                return  # the inspection changed meanwhile; stale is set, it reads again
            self._show_choices(choices)

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            self._show_choices(None, exc.message)

        started = self.runner.run(READ_TITLE, work, done, failed)
        if started:
            self._stale = False
        return started
