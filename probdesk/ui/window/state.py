"""What the parts of the main window share: the state MainWindow holds and its parts read.

MainWindow (probdesk/ui/main_window.py) is put together from parts, mixins that each inherit
WindowState: ViewsPart (the tabs and their layout), InspectionsPart (the inspection chosen,
its cases, the state of saving), DataCarePart (the integrity check, snapshots, the purge) and
HubChoicePart (File > Hub…: which hub the tabs read).
The attributes below are set by MainWindow or by the part named; declaring them here lets
mypy check each part on its own. Nothing here is imported at run time but Qt's main window:
the types are for the checker (the tabs are imported once the data is opened).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QComboBox, QPushButton, QSplitter, QTabWidget

    from probdesk.domain.records import Inspection
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess
    from probdesk.services.workspace import Workspace
    from probdesk.ui.cases import CaseForm, CaseListPanel, GuidancePanel
    from probdesk.ui.evidence import EvidencePanel
    from probdesk.ui.hub import HubPanel
    from probdesk.ui.kit.runner import Runner
    from probdesk.ui.kit.saver import Saver
    from probdesk.ui.kit.status import ErrorBanner, SaveIndicator, UnexportedIndicator
    from probdesk.ui.meetings import MeetingsPanel
    from probdesk.ui.question_sets import QuestionSetBrowser
    from probdesk.ui.reports import ReportsPanel
    from probdesk.ui.sync import SyncPanel
    from probdesk.ui.team_lead import SetupPanel
    from probdesk.ui.window.welcome import WelcomePanel


class WindowState(QMainWindow):
    """The base of MainWindow and of each of its parts: the state they share."""

    # -- set by MainWindow.__init__ and attach ------------------------------------------------
    workspace: Workspace  # set by attach (before it, the window shows no data)
    settings: QSettings
    fieldwork: Fieldwork | None
    hub: HubAccess | None  # the team lead's hub, shared by the tabs that read it
    inspection: Inspection | None  # the one chosen at the top
    saver: Saver
    views_built: bool  # False until the data is opened and the tabs are built
    restore_requested: Path | None  # a snapshot to put back once the window closed
    data_check: str | None  # the full integrity check's result, once run
    tamper_findings: list[str]  # what verify found at that check
    snapshot_timer: QTimer  # every 30 minutes, while there are changes (set by attach)

    # -- the window's own widgets (MainWindow.__init__) ---------------------------------------
    inspection_combo: QComboBox
    new_inspection_button: QPushButton
    banner: ErrorBanner
    tabs: QTabWidget
    save_indicator: SaveIndicator
    unexported: UnexportedIndicator

    # -- the views (ViewsPart._build_views, once the data is opened) --------------------------
    runner: Runner
    case_list: CaseListPanel
    case_form: CaseForm
    guidance: GuidancePanel
    cases_splitter: QSplitter
    meetings: MeetingsPanel
    browser: QuestionSetBrowser
    sync: SyncPanel
    team_lead: SetupPanel
    hub_panel: HubPanel
    reports_panel: ReportsPanel
    evidence: EvidencePanel
    welcome: WelcomePanel  # the first run's tab (ui/window/welcome.py)

    # -- the menus' actions (MainWindow._build_menus) -----------------------------------------
    new_inspection_action: QAction
    open_action: QAction
    snapshots_action: QAction
    purge_action: QAction
    hub_action: QAction  # File > Hub… (HubChoicePart)
    add_case_action: QAction
    facts_action: QAction
    submit_action: QAction
    next_action: QAction
    history_action: QAction

    # -- what one part offers another (defined in the part named) ------------------------------
    def reload_inspections(self, select: str | None = None) -> None:
        """InspectionsPart: fill the inspection chooser and show `select` (or the first)."""
        raise NotImplementedError

    def _refresh_unexported(self) -> None:
        """InspectionsPart: what is not yet exported, in the status bar."""
        raise NotImplementedError

    def _set_hub(self, hub: HubAccess | None) -> None:
        """MainWindow: hand the tabs that read the hub `hub` (the window's one)."""
        raise NotImplementedError

    def show_window_title(self) -> None:
        """HubChoicePart: the inspection chosen, and which hub when not the folder's own."""
        raise NotImplementedError
