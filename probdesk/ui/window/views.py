"""The main window's views: the tabs, built once the data is opened; their layout, kept from
one run to the next; and the Help menu's two boxes."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSize, QTimer
from PySide6.QtGui import QGuiApplication, QShowEvent

from probdesk import __version__
from probdesk.ui.window.state import WindowState

if TYPE_CHECKING:
    from probdesk.domain.questionset import QuestionSet
    from probdesk.services.workspace import Workspace

SHORTCUTS = (
    ("Y / N / A", "answer Yes / No / Not applicable (answer field in focus)"),
    ("Delete", "clear the answer in focus"),
    ("Tab / Shift+Tab", "move between answers and evidence notes"),
    ("Ctrl+J", "next unanswered applicable question"),
    ("Ctrl+H", "history of the question in focus"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo the last answer or note change in the case"),
    ("Ctrl+N", "add a case"),
    ("Ctrl+E", "edit the case facts"),
    ("Ctrl+Return", "submit (or reopen) the case"),
    ("Ctrl+F", "filter the case list"),
    ("Ctrl+L", "go to the case list"),
    ("Ctrl+Shift+N", "new inspection"),
)


# A window manager's borders and title bar, allowed for before the window is shown.
FRAME_ALLOWANCE = QSize(16, 48)
PREFERRED = QSize(1400, 860)


def fitted_size(room: QRect | None, preferred: QSize = PREFERRED) -> QSize:
    """The window's first size: `preferred` where the screen's free area has room for it and
    the frame, else as much as there is."""
    if room is None:
        return preferred
    return QSize(
        min(preferred.width(), room.width() - FRAME_ALLOWANCE.width()),
        min(preferred.height(), room.height() - FRAME_ALLOWANCE.height()),
    )


def cases_sizes(width: int) -> list[int]:
    """The Cases tab's first split (the list, the form, the guidance) for a window this wide:
    the list keeps room for Reference, Status, Progress, To do, PDU and Assessor, the
    guidance gives way first on a narrow (or scaled) screen."""
    guidance = 220 if width >= 1300 else 160
    listed = 490 if width >= 1300 else 440
    return [listed, max(width - listed - guidance, 300), guidance]


def screen_key(room: QRect | None) -> str:
    """Where the window's geometry is kept for a screen of this size: a laptop used with and
    without a large monitor gets each size back ("main/geometry_1366x728")."""
    if room is None:
        return "main/geometry"
    return f"main/geometry_{room.width()}x{room.height()}"


class ViewsPart(WindowState):
    """A part of MainWindow (a mixin): builds the tabs in place of the "Opening your data…"
    one, and saves and restores the splitters, the tab shown and the window's geometry."""

    def _build_views(self, workspace: Workspace, sets: list[QuestionSet]) -> None:
        """The tabs, in their order; MainWindow then adds the menus and wires the signals."""
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
        self.case_list = CaseListPanel()
        self.case_form = CaseForm(workspace, self.saver)
        self.guidance = GuidancePanel()
        self.cases_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.cases_splitter.setObjectName("casesSplitter")
        self.cases_splitter.addWidget(self.case_list)
        self.cases_splitter.addWidget(self.case_form)
        self.cases_splitter.addWidget(self.guidance)
        self.cases_splitter.setStretchFactor(0, 2)
        self.cases_splitter.setStretchFactor(1, 5)
        self.cases_splitter.setStretchFactor(2, 2)
        self.cases_splitter.setSizes(cases_sizes(self.width()))
        self.tabs.addTab(self.cases_splitter, "&Cases")
        self.meetings = MeetingsPanel(workspace, self.saver)
        self.tabs.addTab(self.meetings, "&Meetings and focus groups")
        self.browser = QuestionSetBrowser(sets)
        self.tabs.addTab(self.browser, "&Question sets")
        self.sync = SyncPanel(self.settings, self.runner)
        self.tabs.addTab(self.sync, "S&ync")
        self.team_lead = SetupPanel(self.settings, self.runner)
        self.tabs.addTab(self.team_lead, "&Team lead")
        self.hub_panel = HubPanel(self.settings, self.runner)
        self.tabs.addTab(self.hub_panel, "Hu&b")  # Alt+H is the Help menu
        self.reports_panel = ReportsPanel(self.settings, self.runner)
        self.tabs.addTab(self.reports_panel, "Re&ports")  # Alt+R is the Hub tab's Merge
        # Domain one evidence, beside the meetings it draws on; case findings from the hub.
        # Alt+J: every letter of "Evidence" is taken on some tab already.
        self.evidence = EvidencePanel(workspace, self.saver, self.runner)
        self.tabs.insertTab(
            self.tabs.indexOf(self.meetings) + 1, self.evidence, "Evidence and &judgements"
        )
        from probdesk.ui.window.welcome import WelcomePanel

        self.welcome = WelcomePanel()  # a tab only while the laptop holds no inspection
        self.views_built = True

    # -- layout -----------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        """The window's size and place as it was closed on a screen of this size (before the
        data is opened)."""
        room = self._room()
        for key, restore in (
            (screen_key(room), self.restoreGeometry),
            ("main/state", self.restoreState),
        ):
            value = self.settings.value(key)
            if not isinstance(value, QByteArray) and key != "main/state":
                value = self.settings.value("main/geometry")  # saved before per-screen keys
            if isinstance(value, QByteArray):
                restore(value)
        # Qt's restoreGeometry keeps the window on a screen; fit_to_screen, once it is shown
        # (its frame known), keeps the frame inside the free area too.

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted and self.views_built:  # once: the frame is known only now
            self._fitted = True
            QTimer.singleShot(0, self.fit_to_screen)

    _fitted = False

    def _room(self) -> QRect | None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def fit_to_screen(self) -> None:
        """Shrink and move the window into the screen's free area, frame included (a window
        restored from a larger screen, or one the frame pushed over the edge)."""
        room = self._room()
        if room is None or self.isMaximized() or self.isFullScreen():
            return
        frame = self.frameGeometry()
        extra = QSize(frame.width() - self.width(), frame.height() - self.height())
        if extra.width() <= 0 and extra.height() <= 0:
            extra = FRAME_ALLOWANCE  # not shown yet: the frame is not known
        least = self.minimumSizeHint()  # below it Qt would not keep the size anyway
        width = max(min(self.width(), room.width() - extra.width()), least.width())
        height = max(min(self.height(), room.height() - extra.height()), least.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        if not room.contains(frame):
            x = min(max(frame.x(), room.x()), room.right() + 1 - frame.width())
            y = min(max(frame.y(), room.y()), room.bottom() + 1 - frame.height())
            self.move(max(x, room.x()), max(y, room.y()))

    def _restore_layout(self) -> None:
        """The splitters and the tab shown as they were closed (once the views are built)."""
        for key, restore in (
            ("main/cases_splitter", self.cases_splitter.restoreState),
            ("main/meetings_splitter", self.meetings.restoreState),
            ("main/evidence_splitter", self.evidence.content.restoreState),
            ("main/browser_splitter", self.browser.restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        tab = self.settings.value("main/tab", 0)
        if isinstance(tab, (int, str)):  # the INI file gives a string; anything else: ignored
            with contextlib.suppress(ValueError):
                self.tabs.setCurrentIndex(int(tab))

    def _save_layout(self) -> None:
        geometry = self.saveGeometry()
        self.settings.setValue(screen_key(self._room()), geometry)  # this screen's size
        self.settings.setValue("main/geometry", geometry)  # any other, the first time
        self.settings.setValue("main/state", self.saveState())
        if not self.views_built:
            self.settings.sync()
            return
        self.settings.setValue("main/cases_splitter", self.cases_splitter.saveState())
        self.settings.setValue("main/meetings_splitter", self.meetings.saveState())
        self.settings.setValue("main/evidence_splitter", self.evidence.content.saveState())
        self.settings.setValue("main/browser_splitter", self.browser.saveState())
        tab = self.tabs.currentIndex()
        if self.tabs.indexOf(self.welcome) >= 0:  # the tabs' places without it
            tab = max(0, tab - 1)
        self.settings.setValue("main/tab", tab)
        if self.inspection is not None:
            self.settings.setValue("main/inspection", self.inspection.id)
        if self.case_form.state is not None:
            self.settings.setValue("main/case", self.case_form.state.case.id)
        self.settings.sync()

    # -- Help menu --------------------------------------------------------------------------
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
