"""The window fits the laptop (#17, part 1): on a 1366x768 screen at 100% and at 125% (a
1093x614 logical screen), and a 1920x1080 one at 150% (1280x720), the window opens inside the
screen's free area with its status bar shown, the case list shows Reference, Status,
Progress, PDU and Assessor, the form shows at least 8 whole questions at 1366x768 and the
meeting notes get at least half of the editor's height; the window's geometry is kept per
screen size; End in the case list keeps the reference in view.

Each screen runs tests/support/fit_probe.py in a process of its own, on Qt's offscreen
platform configured with that screen (with window frames), on a copy of the demo's first
assessor's laptop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from demos import Demos
from guikit import OpenWindow
from PySide6.QtCore import QRect, QSettings, QSize, Qt
from pytestqt.qtbot import QtBot
from scenes import TEAM_FACTS

from probdesk.ui.window.views import FRAME_ALLOWANCE, cases_sizes, fitted_size, screen_key

SUPPORT = Path(__file__).resolve().parents[1] / "support"
WANTED_COLUMNS = ["Reference", "Status", "Progress", "PDU", "Assessor"]
SCREENS = {  # name: (logical width, height, device pixel ratio)
    "1366x768 at 100%": (1366, 768, 1.0),
    "1366x768 at 125%": (1093, 614, 1.25),
    "1920x1080 at 150%": (1280, 720, 1.5),
}


@pytest.fixture(scope="module")
def laptop(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's first assessor's laptop and one of its cases in progress."""
    out = tmp_path_factory.mktemp("fits") / "demo"
    built = demos.copy(4, out)
    data = sorted(built.assessors.values())[0]
    from probdesk.paths import Paths
    from probdesk.services.workspace import Workspace

    ws = Workspace.open(Paths.resolve(data))
    try:
        rows = ws.case_rows(built.inspection_id)
    finally:
        ws.close()
    case = next(r for r in rows if r.status.value == "in_progress" and r.applicable >= 20)
    return data, case.reference


def probe(tmp_path: Path, data: Path, reference: str, screen: tuple[int, int, float]) -> Any:
    width, height, dpr = screen
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({
        "synchronousWindowSystemEvents": False, "windowFrameMargins": True,
        "screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                     "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": dpr}],
    }))  # fmt: skip
    copy = tmp_path / "laptop"
    import shutil

    shutil.copytree(data, copy)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "PYTHONPATH": os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(SUPPORT / "fit_probe.py"), str(copy), reference],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_the_window_fits_the_screen(tmp_path: Path, laptop: tuple[Path, str], name: str) -> None:
    got = probe(tmp_path, *laptop, SCREENS[name])
    print(laptop[1], got)
    width, height, _dpr = SCREENS[name]
    assert got["room"] == [0, 0, width, height]
    assert got["inside"], got  # the whole frame inside the screen's free area
    assert got["status_bar_shown"], got
    assert got["columns"][: len(WANTED_COLUMNS)] == WANTED_COLUMNS, got
    assert got["meeting_note_share"] >= 0.5, got
    if name == "1366x768 at 100%":
        assert got["questions_whole"] >= 8, got
    else:
        assert got["questions_whole"] >= 4, got


def test_the_first_size_leaves_room_for_the_frame() -> None:
    assert fitted_size(QRect(0, 0, 1920, 1040)) == QSize(1400, 860)
    small = fitted_size(QRect(0, 0, 1366, 728))
    assert small.width() + FRAME_ALLOWANCE.width() <= 1366
    assert small.height() + FRAME_ALLOWANCE.height() <= 728
    assert screen_key(QRect(0, 0, 1366, 728)) == "main/geometry_1366x728"
    assert screen_key(None) == "main/geometry"
    listed, form, guidance = cases_sizes(1350)
    assert (listed, guidance) == (490, 220) and form == 640
    assert cases_sizes(1080)[2] == 160  # the guidance gives way first


def test_the_geometry_is_kept_per_screen_size(
    qtbot: QtBot, open_window: OpenWindow, tmp_data_dir: Path
) -> None:
    w = open_window(tmp_data_dir)
    room = w.screen().availableGeometry()
    frame = w.frameGeometry().width() - w.width()
    least = w.minimumSizeHint().width()
    wanted = QSize(max(min(least + 10, room.width() - frame), least), 480)
    w.resize(wanted)
    w.close()
    settings = QSettings(str(tmp_data_dir / "config" / "probdesk.ini"),
                         QSettings.Format.IniFormat)  # fmt: skip
    assert settings.value(screen_key(room)) is not None
    again = open_window(tmp_data_dir)
    assert again.size() == wanted  # (whether it fits a screen: test_the_window_fits_the_screen)


def test_end_in_the_case_list_keeps_the_reference_in_view(
    qtbot: QtBot, open_window: OpenWindow, tmp_data_dir: Path
) -> None:
    from datetime import date

    from probdesk import bundled

    w = open_window(tmp_data_dir, active=True, size=(900, 600))
    ws = w.workspace
    ws.set_identity("AB", "inspector")
    qs_path = next(p for p in bundled.bundled_question_sets() if p.name == "pdu-core.yaml")
    insp = ws.create_inspection("South West", "Plymouth", date(2026, 1, 5), date(2026, 1, 9),
                                qs_path)  # fmt: skip
    for n in range(30):
        ws.add_case(insp.id, f"X{700100 + n}", TEAM_FACTS)
    w.reload_inspections(select=insp.id)
    view = w.case_list.view
    w.cases_splitter.setSizes([180, 520, 200])  # too narrow for every column
    view.setFocus()
    view.setCurrentIndex(view.model().index(3, 0))
    for key, mods in ((Qt.Key.Key_End, Qt.KeyboardModifier.NoModifier),
                      (Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier),
                      (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier)):  # fmt: skip
        qtbot.keyClick(view, key, mods)
        assert view.horizontalScrollBar().value() == 0, key
    assert view.currentIndex().row() == view.model().rowCount() - 1  # Ctrl+End: the last case
