"""Which hub the window's tabs read: File > Hub…, the setting it keeps (the URL only, never a
password, per data folder) and the hub it opens from that setting at start.

The connecting runs through the window's runner (a server can take seconds to answer). A hub
chosen is opened whole before the window lets go of the one it had: when it cannot be, one
message says why, and the previous hub stays open with nothing changed."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from probdesk.errors import ProbdeskError
from probdesk.ui.window.state import WindowState

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from PySide6.QtCore import QSettings

    from probdesk.hub.store import HubLocation
    from probdesk.progress import Cancelled, Progress
    from probdesk.services.hub_access import HubAccess
    from probdesk.ui.window.hub_setting_dialog import HubSettingDialog

log = logging.getLogger("probdesk.window")

HUB_URLS_KEY = "hub/urls"  # {data folder: PostgreSQL URL without password}, as JSON
PASSWORD_HINT = "Give it in File > Hub… (probdesk can keep it in this computer's key store)."


def saved_hub_url(settings: QSettings, data_dir: Path) -> str | None:
    """The PostgreSQL hub chosen for `data_dir` (None: the data folder's own hub)."""
    try:
        urls = json.loads(str(settings.value(HUB_URLS_KEY, "") or "{}"))
    except ValueError:
        return None
    url = urls.get(str(data_dir)) if isinstance(urls, dict) else None
    return str(url) if url else None


def save_hub_url(settings: QSettings, data_dir: Path, url: str | None) -> None:
    """Keep `url` (a URL without its password; None: the data folder's hub) for `data_dir`."""
    try:
        urls = json.loads(str(settings.value(HUB_URLS_KEY, "") or "{}"))
    except ValueError:
        urls = {}
    if not isinstance(urls, dict):
        urls = {}
    if url is None:
        urls.pop(str(data_dir), None)
    else:
        urls[str(data_dir)] = url
    settings.setValue(HUB_URLS_KEY, json.dumps(urls, sort_keys=True))
    settings.sync()


class HubChoicePart(WindowState):
    """A part of MainWindow (a mixin): File > Hub… and the hub kept in the settings."""

    hub_dialog: HubSettingDialog  # File > Hub…, while open

    def hub_from_setting(self, hub: HubAccess | None) -> HubAccess | None:
        """The hub the settings name for `hub`'s data folder, in place of `hub` (the data
        folder's own, as the composition root makes it); its password from the key store.
        Nothing is connected to yet: the tabs open it when they first read it."""
        if hub is None:
            return None
        url = saved_hub_url(self.settings, hub.data_dir)
        if url is None or url == hub.url:
            return hub
        from probdesk.services.hub_access import HubAccess, stored_password

        try:
            password = stored_password(url)
        except ProbdeskError:
            password = None  # a setting that is no URL: the tabs say so when they read it
        hub.close()
        return HubAccess(hub.data_dir, url, password, password_hint=PASSWORD_HINT)

    def show_window_title(self) -> None:
        """The inspection chosen, and the hub when it is not the data folder's own."""
        title = f"probdesk: {self.inspection.title}" if self.inspection else "probdesk"
        if self.hub is not None and not self.hub.is_default:
            title += f" — Hub: {self.hub.describe()}"
        self.setWindowTitle(title)

    # -- File > Hub… --------------------------------------------------------------------------
    def choose_hub(self) -> HubSettingDialog | None:
        """Open the hub setting (not modal-blocking: the window's runner does the work)."""
        from probdesk.ui.window.hub_setting_dialog import HubSettingDialog

        if not self.views_built or self.hub is None:
            self.statusBar().showMessage("There is no hub here: open the data folder.", 5000)
            return None
        current = None if self.hub.is_default else self.hub.url
        dialog = HubSettingDialog(current, str(self.hub.data_dir), self)
        dialog.test_requested.connect(lambda: self.test_hub(dialog))
        dialog.chosen.connect(lambda: self.apply_hub_choice(dialog))
        self.hub_dialog = dialog
        dialog.open()
        return dialog

    def _server(self, dialog: HubSettingDialog) -> HubLocation | None:
        """The server named in the dialog, its password taken out of the URL; None (and one
        message) when it is no PostgreSQL URL."""
        from probdesk.errors import InputError
        from probdesk.services.hub_access import location
        from probdesk.ui.kit.messages import show_problem

        url = dialog.choice() or ""
        try:
            loc = location(url)
            if not loc.postgresql:
                raise InputError(
                    f"{loc.url} is not a PostgreSQL URL: give one like "
                    "postgresql+psycopg://USER@HOST:PORT/DATABASE, or choose this data "
                    "folder's hub."
                )
        except ProbdeskError as exc:
            show_problem(self, exc)
            return None
        if loc.password is not None:  # never kept in the setting: taken out, used, offered
            dialog.set_url(loc.url)
            dialog.password, dialog.remember, dialog.from_url = loc.password, False, True
        return loc

    def _password_for(self, dialog: HubSettingDialog, loc: HubLocation) -> str | None:
        from probdesk.services.hub_access import stored_password

        return dialog.password if dialog.password is not None else stored_password(loc.url)

    def _busy(self, dialog: HubSettingDialog) -> bool:
        if self.runner.busy:
            dialog.show_error(f"Please wait: {self.runner.title} is running. Then try again.")
            return True
        return False

    def test_hub(self, dialog: HubSettingDialog) -> bool:
        """Test connection: connect to the server named and say what is there (nothing is
        made or changed), through the runner."""
        if self._busy(dialog):
            return False
        loc = self._server(dialog)
        if loc is None:
            return False
        password = self._password_for(dialog, loc)

        def work(progress: Progress, _cancelled: Cancelled) -> str:
            from probdesk.hub.store import probe

            progress(0, 0, f"Connecting to {loc.server}")
            return probe(loc.url, password)

        def done(said: str) -> None:
            dialog.set_busy(False)
            dialog.show_result(said)

        def failed(exc: Exception) -> None:
            dialog.set_busy(False)
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
            elif self._ask_password_later(dialog, loc, exc, lambda: self.test_hub(dialog)):
                dialog.show_result("")
            else:
                dialog.show_result(exc.message, problem=True)

        dialog.show_result(f"Connecting to {loc.server}…")
        dialog.set_busy(True)
        return self.runner.run("Testing the hub's connection", work, done, failed)

    def apply_hub_choice(self, dialog: HubSettingDialog) -> bool:
        """OK: open the hub chosen (through the runner), then hand it to the tabs and keep the
        setting; on failure one message, and the previous hub stays as it was."""
        from probdesk.services.hub_access import HubAccess

        hub = self.hub
        if hub is None or self._busy(dialog):
            return False
        url = dialog.choice()
        if url is None:  # this data folder's own hub: opened when a tab first reads it
            if not hub.is_default:
                save_hub_url(self.settings, hub.data_dir, None)
                self.switch_hub(HubAccess(hub.data_dir))
            dialog.accept()
            return True
        loc = self._server(dialog)
        if loc is None:
            return False
        password = self._password_for(dialog, loc)
        access = HubAccess(hub.data_dir, loc.url, password)

        def work(progress: Progress, _cancelled: Cancelled) -> HubAccess:
            progress(0, 0, f"Opening the hub at {loc.server}")
            access.get()  # connects, and makes the hub's tables in a new database
            return access

        def done(opened: HubAccess) -> None:
            dialog.set_busy(False)
            if not dialog.isVisible():  # cancelled meanwhile: nothing changes
                opened.close()
                return
            opened.password_hint = PASSWORD_HINT
            self._keep_password(dialog, loc, password)
            save_hub_url(self.settings, hub.data_dir, loc.url)
            self.switch_hub(opened)
            dialog.accept()

        def failed(exc: Exception) -> None:
            dialog.set_busy(False)
            access.close()
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
            elif not self._ask_password_later(
                dialog, loc, exc, lambda: self.apply_hub_choice(dialog)
            ):
                self.runner.default_error(exc)  # one plain message box

        dialog.set_busy(True)
        return self.runner.run("Opening the hub", work, done, failed)

    def _ask_password_later(
        self,
        dialog: HubSettingDialog,
        loc: HubLocation,
        exc: ProbdeskError,
        again: Callable[[], object],
    ) -> bool:
        """When the server asks for a password or refuses it: ask (once the runner is done
        with this failure), then `again`. False for any other failure."""
        from probdesk.hub.store import PasswordRefused
        from probdesk.services.hub_access import has_key_store, is_password_problem
        from probdesk.ui.window.hub_setting_dialog import ask_hub_password

        if not is_password_problem(exc):
            return False
        problem = exc.message if isinstance(exc, PasswordRefused) else ""

        def ask() -> None:
            if not dialog.isVisible():
                return
            asked = ask_hub_password(self, loc.account, problem, key_store=has_key_store())
            if asked is None:
                return  # cancelled: nothing changed, the dialog stays as it was
            dialog.password, dialog.remember = asked
            dialog.from_url = False
            again()

        QTimer.singleShot(0, ask)
        return True

    def _keep_password(
        self, dialog: HubSettingDialog, loc: HubLocation, password: str | None
    ) -> None:
        """Into the key store, once the server took it: when asked to, or, for a password
        that was in the URL, when the team lead says yes."""
        from PySide6.QtWidgets import QMessageBox

        from probdesk.services.hub_access import has_key_store, remember_password

        if password is None or dialog.password is None:
            return  # none needed, or the key store's own
        keep = dialog.remember
        if dialog.from_url and has_key_store():
            answer = QMessageBox.question(
                self,
                "Keep the hub's password?",
                f"The URL held the password of {loc.user}. probdesk keeps no password in its "
                "settings: keep it in this computer's key store, so that probdesk can open the "
                "hub next time? (No: it is used until probdesk closes.)",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
            keep = answer == QMessageBox.StandardButton.Yes
        if keep and not remember_password(loc.url, password):
            self.statusBar().showMessage(
                "The key store did not keep the hub's password: it is used until probdesk closes.",
                8000,
            )

    def switch_hub(self, hub: HubAccess) -> None:
        """Hand the tabs `hub` in place of the window's (closed), and let them read it."""
        self._set_hub(hub)
        self.statusBar().showMessage(f"Hub: {hub.describe()}", 8000)
        shown = self.tabs.currentWidget()
        if shown is self.reports_panel:
            self.reports_panel.refresh()
        elif shown is self.evidence:
            self.evidence.read_findings()
        # the Hub tab reads its hub again itself when shown (set_hub)
