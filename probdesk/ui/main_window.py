"""The main window: menus, status bar and the views; it wires, it does not do the work."""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

# PySide6 creates each Qt class on first use, a few milliseconds apiece: the ones the first
# paint does not need are imported where they are used.
from probdesk import __version__
from probdesk.errors import ProbdeskError
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.saver import Saver
from probdesk.ui.kit.status import ErrorBanner, SaveIndicator, UnexportedIndicator

log = logging.getLogger("probdesk.window")
SNAPSHOT_EVERY_MS = 30 * 60 * 1000  # a snapshot every 30 minutes while there are changes
CHECK_AFTER_MS = 3000  # the full integrity check, once start-up is over

if TYPE_CHECKING:
    # The views and what they show are imported when the data is opened, after the window
    # has appeared: that keeps start-up close to a bare Qt window's.
    from probdesk.domain.questionset import QuestionSet
    from probdesk.domain.records import Inspection
    from probdesk.hub.store import Hub
    from probdesk.progress import Cancelled, Progress
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess
    from probdesk.services.retention import PurgePlan, PurgeResult
    from probdesk.services.workspace import Workspace
    from probdesk.ui.cases import CaseForm, CaseListPanel, GuidancePanel
    from probdesk.ui.evidence import EvidencePanel
    from probdesk.ui.hub import HubPanel
    from probdesk.ui.meetings import MeetingsPanel
    from probdesk.ui.question_sets import QuestionSetBrowser
    from probdesk.ui.reports import ReportsPanel
    from probdesk.ui.sync import SyncPanel
    from probdesk.ui.team_lead import SetupPanel

SHORTCUTS = (
    ("Y / N / A", "answer Yes / No / Not applicable (answer field in focus)"),
    ("Delete", "clear the answer in focus"),
    ("Tab / Shift+Tab", "move between answers and evidence notes"),
    ("Ctrl+J", "next unanswered applicable question"),
    ("Ctrl+H", "history of the question in focus"),
    ("Ctrl+N", "add a case"),
    ("Ctrl+E", "edit the case facts"),
    ("Ctrl+Return", "submit (or reopen) the case"),
    ("Ctrl+F", "filter the case list"),
    ("Ctrl+L", "go to the case list"),
    ("Ctrl+Shift+N", "new inspection"),
)


