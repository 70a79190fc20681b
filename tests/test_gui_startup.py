"""Start-up: the window shows before the data opens, and a failure to open it is clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from probdesk.paths import Paths
from probdesk.ui.app import open_data, show_main_window

pytestmark = pytest.mark.gui


def test_the_window_can_close_before_the_data_is_open(qtbot: QtBot, tmp_path: Path) -> None:
    window = show_main_window(Paths.resolve(tmp_path / "data"))
    qtbot.addWidget(window)
    assert window.isVisible() and not window.views_built
    assert window.statusBar().currentMessage() == "Opening your data…"
    window.close()  # nothing to save, nothing to crash on
    assert not window.isVisible()
    assert (tmp_path / "data" / "config" / "probdesk.ini").exists()


def test_a_data_folder_that_cannot_be_used_is_explained_and_nothing_opens(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    paths = Paths.resolve(tmp_path / "OneDrive - Example" / "probdesk")
    window = show_main_window(paths)
    qtbot.addWidget(window)
    assert open_data(window, paths) is False
    assert shown and "OneDrive" in shown[0]
    assert not window.views_built
    assert not (paths.data / "probdesk.sqlite").exists()
    window.close()


def test_opening_the_data_fills_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "data")
    window = show_main_window(paths)
    qtbot.addWidget(window)
    assert open_data(window, paths) is True
    assert window.views_built and window.tabs.count() >= 4
    assert window.statusBar().currentMessage() == ""
    window.close()
    window.workspace.close()
