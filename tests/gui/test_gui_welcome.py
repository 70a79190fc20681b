"""A first run that guides (#17, part 2): a laptop with no inspection opens on the Welcome tab,
which asks who you are today; each answer leads to its first step (the Sync tab for an
assessor, New inspection… then the Team lead tab for a team lead, the demo in a window and a
folder of its own for someone looking around); the tab goes once there is an inspection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from altkeys import clashes, keys_shown, window_keys
from guikit import OpenWindow, idle, unnamed
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.records import Inspection
from probdesk.ui.main_window import MainWindow
from probdesk.ui.window.welcome import DEMO_FOLDER

PDU_CORE = next(p for p in bundled.bundled_question_sets() if p.name == "pdu-core.yaml")


@pytest.fixture
def window(open_window: OpenWindow, tmp_path: Path) -> MainWindow:
    w = open_window(tmp_path / "laptop", active=True, size=(1366, 768))
    return w


def test_a_fresh_laptop_opens_on_welcome_with_three_ways_in(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.tabs.currentWidget() is window.welcome
    assert window.tabs.tabText(0) == "Welcome"
    welcome = window.welcome
    for button in (welcome.join_button, welcome.lead_button, welcome.demo_button):
        assert button.isVisibleTo(window) and button.isEnabled()
    assert "Welcome tab" in window.inspection_combo.currentText()
    assert unnamed(welcome) == []
    assert clashes(window_keys(window), keys_shown(welcome)) == {}

    welcome.join_button.click()
    assert window.tabs.currentWidget() is window.sync
    assert QApplication.focusWidget() is window.sync.folder_edit
    assert "shared folder" in window.statusBar().currentMessage()


def test_a_team_lead_sets_one_up_and_the_welcome_tab_goes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def create() -> Inspection:  # what the dialog does, through the service
        ws = window.workspace
        ws.set_identity("TL", "team_lead")
        made = ws.create_inspection("South West", "Plymouth", date(2026, 1, 5),
                                    date(2026, 1, 9), PDU_CORE)  # fmt: skip
        window.reload_inspections(select=made.id)
        return made

    monkeypatch.setattr(window, "new_inspection", create)
    window.welcome.lead_button.click()
    assert window.tabs.currentWidget() is window.team_lead
    assert window.tabs.indexOf(window.welcome) < 0  # an inspection now: no Welcome tab
    assert window.inspection is not None
    assert window.inspection_combo.currentText() == window.inspection.title


def test_looking_around_opens_the_demo_in_its_own_window(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.welcome.demo_button.isEnabled()
    window.welcome.demo_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)
    idle(qtbot, window)
    demo = tmp_path / DEMO_FOLDER
    assert (demo / "lead").is_dir() and (demo / "shared").is_dir()
    [other] = window.other_windows
    assert isinstance(other, MainWindow) and other.isVisible()
    qtbot.addWidget(other)
    idle(qtbot, other)
    assert other.inspection is not None  # the demo's inspection, as its team lead sees it
    assert "demo" in other.windowTitle()
    assert "open in its own window" in window.welcome.message.text()
    # This laptop's own data is untouched: still no inspection, still on Welcome.
    assert window.workspace.inspections() == []
    assert window.tabs.indexOf(window.welcome) == 0
    other.close()
    # Asked again, the demo built before opens at once.
    window.welcome.demo_button.click()
    assert not window.runner.busy
    assert "built before" in window.welcome.message.text()
    for w in window.other_windows:
        qtbot.addWidget(w)
        w.close()