class MainWindow(QMainWindow):
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
        self.workspace: Workspace = workspace  # type: ignore[assignment]  # set by attach
        self.settings = settings
        self.inspection: Inspection | None = None
        self.setWindowTitle("probdesk")
        self.setAccessibleName("probdesk main window")
        self.saver = Saver(self)
        self.restore_requested: object = None  # a snapshot to put back once the window closed
        self.data_check: str | None = None  # the full integrity check's result, once run
        self.tamper_findings: list[str] = []  # what verify found at that check
        self.hub: HubAccess | None = None  # the team lead's hub, shared by the tabs that read it

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
        # 1400x860 where the screen has room; never larger than the screen (a 1366x768
        # laptop would otherwise lose the guidance pane off its right edge).
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        self.resize(min(1400, room.width()) if room else 1400,
                    min(860, room.height()) if room else 860)  # fmt: skip
        for key, restore in (
            ("main/geometry", self.restoreGeometry),
            ("main/state", self.restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        if workspace is None:
            self.centralWidget().setEnabled(False)
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
        self.workspace = self.case_form.workspace = workspace
        if not hasattr(self, "snapshot_timer"):  # every 30 minutes, while there are changes
            self.snapshot_timer = QTimer(self)
            self.snapshot_timer.setInterval(SNAPSHOT_EVERY_MS)
            self.snapshot_timer.timeout.connect(self.take_snapshot)
            self.snapshot_timer.start()
        self.fieldwork = fieldwork
        self._set_hub(hub)
        if fieldwork is not None:
            self.case_form.comments_for = fieldwork.comments
            self.sync.set_fieldwork(fieldwork)
            self.team_lead.set_fieldwork(fieldwork)
            self.hub_panel.set_fieldwork(fieldwork)
            self.reports_panel.set_fieldwork(fieldwork)
        self.meetings.set_workspace(workspace)
        self.evidence.set_workspace(workspace)
        self.browser.set_question_sets(sets)
        self.centralWidget().setEnabled(True)
        self.statusBar().clearMessage()
        self.reload_inspections(select=str(self.settings.value("main/inspection", "")) or None)
        last_case = str(self.settings.value("main/case", ""))
        if last_case and self.case_list.model.row_of(last_case) >= 0:
            self.case_list.select(last_case)
        self._refresh_unexported()

    def _set_hub(self, hub: HubAccess | None) -> None:
        """Hand the tabs that read the hub the window's one (one hub per window)."""
        if self.hub is not None and self.hub is not hub:
            self.hub.close()
        self.hub = hub
        for tab in (self.hub_panel, self.reports_panel, self.evidence):
            tab.set_hub(hub)

    def _build_views(self, workspace: Workspace, sets: list[QuestionSet]) -> None:
        from probdesk.ui.kit.runner import Runner

        self.runner = Runner(self)
        from PySide6.QtCore import Qt  # its hundred enums cost ~14 ms: not before the data
        from PySide6.QtWidgets import QSplitter

        from probdesk.ui.cases import CaseForm, CaseListPanel, GuidancePanel
        from probdesk.ui.evidence import EvidencePanel
        from probdesk.ui.hub import HubPanel
        from probdesk.ui.meetings import MeetingsPanel
        from probdesk.ui.question_sets import QuestionSetBrowser
        from probdesk.ui.reports import ReportsPanel
        from probdesk.ui.sync import SyncPanel
        from probdesk.ui.team_lead import SetupPanel

        self.tabs.clear()
        self.case_list: CaseListPanel = CaseListPanel()
        self.case_form: CaseForm = CaseForm(workspace, self.saver)
        self.guidance: GuidancePanel = GuidancePanel()
        self.cases_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.cases_splitter.setObjectName("casesSplitter")
        self.cases_splitter.addWidget(self.case_list)
        self.cases_splitter.addWidget(self.case_form)
        self.cases_splitter.addWidget(self.guidance)
        self.cases_splitter.setStretchFactor(0, 2)
        self.cases_splitter.setStretchFactor(1, 5)
        self.cases_splitter.setStretchFactor(2, 2)
        self.cases_splitter.setSizes([440, 680, 280])
        self.tabs.addTab(self.cases_splitter, "&Cases")
        self.meetings: MeetingsPanel = MeetingsPanel(workspace, self.saver)
        self.tabs.addTab(self.meetings, "&Meetings and focus groups")
        self.browser: QuestionSetBrowser = QuestionSetBrowser(sets)
        self.tabs.addTab(self.browser, "&Question sets")
        self.sync: SyncPanel = SyncPanel(self.settings, self.runner)
        self.tabs.addTab(self.sync, "S&ync")
        self.team_lead: SetupPanel = SetupPanel(self.settings, self.runner)
        self.tabs.addTab(self.team_lead, "&Team lead")
        self.hub_panel: HubPanel = HubPanel(self.settings, self.runner)
        self.tabs.addTab(self.hub_panel, "Hu&b")  # Alt+H is the Help menu
        self.reports_panel: ReportsPanel = ReportsPanel(self.settings, self.runner)
        self.tabs.addTab(self.reports_panel, "Re&ports")  # Alt+R is the Hub tab's Merge
        # Domain one evidence, beside the meetings it draws on; case findings from the hub.
        # Alt+J: every letter of "Evidence" is taken on some tab already.
        self.evidence: EvidencePanel = EvidencePanel(workspace, self.saver, self.runner)
        self.tabs.insertTab(
            self.tabs.indexOf(self.meetings) + 1, self.evidence, "Evidence and &judgements"
        )
        self.views_built = True
        self._build_menus()
        self._wire_views()
        self._restore_layout()

    # -- wiring ---------------------------------------------------------------------------
    def _build_menus(self) -> None:
        from PySide6.QtGui import QAction, QKeySequence

        def action(menu: object, text: str, slot: object, shortcut: object = None) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(shortcut)  # type: ignore[arg-type]
            a.triggered.connect(slot)  # type: ignore[arg-type]
            menu.addAction(a)  # type: ignore[attr-defined]
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.new_inspection_action = action(
            file_menu, "&New inspection…", self.new_inspection, QKeySequence("Ctrl+Shift+N")
        )
        self.open_action = action(
            file_menu, "&Open question set…", self.open_question_set, QKeySequence.StandardKey.Open
        )
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
        self.next_action = action(
            case_menu,
            "&Next unanswered question",
            lambda: self.case_form.next_unanswered(),
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
        self.sync.inspection_opened.connect(lambda iid: self.reload_inspections(select=iid))
        self.sync.exported.connect(self._refresh_unexported)
        self.team_lead.cases_changed.connect(self._cases_changed_elsewhere)

    def _restore_layout(self) -> None:
        for key, restore in (
            ("main/cases_splitter", self.cases_splitter.restoreState),
            ("main/meetings_splitter", self.meetings.restoreState),
            ("main/evidence_splitter", self.evidence.content.restoreState),
            ("main/browser_splitter", self.browser.restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        with contextlib.suppress(TypeError, ValueError):
            self.tabs.setCurrentIndex(int(self.settings.value("main/tab", 0)))  # type: ignore[call-overload]

    def _save_layout(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/state", self.saveState())
        if not self.views_built:
            self.settings.sync()
            return
        self.settings.setValue("main/cases_splitter", self.cases_splitter.saveState())
        self.settings.setValue("main/meetings_splitter", self.meetings.saveState())
        self.settings.setValue("main/evidence_splitter", self.evidence.content.saveState())
        self.settings.setValue("main/browser_splitter", self.browser.saveState())
        self.settings.setValue("main/tab", self.tabs.currentIndex())
        if self.inspection is not None:
            self.settings.setValue("main/inspection", self.inspection.id)
        if self.case_form.state is not None:
            self.settings.setValue("main/case", self.case_form.state.case.id)
        self.settings.sync()

    # -- inspections ----------------------------------------------------------------------
    def reload_inspections(self, select: str | None = None) -> None:
        inspections = self.workspace.inspections()
        self.inspection_combo.clear()
        for i in inspections:
            self.inspection_combo.addItem(i.title, i.id)
        if not inspections:
            self.inspection_combo.addItem("No inspection yet: choose New inspection…", None)
            self.set_inspection(None)
            return
        index = max(0, self.inspection_combo.findData(select)) if select else 0
        self.inspection_combo.setCurrentIndex(index)
        self.set_inspection(self.inspection_combo.currentData())

    def _inspection_chosen(self, _index: int) -> None:
        self.set_inspection(self.inspection_combo.currentData())

    def set_inspection(self, inspection_id: str | None) -> None:
        self.case_form.clear()
        self.inspection = self.workspace.inspection(inspection_id) if inspection_id else None
        qs = self.workspace.question_set(self.inspection) if self.inspection else None
        has = self.inspection is not None
        for w in (self.add_case_action, self.case_list.add_button):
            w.setEnabled(has)
        self.case_list.set_rows(self.workspace.case_rows(inspection_id) if inspection_id else [])
        self.meetings.set_inspection(inspection_id, qs)
        self.sync.set_inspection(self.inspection)
        self.team_lead.set_inspection(self.inspection)
        self.hub_panel.set_inspection(self.inspection)
        self.reports_panel.set_inspection(self.inspection)
        # An assessor's laptop that opened the team lead's setup pack has no team lead work:
        # a pack written here would be signed by the wrong key.
        leads_here = self.inspection is None or self.inspection.lead_device_id in (
            None,
            self.workspace.device_id,
        )
        self.tabs.setTabVisible(self.tabs.indexOf(self.team_lead), leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.hub_panel), leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.reports_panel), leads_here)
        from probdesk.ui.evidence import applies_to

        # Everyone gathers domain one evidence: shown wherever the set has questions for it.
        self.evidence.set_inspection(self.inspection, qs, lead=leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.evidence), applies_to(qs))
        title = f"probdesk: {self.inspection.title}" if self.inspection else "probdesk"
        self.setWindowTitle(title)

    def _prepare_forms(self, inspection_id: str | None, qs: QuestionSet) -> None:
        if self.inspection is not None and self.inspection.id == inspection_id:
            self.case_form.prepare(qs)

    def new_inspection(self) -> Inspection | None:
        device = self.workspace.device()

        def create(
            region: str,
            pdu: str,
            start: date,
            end: date,
            qs_path: str,
            who: str,
            role: str,
            kind: str = "pdu",
        ) -> Inspection:
            self.workspace.set_identity(who, role)
            if kind == "region":  # a regional sample spans the PDUs listed; named by the region
                pdus = [p.strip() for p in pdu.split(",") if p.strip()]
                return self.workspace.create_inspection(
                    region, region, start, end, qs_path, pdus=pdus, kind="region"
                )
            return self.workspace.create_inspection(region, pdu, start, end, qs_path)

        from probdesk.domain.records import Inspection
        from probdesk.ui.window.new_inspection_dialog import NewInspectionDialog

        dialog = NewInspectionDialog(create, device.assessor, device.role, self)
        if dialog.exec() and isinstance(dialog.result_value, Inspection):
            self.reload_inspections(select=dialog.result_value.id)
            self._refresh_unexported()
            return dialog.result_value
        return None

    # -- cases ----------------------------------------------------------------------------
    def open_case(self, case_id: str) -> None:
        if self.case_form.state is not None and self.case_form.state.case.id == case_id:
            return
        self.case_form.load(case_id)
        self.guidance.show_question(None, None)

    def add_case(self) -> None:
        if self.inspection is None:
            return
        inspection = self.inspection
        qs = self.workspace.question_set(inspection)
        from probdesk.ui.cases.facts_dialog import FactsDialog

        dialog = FactsDialog(
            qs, lambda ref, facts: self.workspace.add_case(inspection.id, ref, facts), parent=self
        )
        if dialog.exec() and dialog.result_value is not None:
            case_id = dialog.result_value.id  # type: ignore[attr-defined]
            self.case_list.set_rows(self.workspace.case_rows(inspection.id), select=case_id)
            self.open_case(case_id)
            self._refresh_unexported()
            self.case_form.next_unanswered()

    def edit_facts(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        state = self.case_form.state
        if state is None:
            return
        case = state.case
        if not case.status.editable:
            QMessageBox.information(
                self,
                "Case facts",
                f"Case {case.reference} is {case.status.label.lower()}; reopen it "
                "(Ctrl+Return) to change its facts.",
            )
            return
        from probdesk.ui.cases.facts_dialog import FactsDialog

        dialog = FactsDialog(
            state.question_set,
            lambda _ref, facts: self.workspace.update_facts(case.id, facts),
            facts=dict(case.facts),
            reference=case.reference,
            new_case=False,
            parent=self,
        )
        if dialog.exec():
            self.case_form.load(case.id)
            self._case_changed(case.id)

    def _case_changed(self, case_id: str) -> None:
        if self.inspection is None:
            return
        # While the store cannot be read the banner says why; the list catches up on recovery.
        with contextlib.suppress(ProbdeskError):
            for row in self.workspace.case_rows(self.inspection.id):
                if row.id == case_id:
                    self.case_list.model.update_row(row)
        self._refresh_unexported()

    def _cases_changed_elsewhere(self, inspection_id: str) -> None:
        if self.inspection is not None and self.inspection.id == inspection_id:
            with contextlib.suppress(ProbdeskError):
                self.case_list.set_rows(self.workspace.case_rows(inspection_id))
        self._refresh_unexported()

    def _recovered(self) -> None:
        self.banner.hide()
        if self.inspection is not None:
            with contextlib.suppress(ProbdeskError):
                for row in self.workspace.case_rows(self.inspection.id):
                    self.case_list.model.update_row(row)
        self._refresh_unexported()

    def show_history(self, case_id: str, question_id: str) -> None:
        state = self.case_form.state
        q = state.question_set.question(question_id) if state else None
        from probdesk.ui.cases.history_dialog import HistoryDialog

        HistoryDialog(q, self.workspace.history(case_id, question_id), self).exec()

    def _show_guidance(self, question: object) -> None:
        state = self.case_form.state
        self.guidance.show_question(state.question_set if state else None, question)  # type: ignore[arg-type]

    def focus_filter(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.case_list.filter_edit.setFocus()
        self.case_list.filter_edit.selectAll()

    def focus_case_list(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.case_list.view.setFocus()

    # -- saving ---------------------------------------------------------------------------
    def _saved(self, at: str) -> None:
        if self.saver.pending:
            self.save_indicator.not_saved(self.saver.pending)
        else:
            self.save_indicator.saved(at)
        self._refresh_unexported()

    def _save_failed(self, message: str) -> None:
        self.banner.show_message(message)
        self.save_indicator.not_saved(self.saver.pending)

    def _refresh_unexported(self) -> None:
        # When the store cannot be read the banner already says why.
        with contextlib.suppress(ProbdeskError):
            self.unexported.set_state(self.workspace.export_state())

    # -- other ----------------------------------------------------------------------------
    def open_question_set(self, path: str | None = None) -> QuestionSet | None:
        from PySide6.QtWidgets import QFileDialog

        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open question set", "", "Question sets (*.yaml *.yml)"
            )
            if not path:
                return None
        from probdesk.domain import loader

        try:
            qs = loader.load(path)
        except ProbdeskError as exc:
            from probdesk.ui.kit.messages import show_problem

            show_problem(self, exc)
            return None
        sets = [s for s in self.browser.sets if s.content_hash != qs.content_hash] + [qs]
        self.browser.set_question_sets(sets)
        self.tabs.setCurrentWidget(self.browser)
        self.statusBar().showMessage(f"Loaded {qs.title} ({qs.version})", 5000)
        return qs

    def show_shortcuts(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self,
            "About probdesk",
            f"probdesk {__version__}\n\nOffline-first recording, merging and reporting for "
            "inspections of probation services' public-protection work.",
        )

    def check_data_later(self, after_ms: int = CHECK_AFTER_MS) -> None:
        """The full integrity check, in the background once start-up is over."""
        QTimer.singleShot(after_ms, self, self.check_data)  # dropped if the window has gone

    def check_data(self) -> bool:
        """Run the full check through the runner (again in 30 s if it is busy); a problem is
        said at once, with the way back (File > Snapshots…)."""
        from PySide6.QtWidgets import QMessageBox

        if not self.views_built or not self.isVisible():  # closed meanwhile: nothing to check
            return False
        if self.runner.busy:
            self.check_data_later(30_000)
            return False
        workspace = self.workspace

        def work(_p: Any, _c: Any) -> tuple[str, list[str]]:
            result = workspace.full_check()
            # Then what was changed outside probdesk (its signed chain heads).
            return result, workspace.verify() if workspace.keys is not None else []

        def done(found: tuple[str, list[str]]) -> None:
            result, changed = found
            self.data_check = result
            self.tamper_findings = changed
            if changed:
                log.error("verify: %s finding(s)", len(changed))
                QMessageBox.warning(
                    self, "probdesk: changes made outside probdesk",
                    "Your database does not match what this laptop signed as it saved:\n\n- "
                    + "\n- ".join(changed) + "\n\nTake a copy of the data folder and tell "
                    "your team lead; `probdesk verify` lists this again.",
                )  # fmt: skip
            if result != "ok":
                log.error("the full integrity check found a problem")
                QMessageBox.warning(
                    self, "probdesk: a problem in your data",
                    f"The full check of your database found a problem ({result}). What you "
                    "see may be incomplete, and saving may fail. Take a copy of the data "
                    "folder, then restore the newest good snapshot (File > Snapshots…) or "
                    "contact the probdesk team.",
                )  # fmt: skip

        return self.runner.run("Checking your data", work, done)

    def show_snapshots(self) -> None:
        """File > Snapshots…; a restore chosen there closes the window, and run_gui puts the
        snapshot back and opens the data again."""
        from probdesk.ui.window.snapshots_dialog import SnapshotsDialog

        if not self.views_built:
            return
        self.snapshots_dialog = SnapshotsDialog(self.workspace, self)
        self.snapshots_dialog.accepted.connect(
            lambda: self.request_restore(self.snapshots_dialog.restore_requested)
        )
        self.snapshots_dialog.open()

    def request_restore(self, snapshot: object) -> bool:
        """Close, so that the snapshot can be put in place of the open database."""
        if snapshot is None:
            return False
        if self.runner.busy:
            self.statusBar().showMessage(f"Please wait: {self.runner.title} is running.", 5000)
            return False
        self.restore_requested = snapshot
        if not self.close():  # unsaved changes the user kept: no restore
            self.restore_requested = None
            return False
        return True

    def take_snapshot(self) -> bool:
        """A snapshot of the database through the runner, if it changed since the newest one
        (False when another operation is running: the next tick takes it)."""
        if not self.views_built or self.runner.busy:
            return False
        workspace = self.workspace
        return self.runner.run(
            "Taking a snapshot",
            lambda _progress, _cancelled: workspace.snapshot_if_changed(),
            lambda path: (
                path is not None
                and self.statusBar().showMessage("Snapshot of your data taken", 5000)
            ),
        )

    def _snapshot_on_close(self) -> None:
        try:
            self.workspace.snapshot_if_changed()
        except (ProbdeskError, OSError) as exc:  # closing goes on: the data itself is saved
            log.warning("no snapshot on close: %s", type(exc).__name__)

    # -- retention ---------------------------------------------------------------------------
    def _purge_hub(self, inspection: Inspection) -> Hub | None:
        """The hub that must hold a team lead's own changes (None on an assessor's laptop)."""
        if inspection.lead_device_id != self.workspace.device_id:
            return None
        if self.hub is None or not self.hub.exists():
            return None
        return self.hub.get()

    def purge_inspection(self) -> bool:
        """File > Purge inspection…: check in the runner what purging the chosen inspection
        removes, or what is still unmerged, and show it; the purge runs once confirmed."""
        fw, inspection = getattr(self, "fieldwork", None), self.inspection
        if not self.views_built or fw is None:
            return False
        if inspection is None:
            self.statusBar().showMessage("Choose the inspection to purge first.", 5000)
            return False
        if self.saver.pending:
            self.statusBar().showMessage("Please wait: a change is still being saved.", 5000)
            return False
        shared = self.sync.shared_folder()
        try:
            hub = self._purge_hub(inspection)
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> PurgePlan:
            from probdesk.services import retention

            progress(0, 0, "Reading the merge receipts")
            return retention.plan_purge(fw, inspection.id, shared=shared, hub=hub)

        return self.runner.run("Checking the inspection before a purge", work, self._show_purge)

    def _show_purge(self, plan: PurgePlan) -> None:
        from probdesk.ui.window.purge_dialog import PurgeDialog

        dialog = PurgeDialog(plan, self)
        dialog.accepted.connect(lambda: self._run_purge(dialog.plan.inspection_id))
        self.purge_dialog = dialog
        dialog.open()

    def _run_purge(self, inspection_id: str) -> bool:
        fw = getattr(self, "fieldwork", None)
        if fw is None:
            return False
        shared = self.sync.shared_folder()
        inspection = self.workspace.inspection(inspection_id)
        try:
            hub = self._purge_hub(inspection)
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False
        self.case_form.clear()  # nothing of it stays on screen either

        def work(progress: Progress, _cancelled: Cancelled) -> PurgeResult:
            from probdesk.services import retention

            return retention.purge(fw, inspection_id, shared=shared, hub=hub, progress=progress)

        def done(result: PurgeResult) -> None:
            from PySide6.QtWidgets import QMessageBox

            from probdesk.services.retention import counts_in_words

            self.settings.remove("main/case")
            self.reload_inspections()
            self._refresh_unexported()
            text = (
                f"The inspection was purged from this laptop: "
                f"{counts_in_words(result.rows)} removed, with {result.files} package file(s) "
                f"and {result.snapshots} snapshot(s); the database was compacted and a new "
                "snapshot taken."
            )
            kept = result.kept_copies
            if kept:
                text += (
                    " Older copies of the database were not removed: "
                    + ", ".join(str(p) for p in kept)
                    + ". Delete them once you are sure they are not needed."
                )
            self.statusBar().showMessage("Inspection purged", 5000)
            box = QMessageBox(QMessageBox.Icon.Information, "Inspection purged", text,
                              QMessageBox.StandardButton.Ok, self)  # fmt: skip
            self.purge_done = box  # not modal-blocking: the window goes on
            box.open()

        def failed(exc: Exception) -> None:
            self.reload_inspections(select=inspection_id)
            self.runner.default_error(exc)

        return self.runner.run(
            "Purging the inspection", work, done, failed,
            changes=Changes.INSPECTIONS | Changes.CASES | Changes.MEETINGS | Changes.EVIDENCE
            | Changes.OUTBOX,
        )  # fmt: skip

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
