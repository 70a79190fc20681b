"""Export in the Sync tab with two inspections on one laptop: the one on screen and every other
inspection with work not yet in a package each get a package, and the message says so
(#15, item 4: an answer given in another inspection is never left behind)."""

from __future__ import annotations

from pathlib import Path

import scenes
from pytestqt.qtbot import QtBot

from probdesk.packages import reader
from probdesk.ui.app import build_main_window
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY


def test_export_now_also_exports_the_other_inspection_with_unexported_work(
    qtbot: QtBot, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    paths, (plymouth, exeter) = scenes.two_inspections(tmp_path, shared)
    window = build_main_window(paths)
    qtbot.addWidget(window)
    window.show()
    try:
        window.sync.settings.setValue(SHARED_FOLDER_KEY, str(shared))
        window.set_inspection(exeter)
        window.tabs.setCurrentWidget(window.sync)
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
        window.sync.export_button.click()
        qtbot.waitUntil(lambda: "exported to" in window.sync.export_message.text(), timeout=10_000)
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
        text = window.sync.export_message.text()
        assert text.startswith("1 other inspection on this laptop had work not yet exported")
        titles = {i: window.workspace.inspection(i).title for i in (plymouth, exeter)}
        # The one on screen first, then the other; each package named with its inspection.
        assert text.index(titles[exeter]) < text.index(titles[plymouth])
        packages = sorted(shared.glob("pd-events-*.pdpkg"))
        assert len(packages) == 2
        held = {reader.peek_manifest(p)["inspection_id"] for p in packages}
        assert held == {plymouth, exeter}
        assert window.fieldwork is not None
        assert window.fieldwork.inspections_to_export() == []
        assert window.unexported.text() != "" and "not exported" not in window.unexported.text()
    finally:
        window.runner.wait()
        window.workspace.close()
