"""Run in a process of its own with an offscreen screen of a given size (the test sets
QT_QPA_PLATFORM=offscreen:configfile=...): opens the main window on a data folder as a user
would (its own first size, nothing resized by hand), opens a case, and prints what fits as
JSON. Used by tests/gui/test_gui_fits.py.

    python fit_probe.py DATA_DIR CASE_REFERENCE
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    data, reference = Path(sys.argv[1]), sys.argv[2]
    app = QApplication([])
    from probdesk.paths import Paths
    from probdesk.ui.app import build_main_window

    w = build_main_window(Paths.resolve(data))
    w.show()
    spin(600)
    insp = w.workspace.inspections()[0]
    w.reload_inspections(select=insp.id)
    w.tabs.setCurrentIndex(0)
    case = next(c for c in w.workspace.cases(insp.id) if c.reference == reference)
    w.case_list.select(case.id)
    spin(600)
    screen = w.screen()
    room = screen.availableGeometry()
    frame = w.frameGeometry()
    bar = w.statusBar()
    bar_bottom = bar.mapTo(w, bar.rect().bottomLeft()).y()
    view = w.case_list.view
    header = view.horizontalHeader()
    visible_columns = []
    for visual in range(header.count()):
        logical = header.logicalIndex(visual)
        right = header.sectionViewportPosition(logical) + header.sectionSize(logical)
        if not header.isSectionHidden(logical) and right <= view.viewport().width():
            visible_columns.append(str(view.model().headerData(logical, header.orientation())))
    form = w.case_form
    area = form.questions_area
    top = area.viewport().mapToGlobal(area.viewport().rect().topLeft()).y()
    bottom = top + area.viewport().height()
    whole = 0
    for row in form.rows.values():
        if not row.isVisibleTo(w):
            continue
        y = row.mapToGlobal(row.rect().topLeft()).y()
        if y >= top and y + row.height() <= bottom:
            whole += 1
    shot = os.environ.get("FIT_PROBE_SHOT")
    if shot:
        w.grab().save(shot)
    w.tabs.setCurrentWidget(w.meetings)
    spin(300)
    if shot:
        w.grab().save(shot.replace(".png", "-meetings.png"))
    note = round(w.meetings.editor.note_share(), 2)
    out = {
        "room": [room.x(), room.y(), room.width(), room.height()],
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "inside": room.contains(frame),
        "status_bar_shown": bar.isVisible() and bar_bottom <= w.height(),
        "columns": visible_columns,
        "questions_whole": whole,
        "meeting_note_share": note,
        "dpr": screen.devicePixelRatio(),
    }
    print(json.dumps(out))
    w.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
