"""Answering in the window: one Y/N keypress on a question until the window is free again, with
500 and 5,000 cases on the laptop (#18: each keypress recounted every case of the inspection).

probdesk: the real window (Qt offscreen) on an encrypted store built as benchmarks/case_list.py
builds it (27 answers a case, 3 of them changed), one case open; each sample presses Y or N on
a question of that case (alternating, so every press writes) and waits until the event queue
is empty: the save, the case list's row, the header and the sections. Baseline, in the same
run and on the same disk: Python's sqlite3 inserting and committing one row of the same
shape (synchronous=FULL). value = median ms at 5,000 cases; target (#18): at or under 3 times
the baseline plus 15 ms at every scale, flat from 50 to 5,000 cases.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/answer_keypress.py
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import case_list
from _common import KEY_STORE, median, result
from case_list import build

from probdesk.paths import Paths

SCALES = (50, 500, 5000)
PRESSES = 40
WARMUP = 5
SLACK_MS = 15.0  # the target: 3 x raw sqlite3 + 15 ms


def one_scale(cases: int) -> tuple[float, float]:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from probdesk.services.workspace import Workspace
    from probdesk.ui.app import build_main_window

    app = QApplication.instance() or QApplication([])
    case_list.CASES = cases
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        data = Path(tmp) / "data"
        ws = Workspace.open(Paths.resolve(data))
        try:
            inspection_id, _events = build(ws)
        finally:
            ws.close()
        window = build_main_window(Paths.resolve(data))
        window.resize(1366, 768)
        window.show()
        window.reload_inspections(select=inspection_id)
        rows = window.workspace.case_rows(inspection_id)
        window.case_list.select(rows[len(rows) // 2].id)
        form = window.case_form
        qid = next(q for q, r in form.rows.items() if r.isVisibleTo(window) and r.question.is_key)
        app.processEvents()
        presses: list[float] = []
        raw: list[float] = []
        conn = sqlite3.connect(str(Path(tmp) / "raw.sqlite"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE e (id TEXT PRIMARY KEY, case_id TEXT, question_id TEXT,"
                     " value TEXT, note TEXT, hlc TEXT)")  # fmt: skip
        for i in range(WARMUP + PRESSES):
            form.focus(qid)
            key = Qt.Key.Key_Y if i % 2 == 0 else Qt.Key.Key_N
            start = time.perf_counter()
            QTest.keyClick(form.rows[qid].answer, key)
            QCoreApplication.processEvents()
            took = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)",
                         (str(uuid.uuid4()), "c", qid, '"yes"', "", str(i)))  # fmt: skip
            conn.execute("COMMIT")
            base = (time.perf_counter() - start) * 1000
            if i >= WARMUP:
                presses.append(took)
                raw.append(base)
        conn.close()
        assert window.saver.pending == 0
        window.close()
        app.processEvents()
        window.workspace.close()
    return median(presses), median(raw)


def main() -> int:
    print(f"key store: {KEY_STORE}; {PRESSES} presses a scale")
    figures = {}
    for cases in SCALES:
        took, base = one_scale(cases)
        figures[cases] = (took, base)
        print(f"{cases:,} cases: a keypress until the window is free {took:.1f} ms (median); "
              f"sqlite3 insert+commit {base:.2f} ms; ratio {took / base:.0f}x")  # fmt: skip
    value, base = figures[SCALES[-1]]
    flat = figures[SCALES[-1]][0] / figures[SCALES[0]][0]
    print(f"5,000 against 50 cases: {flat:.2f}x (a flat line is 1x)")
    target = 3 * base + SLACK_MS
    passed = all(took <= 3 * raw + SLACK_MS for took, raw in figures.values())
    result("answer_keypress", value, "ms", base, round(target, 1), passed=passed,
           at_50=round(figures[50][0], 1), at_500=round(figures[500][0], 1),
           flat=round(flat, 2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
