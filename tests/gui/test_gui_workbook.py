"""The Hub tab's "Save workbook for analysts…" on the demo: the Save As dialog (replaced), the
workbook written through the runner, the message and the status bar, Cancel, and the tab's
controls all named."""

from __future__ import annotations

from pathlib import Path

import pytest
from demos import Demos
from guikit import Box, OpenWindow, idle, unnamed
from openpyxl import load_workbook
from pytestqt.qtbot import QtBot

from probdesk.ui.hub.state import FIGURES
from probdesk.ui.main_window import MainWindow

DIALOG = "probdesk.ui.hub.workbook_section.QFileDialog.getSaveFileName"


def merged_window(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, demos: Demos
) -> MainWindow:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id  # tests/support/demos.py
    window = open_window(demo / "lead", shared=demo / "shared", select=inspection_id,
                         tab="hub_panel")  # fmt: skip
    panel = window.hub_panel
    panel.merge_button.click()
    qtbot.waitUntil(lambda: panel.tally.text().startswith("3 merged"), timeout=15_000)
    idle(qtbot, window)  # the figures are read after the merge
    panel.show_page(FIGURES)  # the merge showed the packages; the workbook is with the figures
    return window


def test_save_the_workbook_for_analysts_from_the_hub_tab(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    boxes: list[Box],
    demos: Demos,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = merged_window(qtbot, open_window, tmp_path, demos)
    panel = window.hub_panel
    assert panel.workbook_button.isVisible() and panel.workbook_button.isEnabled()
    assert unnamed(window) == []
    asked: list[str] = []

    def save_as(_parent: object, title: str, proposed: str, _filter: str) -> tuple[str, str]:
        asked.append(proposed)
        return str(tmp_path / "for-analysts"), ""  # no suffix: .xlsx is added

    monkeypatch.setattr(DIALOG, save_as)
    panel.workbook_notes_box.setChecked(True)
    panel.workbook_button.click()
    idle(qtbot, window)
    out = tmp_path / "for-analysts.xlsx"
    assert Path(asked[0]).parent == tmp_path / "demo" / "lead" / "exports"
    assert Path(asked[0]).suffix == ".xlsx"
    assert panel.workbook_message.text() == f"Workbook saved: 60 cases, in {out}"
    assert window.statusBar().currentMessage() == "Workbook saved: 60 cases"
    book = load_workbook(out, read_only=True)
    try:
        assert book.sheetnames == ["Cover", "Cases", "Answers", "Codebook", "Figures"]
        assert len(list(book["Cases"].iter_rows())) == 61
        assert "note" in next(book["Answers"].iter_rows(values_only=True))
    finally:
        book.close()
    assert boxes == []

    # Cancel in the Save As dialog: nothing happens.
    monkeypatch.setattr(DIALOG, lambda *_a: ("", ""))
    panel.workbook_button.click()
    assert not window.runner.busy
    assert panel.workbook_message.text() == f"Workbook saved: 60 cases, in {out}"


def test_cancel_while_the_workbook_is_written_leaves_no_file(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    boxes: list[Box],
    demos: Demos,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = merged_window(qtbot, open_window, tmp_path, demos)
    panel = window.hub_panel
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(DIALOG, lambda *_a: (str(folder / "book.xlsx"), ""))
    panel.workbook_button.click()
    assert window.runner.busy
    window.runner.cancel()  # as the progress dialog's Cancel does
    idle(qtbot, window)
    assert panel.workbook_message.text() == "Cancelled: no workbook was written."
    assert list(folder.iterdir()) == []
    assert boxes == []


def test_a_folder_that_cannot_be_written_says_so_on_the_tab(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    boxes: list[Box],
    demos: Demos,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = merged_window(qtbot, open_window, tmp_path, demos)
    panel = window.hub_panel
    gone = tmp_path / "gone" / "book.xlsx"
    monkeypatch.setattr(DIALOG, lambda *_a: (str(gone), ""))
    panel.workbook_button.click()
    idle(qtbot, window)
    assert panel.workbook_message.text().startswith(f"The folder {gone.parent} does not exist")
    assert not gone.parent.exists()
    assert boxes == []
