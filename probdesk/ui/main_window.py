"""The main window: menus, status bar and the views; it wires, it does not do the work.

The parts it is made of are in `probdesk/ui/window/` (mixins over `WindowState`, the state
they share): `views.py` builds the tabs and keeps their layout, `inspections.py` holds the
inspection chosen and its cases, `data_care.py` the integrity check, snapshots and purge,
`hub_choice.py` File > Hub… (which hub the Hub, Reports and Evidence tabs read)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

# PySide6 creates each Qt class on first use, a few milliseconds apiece: the ones the first
# paint does not need are imported where they are used.
from probdesk.errors import ProbdeskError
from probdesk.ui.kit.saver import Saver
from probdesk.ui.kit.status import ErrorBanner, SaveIndicator, UnexportedIndicator
from probdesk.ui.window.data_care import DataCarePart
from probdesk.ui.window.hub_choice import HubChoicePart
from probdesk.ui.window.inspections import InspectionsPart
from probdesk.ui.window.views import ViewsPart, fitted_size

SNAPSHOT_EVERY_MS = 30 * 60 * 1000  # a snapshot every 30 minutes while there are changes

if TYPE_CHECKING:
    # The views and what they show are imported when the data is opened, after the window
    # has appeared: that keeps start-up close to a bare Qt window's.
    from collections.abc import Callable

    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMenu

    from probdesk.domain.questionset import QuestionSet
    from probdesk.progress import Cancelled, Progress
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess
    from probdesk.services.workspace import Workspace


class MainWindow(ViewsPart, InspectionsPart, DataCarePart, HubChoicePart):
    def __init__(
        self,
        workspace: Workspace | None,
        sets: list[QuestionSet],
        settings: QSettings,
        parent: QWidget | None = None,
        fieldwork: Fieldwork | None = None,
        hub: HubAccess | None = None,
    ) -> None:
        """With no workspace the window shows at once and `attach` fills it in later."""
        super().__init__(parent)
        self.workspace = workspace  # type: ignore[assignment]  # None only until attach
        self.settings = settings
        self.inspection = None
        self.fieldwork = None
        self.setWindowTitle("probdesk")
        self.setAccessibleName("probdesk main window")
        self.saver = Saver(self)
        self.restore_requested = None
        self.data_check = None
        self.tamper_findings = []
        self.hub = None

        # -- views ------------------------------------------------------------------------
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 0)
        top = QHBoxLayout()
        label = QLabel("&Inspection:")
        self.inspection_combo = QComboBox()
        self.inspection_combo.setAccessibleName("Inspection")
        self.inspection_combo.setMinimumWidth(360)
        label.setBuddy(self.inspection_combo)
        top.addWidget(label)
        top.addWidget(self.inspection_combo, 1)
        self.new_inspection_button = QPushButton("New inspection…")
        self.new_inspection_button.setAccessibleName("New inspection")
        top.addWidget(self.new_inspection_button)
        outer.addLayout(top)
        self.banner = ErrorBanner()
        outer.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.views_built = False
        self.tabs.addTab(QLabel("Opening your data…"), "probdesk")

        self.save_indicator = SaveIndicator()
        self.unexported = UnexportedIndicator()
        self.statusBar().addPermanentWidget(self.save_indicator)
        self.statusBar().addPermanentWidget(self.unexported)

        self._wire()
        # 1400x860 where the screen has room; never larger than the screen's free area with
        # the window's frame and title bar (a 1366x768 laptop would otherwise lose the status
        # bar under its task bar and the guidance pane off its right edge).
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        self.resize(fitted_size(room))
        if room is not None:
            self.move(room.topLeft())
        self._restore_geometry()
        if workspace is None:
            central.setEnabled(False)
            self.statusBar().showMessage("Opening your data…")
        else:
            self.attach(workspace, sets, fieldwork, hub)

    def attach(
        self,
        workspace: Workspace,
        sets: list[QuestionSet],
        fieldwork: Fieldwork | None = None,
        hub: HubAccess | None = None,
    ) -> None:
        """Give the window its workspace: fill in the inspection, cases and meetings. `hub`:
        the data folder's hub, which the Hub, Reports and Evidence tabs share; the window
        closes it when it closes or is given another."""
        if not self.views_built:
            self._build_views(workspace, sets)
            self._build_menus()
            self._wire_views()
            self._restore_layout()
            if self.isVisible() and not self._fitted:  # shown before the data was open
                self._fitted = True
                self.fit_to_screen()
        self.workspace = self.case_form.workspace = workspace
        if not hasattr(self, "snapshot_timer"):  # every 30 minutes, while there are changes
            self.snapshot_timer = QTimer(self)
            self.snapshot_timer.setInterval(SNAPSHOT_EVERY_MS)
            self.snapshot_timer.timeout.connect(self.take_snapshot)
            self.snapshot_timer.start()
        self.fieldwork = fieldwork
        self._set_hub(self.hub_from_setting(hub))  # File > Hub…'s choice for this folder
        if fieldwork is not None:
            self.case_form.comments_for = fieldwork.comments
            self.case_form.mark_comments_done = fieldwork.mark_comments_done
            self.case_form.reply_to_comment = fieldwork.reply_to_comment
            self.sync.set_fieldwork(fieldwork)
            self.team_lead.set_fieldwork(fieldwork)
            self.hub_panel.set_fieldwork(fieldwork)
            self.reports_panel.set_fieldwork(fieldwork)
        self.meetings.set_workspace(workspace)
        self.evidence.set_workspace(workspace)
        self.browser.set_question_sets(sets)
        self._central().setEnabled(True)
        self.statusBar().clearMessage()
        self.reload_inspections(select=str(self.settings.value("main/inspection", "")) or None)
        last_case = str(self.settings.value("main/case", ""))
        if last_case and self.case_list.model.row_of(last_case) >= 0:
            self.case_list.select(last_case)
        self._refresh_unexported()

    def _central(self) -> QWidget:
        widget = self.centralWidget()
        assert widget is not None  # set in __init__, never taken away
        return widget

    def _set_hub(self, hub: HubAccess | None) -> None:
        """Hand the tabs that read the hub the window's one (one hub per window)."""
        if self.hub is not None and self.hub is not hub:
            self.hub.close()
        self.hub = hub
        if hub is not None and not hub.is_open and not hub.url.startswith("sqlite"):
            # A server: connect on the runner, never on the window's thread; the tabs read
            # once the runner is free, from the open hub (or at once told it was refused).
            def connect(_progress: Progress, _cancelled: Cancelled) -> None:
                hub.get()

            def refused(exc: Exception) -> None:
                if not isinstance(exc, ProbdeskError):  # a bug: the crash dialog
                    self.runner.default_error(exc)
                # else the tabs say why, in their own words, when they read (at once)

            title = f"Connecting to the hub ({hub.describe()})"
            self.runner.run(title, connect, _nothing, refused)
        for tab in (self.hub_panel, self.reports_panel, self.evidence, self.team_lead):
            tab.set_hub(hub)
        self.show_window_title()

    # -- wiring ---------------------------------------------------------------------------
    def _build_menus(self) -> None:
        from PySide6.QtGui import QAction, QKeySequence

        def action(
            menu: QMenu,
            text: str,
            slot: Callable[[], object],
            shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
        ) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(shortcut)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.new_inspection_action = action(
            file_menu, "&New inspection…", self.new_inspection, QKeySequence("Ctrl+Shift+N")
        )
        self.open_action = action(
            file_menu, "&Open question set…", self.open_question_set, QKeySequence.StandardKey.Open
        )
        self.hub_action = action(file_menu, "&Hub…", self.choose_hub)
        file_menu.addSeparator()
        self.snapshots_action = action(file_menu, "&Snapshots…", self.show_snapshots)
        self.purge_action = action(file_menu, "&Purge inspection…", self.purge_inspection)
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        case_menu = self.menuBar().addMenu("C&ase")
        self.add_case_action = action(
            case_menu, "&Add case…", self.add_case, QKeySequence("Ctrl+N")
        )
        self.facts_action = action(
            case_menu, "Case &facts…", self.edit_facts, QKeySequence("Ctrl+E")
        )
        self.submit_action = action(
            case_menu,
            "&Submit or reopen case",
            lambda: self.case_form.submit_or_reopen(),
            QKeySequence("Ctrl+Return"),
        )
        case_menu.addSeparator()
        self.undo_action = action(
            case_menu, "&Undo answer", lambda: self.case_form.undo(), QKeySequence("Ctrl+Z")
        )
        self.redo_action = action(
            case_menu, "&Redo answer", lambda: self.case_form.redo(), QKeySequence("Ctrl+Shift+Z")
        )
        case_menu.addSeparator()
        self.next_action = action(
            case_menu,
            "&Next unanswered question",
            lambda: self.case_form.jump_to_unanswered(),
            QKeySequence("Ctrl+J"),
        )
        self.history_action = action(
            case_menu,
            "Answer &history…",
            lambda: self.case_form.request_history(),
            QKeySequence("Ctrl+H"),
        )
        action(case_menu, "&Filter cases", self.focus_filter, QKeySequence.StandardKey.Find)
        action(case_menu, "Go to case &list", self.focus_case_list, QKeySequence("Ctrl+L"))
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&Keyboard shortcuts", self.show_shortcuts)
        action(help_menu, "&About probdesk", self.about)

    def _wire(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.inspection_combo.activated.connect(self._inspection_chosen)
        self.new_inspection_button.clicked.connect(self.new_inspection)
        self.saver.saved.connect(self._saved)
        self.saver.failed.connect(self._save_failed)
        self.saver.rejected.connect(lambda msg: QMessageBox.warning(self, "probdesk", msg))
        self.saver.recovered.connect(self._recovered)
        self.banner.retry_requested.connect(self.saver.retry)

    def _wire_views(self) -> None:
        self.case_list.case_selected.connect(self.open_case)
        self.case_list.add_case_requested.connect(self.add_case)
        self.case_form.status_changed.connect(self._case_changed)
        self.case_form.edit_facts_requested.connect(lambda _cid: self.edit_facts())
        self.case_form.history_requested.connect(self.show_history)
        self.case_form.focus_question.connect(self._show_guidance)
        self.case_form.said.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.welcome.join_requested.connect(self.join_inspection)
        self.welcome.lead_requested.connect(self.set_one_up)
        self.welcome.demo_requested.connect(self.open_demo)
        self.sync.inspection_opened.connect(lambda iid: self.reload_inspections(select=iid))
        self.sync.exported.connect(self._refresh_unexported)
        self.team_lead.cases_changed.connect(self._cases_changed_elsewhere)
        self.team_lead.question_set_moved.connect(lambda iid: self.reload_inspections(select=iid))

    def closeEvent(self, event: QCloseEvent) -> None:
        from PySide6.QtWidgets import QMessageBox

        if not self.views_built:  # closed before the data was open: nothing to save
            self._save_layout()
            super().closeEvent(event)
            return
        if self.runner.busy:  # let the work stop at a safe point before the store closes
            self.runner.cancel()
            if not self.runner.wait():
                self.statusBar().showMessage(f"Still stopping: {self.runner.title}", 5000)
                event.ignore()
                return
        self.case_form.flush()
        self.meetings.editor.flush()
        if self.saver.pending and not self.saver.retry():
            answer = QMessageBox.question(
                self,
                "Changes not saved",
                f"{self.saver.pending} change(s) could not be saved:\n{self.banner.message.text()}"
                "\n\nClose anyway and lose them?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._save_layout()
        if self.views_built:
            self.snapshot_timer.stop()
            self._snapshot_on_close()
            if self.hub is not None:
                self.hub.close()
        super().closeEvent(event)


def _nothing(_result: object) -> None:
    """A run whose result the window needs nothing from."""
