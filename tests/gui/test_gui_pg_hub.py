"""File > Hub… on the team lead's window: the Hub, Reports and Evidence tabs against a
PostgreSQL hub on the throwaway server (tests/support/pg.py), the password asked for and kept
in the key store, the setting kept without it; a hub that cannot be opened is one message box
and the previous hub stays open, nothing changed.

The demo (a team lead, three assessors, their packages in the shared folder) is built once per
session and copied for each test, which merges into its own database on the server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from demos import Demos
from guikit import Box, OpenWindow, done_with, drive, expected_cells, idle, number_cells, unnamed
from pg import PASSWORD_ROLE, PgServer, free_port
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from probdesk.hub.store import Hub, hub_location
from probdesk.services import figures
from probdesk.services import hub as hubs
from probdesk.services.demo import REGION
from probdesk.store import hub_password
from probdesk.ui.main_window import MainWindow
from probdesk.ui.window.hub_choice import saved_hub_url
from probdesk.ui.window.hub_setting_dialog import HubPasswordDialog, HubSettingDialog

TALLY_FIRST = "3 merged, 0 already merged, 0 held, 0 rejected, 0 quarantined"
SECRET = "s3cret-horse-battery"


@dataclass
class Demo:
    root: Path
    inspection_id: str

    @property
    def lead(self) -> Path:
        return self.root / "lead"

    @property
    def shared(self) -> Path:
        return self.root / "shared"


@pytest.fixture(scope="module")
def built_demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("pg-hub") / "demo"
    result = demos.copy(4, out)  # tests/support/demos.py: built once per session
    assert result.meetings  # the Evidence tab has the hub's notes to show
    return Demo(out, result.inspection_id)


@pytest.fixture
def demo(built_demo: Demo, tmp_path: Path) -> Demo:
    root = tmp_path / "demo"
    shutil.copytree(built_demo.root, root)
    return Demo(root, built_demo.inspection_id)


def lead_window(make: OpenWindow, demo: Demo, tab: str = "hub_panel") -> MainWindow:
    return make(demo.lead, shared=demo.shared, select=demo.inspection_id, tab=tab)


def hub_dialog(window: MainWindow) -> HubSettingDialog:
    """File > Hub…, from the menu."""
    window.hub_action.trigger()
    dialog = window.hub_dialog
    assert isinstance(dialog, HubSettingDialog) and dialog.isVisible()
    return dialog


def ok(dialog: HubSettingDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def choose_server(qtbot: QtBot, window: MainWindow, url: str) -> HubSettingDialog:
    """File > Hub…, the server's URL typed, OK; the window's runner done with it."""
    idle(qtbot, window, timeout=30_000)  # a tab reading its hub: OK would say to wait
    dialog = hub_dialog(window)
    dialog.pg_radio.click()
    dialog.url_edit.setText(url)
    ok(dialog)
    idle(qtbot, window, timeout=30_000)
    return dialog


def mnemonics(top: QWidget) -> list[str]:
    """The Alt+letter of every visible button and label under `top`."""
    found = []
    for w in top.findChildren(QWidget):
        if isinstance(w, (QAbstractButton, QLabel)) and w.isVisibleTo(top):
            found += [m.lower() for m in re.findall(r"&([^&\s])", w.text().replace("&&", ""))]
    return found


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


# -- the journey ----------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_tabs_read_a_postgresql_hub_chosen_in_file_hub(
    qtbot: QtBot,
    open_window: OpenWindow,
    demo: Demo,
    pg_server: PgServer,
    boxes: list[Box],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = pg_server.create_database()
    database = url.rsplit("/", 1)[1]
    window = lead_window(open_window, demo)
    assert "Hub:" not in window.windowTitle()

    # -- the dialog: named controls, mnemonics that do not clash, a connection test -----------
    dialog = hub_dialog(window)
    assert dialog.sqlite_radio.isChecked() and not dialog.url_edit.isEnabled()
    dialog.pg_radio.click()
    assert dialog.url_edit.isEnabled() and dialog.url_edit.placeholderText().startswith(
        "postgresql+psycopg://lead@hub.example.org:5432/probdesk"
    )
    assert unnamed(dialog) == []
    keys = mnemonics(dialog)
    assert len(keys) == len(set(keys)) >= 4, keys
    dialog.url_edit.setText(url)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    idle(qtbot, window, timeout=30_000)
    assert "holds no hub yet" in dialog.test_result.text(), dialog.test_result.text()
    assert dialog.isVisible()

    # -- OK: the tabs read the server's hub; the setting keeps its URL --------------------------
    ok(dialog)
    idle(qtbot, window, timeout=30_000)
    assert not dialog.isVisible() and boxes == []
    assert window.hub is not None and window.hub.url == url
    assert f"Hub: PostgreSQL postgres@127.0.0.1/{database}" in window.windowTitle()
    assert saved_hub_url(window.settings, demo.lead) == url
    assert not (demo.lead / "hub.sqlite").exists()  # the folder's own hub: never made

    panel = window.hub_panel
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tally.text() == TALLY_FIRST, timeout=30_000)
    idle(qtbot, window)
    hub = Hub(url)
    try:
        by_pdu = hubs.summarise(hub, demo.inspection_id, "pdu")
        cases = hub.cases_of(demo.inspection_id)
        findings = figures.case_findings(hub, demo.inspection_id)
        notes = hubs.evidence(hub, demo.inspection_id)
    finally:
        hub.close()
    model = panel.summary_model
    assert model.rowCount() == len(by_pdu) > 0
    for i, r in enumerate(by_pdu):
        assert number_cells(model, i) == expected_cells(r)
    assert not (demo.lead / "hub.sqlite").exists()

    # -- Reports: the server's cases, and a PDF built from them ------------------------------
    window.tabs.setCurrentWidget(window.reports_panel)
    reports = window.reports_panel
    qtbot.waitUntil(lambda: reports.choices is not None, timeout=20_000)
    idle(qtbot, window)
    assert reports.proxy.rowCount() == len(cases) == 60
    reports.region_radio.click()
    out = tmp_path / "region.pdf"
    monkeypatch.setattr(reports, "choose_output", lambda _p, _folder: out)
    assert reports.build()
    idle(qtbot, window, timeout=30_000)
    text = text_of(out)
    assert REGION in text and "Regional summary" in text

    # -- Evidence: the server's case findings and notes -------------------------------------
    window.tabs.setCurrentWidget(window.evidence)
    evidence = window.evidence
    evidence.choose_question(notes[0].question_id)
    qtbot.waitUntil(lambda: evidence.findings is not None, timeout=20_000)
    idle(qtbot, window)
    assert findings is not None and evidence.findings is not None
    assert evidence.findings.rows == findings.rows
    assert len(evidence.findings.notes) == len(notes) > 0
    assert boxes == []

    # -- a server nobody answers at: one message box, the hub open stays, nothing changed ------
    before = window.hub
    port = free_port()
    bad = choose_server(qtbot, window, f"postgresql+psycopg://postgres@127.0.0.1:{port}/x")
    assert [b.kind for b in boxes] == ["warning"]
    assert boxes[0].text == (
        f"Cannot reach the hub's PostgreSQL server at 127.0.0.1:{port} (connection refused). "
        "Check the address, or that the server is running."
    )
    assert bad.isVisible()  # to put right, or cancel
    bad.reject()
    assert window.hub is before and saved_hub_url(window.settings, demo.lead) == url
    boxes.clear()
    bad = choose_server(qtbot, window, "postgresql+psycopg://postgres@127.0.0.1:badport/x")
    assert len(boxes) == 1 and "is not a hub location" in boxes[0].text
    bad.reject()
    assert window.hub is before and saved_hub_url(window.settings, demo.lead) == url
    boxes.clear()

    # -- the next start opens the hub the setting names ----------------------------------------
    done_with(window)
    again = lead_window(open_window, demo)
    idle(qtbot, again, timeout=30_000)
    assert again.hub is not None and again.hub.url == url
    assert f"Hub: PostgreSQL postgres@127.0.0.1/{database}" in again.windowTitle()
    assert again.hub_panel.summary_model.rowCount() == len(by_pdu)

    # -- and back to the data folder's own hub --------------------------------------------------
    back = hub_dialog(again)
    assert back.pg_radio.isChecked() and back.url_edit.text() == url
    back.sqlite_radio.click()
    ok(back)
    idle(qtbot, again)
    assert again.hub is not None and again.hub.is_default
    assert saved_hub_url(again.settings, demo.lead) is None
    assert "Hub:" not in again.windowTitle() and boxes == []


def test_a_password_is_asked_for_kept_in_the_key_store_never_in_the_setting(
    qtbot: QtBot,
    open_window: OpenWindow,
    demo: Demo,
    pg_server: PgServer,
    boxes: list[Box],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = pg_server.password_database(SECRET)
    account = hub_location(url).account
    window = lead_window(open_window, demo)
    shown: list[str] = []

    def wrong(d: HubPasswordDialog) -> None:
        assert unnamed(d) == []
        keys = mnemonics(d)
        assert len(keys) == len(set(keys)) >= 2, keys
        assert not d.error.isVisible()  # asked for: nothing wrong yet
        d.password.setText("not-the-password")
        d.remember.setChecked(True)
        d.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def right(d: HubPasswordDialog) -> None:
        shown.append(d.error.text())
        d.password.setText(SECRET)
        d.remember.setChecked(True)
        d.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    driven = drive(monkeypatch, HubPasswordDialog, wrong, right)
    dialog = choose_server(qtbot, window, url)
    qtbot.waitUntil(lambda: not driven.pending and not dialog.isVisible(), timeout=30_000)
    idle(qtbot, window)
    assert boxes == []
    assert len(shown) == 1 and "refused the password for user probdesk_pw" in shown[0]
    assert window.hub is not None and window.hub.url == url and window.hub.password == SECRET
    assert saved_hub_url(window.settings, demo.lead) == url
    try:
        assert hub_password.stored(account) == SECRET
        assert SECRET not in (demo.lead / "config" / "probdesk.ini").read_text()

        # Next start: the key store's password, asked for nothing.
        done_with(window)
        again = lead_window(open_window, demo)
        assert again.hub is not None and again.hub.password == SECRET
        assert again.hub.get().dialect == "postgresql"
        assert f"Hub: PostgreSQL {PASSWORD_ROLE}@127.0.0.1/" in again.windowTitle()

        # A URL with the password in it: taken out, used, and offered to the key store.
        hub_password.forget(account)
        inline = url.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{SECRET}@")
        dialog = choose_server(qtbot, again, inline)
        assert not dialog.isVisible()
        assert [b.title for b in boxes] == ["Keep the hub's password?"]  # answered Yes
        assert SECRET not in boxes[0].text
        assert dialog.url_edit.text() == url
        assert saved_hub_url(again.settings, demo.lead) == url
        assert hub_password.stored(account) == SECRET
        assert SECRET not in (demo.lead / "config" / "probdesk.ini").read_text()
    finally:
        hub_password.forget(account)


def test_a_password_dialog_cancelled_changes_nothing(
    qtbot: QtBot,
    open_window: OpenWindow,
    demo: Demo,
    pg_server: PgServer,
    boxes: list[Box],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = pg_server.password_database(SECRET)
    window = lead_window(open_window, demo)
    before = window.hub

    def cancel(d: HubPasswordDialog) -> None:
        d.reject()

    driven = drive(monkeypatch, HubPasswordDialog, cancel)
    dialog = choose_server(qtbot, window, url)
    qtbot.waitUntil(lambda: not driven.pending, timeout=30_000)
    idle(qtbot, window)
    assert dialog.isVisible() and boxes == []
    assert window.hub is before and before is not None and before.is_default
    assert saved_hub_url(window.settings, demo.lead) is None
    dialog.reject()


# -- without a server -------------------------------------------------------------------------


def test_the_setting_is_per_data_folder_and_holds_no_password(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from probdesk.ui.window.hub_choice import save_hub_url

    settings = QSettings(str(tmp_path / "probdesk.ini"), QSettings.Format.IniFormat)
    one, two = tmp_path / "one", tmp_path / "two"
    save_hub_url(settings, one, "postgresql+psycopg://lead@hub.example.org/probdesk")
    assert saved_hub_url(settings, one) == "postgresql+psycopg://lead@hub.example.org/probdesk"
    assert saved_hub_url(settings, two) is None
    save_hub_url(settings, two, "postgresql+psycopg://other@hub.example.org/national")
    save_hub_url(settings, one, None)
    assert saved_hub_url(settings, one) is None
    assert saved_hub_url(settings, two) == "postgresql+psycopg://other@hub.example.org/national"
    settings.setValue("hub/urls", "not json")
    assert saved_hub_url(settings, two) is None


def test_an_unreachable_setting_at_start_is_said_in_the_tab_not_a_crash(
    qtbot: QtBot, open_window: OpenWindow, demo: Demo, boxes: list[Box]
) -> None:
    """The setting names a server nobody answers at: the window opens, the Hub tab says why
    it cannot read the hub, and no hub file is made in the data folder."""
    from PySide6.QtCore import QSettings

    from probdesk.ui.window.hub_choice import save_hub_url

    port = free_port()
    url = f"postgresql+psycopg://lead@127.0.0.1:{port}/probdesk"
    ini = QSettings(str(demo.lead / "config" / "probdesk.ini"), QSettings.Format.IniFormat)
    save_hub_url(ini, demo.lead, url)
    del ini
    window = lead_window(open_window, demo)
    idle(qtbot, window)
    assert window.hub is not None and window.hub.url == url
    assert "Hub: PostgreSQL lead@127.0.0.1/probdesk" in window.windowTitle()
    message = window.hub_panel.merge_message
    qtbot.waitUntil(lambda: "Cannot reach" in message.text(), timeout=20_000)
    assert f"127.0.0.1:{port} (connection refused)" in message.text()
    assert boxes == [] and not (demo.lead / "hub.sqlite").exists()

    dialog = hub_dialog(window)  # the dialog names every control with or without a server
    assert dialog.pg_radio.isChecked() and dialog.url_edit.text() == url
    assert unnamed(dialog) == []
    keys = mnemonics(dialog)
    assert len(keys) == len(set(keys)) >= 4, keys
    dialog.url_edit.clear()
    ok(dialog)  # no URL: said in the dialog, which stays
    assert dialog.isVisible() and "Give the PostgreSQL server's URL" in dialog.error.text()
    dialog.reject()
    assert window.hub.url == url and boxes == []
