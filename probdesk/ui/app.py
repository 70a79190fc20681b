"""Composition root for the GUI: application, settings, crash hook, main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from probdesk import __version__
from probdesk.paths import Paths
from probdesk.services import questionsets
from probdesk.ui import crash
from probdesk.ui.main_window import MainWindow


def settings_for(paths: Paths) -> QSettings:
    """Typed settings in an INI file under the config folder (never the registry or pickles)."""
    return QSettings(str(paths.config / "probdesk.ini"), QSettings.Format.IniFormat)


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("probdesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("probdesk")
    return app


def build_main_window(paths: Paths) -> MainWindow:
    return MainWindow(questionsets.load_bundled(), settings_for(paths))


def run_gui(paths: Paths) -> int:
    app = application()
    window = build_main_window(paths)
    crash.install(paths, window)
    window.show()
    return app.exec()


def selfcheck_window(paths: Paths) -> str:
    app = application()
    window = build_main_window(paths.ensure())
    window.show()
    app.processEvents()
    rows = window.browser.model.rowCount()
    window.close()
    return f"main window: built and shown offscreen, {rows} question sets in the browser"
