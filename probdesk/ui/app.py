"""Composition root for the GUI: application, settings, workspace, crash hook, main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from probdesk import __version__
from probdesk.errors import ProbdeskError
from probdesk.paths import Paths
from probdesk.services import questionsets
from probdesk.services.workspace import Workspace
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


def build_main_window(paths: Paths, *, allow_unsafe_location: bool = False) -> MainWindow:
    paths.ensure()
    workspace = Workspace.open(paths, allow_unsafe_location=allow_unsafe_location)
    return MainWindow(workspace, questionsets.load_bundled(), settings_for(paths))


def run_gui(paths: Paths, *, allow_unsafe_location: bool = False) -> int:
    app = application()
    try:
        window = build_main_window(paths, allow_unsafe_location=allow_unsafe_location)
    except ProbdeskError as exc:
        # No window without a safe, readable store: say why, change nothing.
        QMessageBox.critical(None, "probdesk cannot start", exc.message)
        return exc.exit_code
    crash.install(paths, window)
    window.show()
    for notice in window.workspace.notices:
        QMessageBox.warning(window, "probdesk: database moved aside", notice)
    code = app.exec()
    window.workspace.close()
    return code


def selfcheck_window(paths: Paths) -> str:
    app = application()
    window = build_main_window(paths)
    window.show()
    app.processEvents()
    rows = window.browser.model.rowCount()
    window.close()
    window.workspace.close()
    return f"main window: built and shown offscreen, {rows} question sets in the browser"
