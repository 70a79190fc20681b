"""The main window: menus, status bar and the views; it wires, it does not do the work."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QWidget

from probdesk import __version__
from probdesk.domain import loader
from probdesk.domain.questionset import QuestionSet
from probdesk.ui.questionset_browser import QuestionSetBrowser


class MainWindow(QMainWindow):
    def __init__(
        self, sets: list[QuestionSet], settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("probdesk")
        self.setAccessibleName("probdesk main window")
        self.browser = QuestionSetBrowser(sets)
        self.setCentralWidget(self.browser)
        self._build_menus()
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Status")
        self.statusBar().addPermanentWidget(self.status_label)
        self._set_status(sets)
        self.resize(1200, 780)
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = settings.value("main/splitter")
        if isinstance(state, QByteArray):
            self.browser.restoreState(state)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open question set…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_question_set)
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About probdesk", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def _set_status(self, sets: list[QuestionSet]) -> None:
        n = sum(len(s.questions) for s in sets)
        self.status_label.setText(f"{len(sets)} question sets loaded, {n} case questions")

    def open_question_set(self, path: str | None = None) -> QuestionSet | None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open question set", "", "Question sets (*.yaml *.yml)"
            )
            if not path:
                return None
        qs = loader.load(path)  # a QuestionSetError reaches the user through the crash hook
        sets = [s for s in self.browser.sets if s.content_hash != qs.content_hash] + [qs]
        self.browser.set_question_sets(sets)
        self._set_status(sets)
        self.statusBar().showMessage(f"Loaded {qs.title} ({qs.version})", 5000)
        return qs

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About probdesk",
            f"probdesk {__version__}\n\nOffline-first recording, merging and reporting for "
            "inspections of probation services' public-protection work.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/splitter", self.browser.saveState())
        self.settings.sync()
        super().closeEvent(event)
