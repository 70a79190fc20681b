"""Cancel on a merge's progress dialog (#16, part 7): the merge stops before the next package,
the packages merged stay merged and are shown, the window says so plainly and goes on; a merge
again takes the rest. The demo's three packages, merged by the Hub tab's own button."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import rawdb
from demos import Demos
from guikit import Box, OpenWindow, cells, idle
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from probdesk.services import hub as hubs
from probdesk.ui.kit.messages import OK_STYLE


def hub_packages(lead: Path) -> int:
    hub = rawdb.hub(hubs.default_hub_url(lead))
    try:
        return int(hub.counts()["hub_package"])
    finally:
        hub.close()


def test_a_merge_cancelled_on_its_progress_dialog_keeps_what_it_merged(
    qtbot: QtBot,
    open_window: OpenWindow,
    demos: Demos,
    tmp_path: Path,
    boxes: list[Box],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = demos.copy(4, tmp_path / "demo")
    window = open_window(demo.lead, shared=demo.shared, select=demo.inspection_id, tab="hub_panel")
    panel = window.hub_panel
    # The first package takes its time (held once it is merged, until the test has pressed
    # Cancel): the merge is then between two packages, its safe point.
    first_merged, go_on = threading.Event(), threading.Event()
    merge_one = hubs._merge_one

    def slow_first(ctx: hubs._MergeContext, shared: Path, path: Path) -> hubs.MergeOutcome | None:
        outcome = merge_one(ctx, shared, path)
        if outcome is not None and outcome.state == hubs.MERGED and not first_merged.is_set():
            first_merged.set()
            assert go_on.wait(30)
        return outcome

    monkeypatch.setattr(hubs, "_merge_one", slow_first)

    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(first_merged.is_set, timeout=15_000)
    dialog = window.runner.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)  # once the work outlasts the delay
    assert dialog.heading.text() == "Merging the shared folder into the hub"
    assert dialog.label.text().startswith("Merging file ")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.label.text() == "Cancelling: stopping at the next safe point…"
    assert not dialog.cancel_button.isEnabled() and window.runner.cancel_requested
    go_on.set()
    idle(qtbot, window)  # the merge stops, then the figures are read again

    # Said plainly, not as a problem: what was merged, what was not, what to do.
    message = panel.merge_message
    assert message.isVisible() and message.styleSheet() == OK_STYLE
    text = message.text()
    assert text.startswith("Merge cancelled after ") and " of the 4 files in the shared " in text
    assert "the 1 package merged stays merged" in text and "merge again" in text
    assert panel.tally.text() == "1 merged, 0 already merged, 0 held, 0 rejected, 0 quarantined"
    assert panel.merge_model.rowCount() == 1 and cells(panel.merge_model, 0)[1] == "Merged"
    assert hub_packages(demo.lead) == 1
    assert panel.summary_model.rowCount() > 0  # the figures of what was merged
    assert not dialog.isVisible() and not window.runner.busy
    assert boxes == []  # no box to dismiss

    # The window goes on: a merge again takes the other two.
    assert panel.merge_button.isEnabled()
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tally.text().startswith("2 merged"), timeout=15_000)
    idle(qtbot, window)
    assert panel.tally.text() == "2 merged, 1 already merged, 0 held, 0 rejected, 0 quarantined"
    assert not message.isVisible()
    assert hub_packages(demo.lead) == 3
    assert boxes == []
