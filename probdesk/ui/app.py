"""Composition root for the GUI: application, settings, workspace, fieldwork, the hub, crash
hook, main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from probdesk import __version__, bundled
from probdesk.errors import ProbdeskError
from probdesk.paths import Paths
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
    app.setDesktopFileName("probdesk")  # matches the .desktop entry (Wayland, task bars)
    icon = bundled.root() / "resources" / "icons" / "probdesk.png"
    if icon.is_file():  # a missing icon is named by selfcheck; the window still opens
        app.setWindowIcon(QIcon(str(icon)))
    return app


def build_main_window(paths: Paths, *, allow_unsafe_location: bool = False) -> MainWindow:
    from probdesk.services import questionsets
    from probdesk.services.fieldwork import Fieldwork  # cryptography: loaded with the data
    from probdesk.services.hub_access import HubAccess
    from probdesk.services.workspace import Workspace

    paths.ensure()
    workspace = Workspace.open(paths, allow_unsafe_location=allow_unsafe_location)
    workspace.wait_briefly_on_this_thread()  # a locked file never freezes the window
    return MainWindow(
        workspace,
        questionsets.load_bundled(),
        settings_for(paths),
        fieldwork=Fieldwork(workspace, paths),
        hub=HubAccess(paths.data),
    )


def show_main_window(paths: Paths) -> MainWindow:
    """The window, shown at once and empty; `open_data` fills it in."""
    paths.ensure()
    window = MainWindow(None, [], settings_for(paths))
    window.show()
    return window


def open_data(window: MainWindow, paths: Paths, *, allow_unsafe_location: bool = False) -> bool:
    """Open the store (checks, backup, migrations) into the window; False if it cannot be."""
    from probdesk.services import questionsets
    from probdesk.services.fieldwork import Fieldwork  # cryptography: loaded with the data
    from probdesk.services.hub_access import HubAccess
    from probdesk.services.workspace import Workspace
    from probdesk.store import datakey
    from probdesk.ui.kit.passphrase import ask_passphrase

    def asker(request: datakey.PassphraseRequest) -> str | None:
        return ask_passphrase(window, str(request.folder), request.new, request.problem)

    datakey.set_asker(asker)  # only where the computer has no key store
    try:
        workspace = Workspace.open(paths, allow_unsafe_location=allow_unsafe_location)
    except ProbdeskError as exc:
        # No data without a safe, readable store: say why, change nothing.
        QMessageBox.critical(window, "probdesk cannot open your data", exc.message)
        return False
    workspace.wait_briefly_on_this_thread()  # a locked file never freezes the window
    try:
        fieldwork = Fieldwork(workspace, paths)  # this laptop's keys, made on first start
    except ProbdeskError as exc:
        workspace.close()
        QMessageBox.critical(window, "probdesk cannot open your keys", exc.message)
        return False
    # The data folder's hub, opened on first use and shared by the tabs that read it.
    window.attach(
        workspace, questionsets.load_bundled(), fieldwork=fieldwork, hub=HubAccess(paths.data)
    )
    for notice in workspace.notices:
        QMessageBox.warning(window, "probdesk: about your data", notice)
    window.check_data_later()
    return True


def run_gui(paths: Paths, *, allow_unsafe_location: bool = False) -> int:
    from probdesk import logsetup
    from probdesk.services.workspace import restore_snapshot
    from probdesk.ui import crash

    app = application()
    crashed_before = logsetup.native_crashes(paths)
    # Said once, after the data is open: a native crash of the last run (see logsetup).
    told = [crash.native_notice(crashed_before)] if crashed_before is not None else []
    said: str | None = None
    while True:  # once more after each restore chosen in File > Snapshots…
        window = show_main_window(paths)
        crash.install(paths, window)
        failed: list[bool] = []

        def start(window: MainWindow = window, said: str | None = said,
                  failed: list[bool] = failed) -> None:  # fmt: skip
            if not open_data(window, paths, allow_unsafe_location=allow_unsafe_location):
                failed.append(True)
                window.close()
                return
            while told:
                QMessageBox.warning(window, "probdesk stopped unexpectedly", told.pop())
            if said:
                QMessageBox.information(window, "probdesk: snapshot restored", said)

        QTimer.singleShot(0, start)
        code = app.exec()
        if window.workspace is not None:
            window.workspace.close()
        if failed or window.restore_requested is None:
            return 2 if failed else code
        try:
            said = restore_snapshot(paths, window.restore_requested)
        except ProbdeskError as exc:
            said = exc.message


def selfcheck_window(paths: Paths) -> str:
    app = application()
    window = build_main_window(paths)
    window.show()
    app.processEvents()
    rows = window.browser.model.rowCount()
    has_icon = not window.windowIcon().isNull()
    window.close()
    window.workspace.close()
    if not has_icon:
        raise ProbdeskError("selfcheck: the main window has no application icon")
    return (
        f"main window: built and shown offscreen with its icon, {rows} question sets in the browser"
    )
