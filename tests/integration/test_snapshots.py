"""Snapshots of the local database and restoring one (issue "Case data protected at rest",
item 3): each checked before it is kept, rotated, listed with what it holds; a restore checks
the snapshot first and keeps the file it replaces."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import rawdb
from cli_support import run

from probdesk.errors import InputError
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
from probdesk.store import datakey, snapshots
from probdesk.store.database import DB_NAME

ROOT = Path(__file__).resolve().parents[2]
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"
FACTS = {
    "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "high",
    "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
    "practitioner_grade": "po",
}  # fmt: skip


def answers_in(db: Path) -> int:
    conn = rawdb.connect(db, read_only=True)
    try:
        return int(conn.execute("SELECT count(*) FROM answer_event").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.open(Paths.resolve(tmp_path / "data").ensure())
    insp = w.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    case = w.add_case(insp.id, "CRN-0001", FACTS)
    w.record_answer(case.id, "C1", "yes", note="seen in the record")
    w.record_answer(case.id, "C2", "no")
    return w


def test_a_snapshot_is_a_checked_owner_only_copy_listed_with_what_it_holds(
    ws: Workspace,
) -> None:
    data = ws.store.path.parent
    assert snapshots.changed_since_newest(ws.store)  # none yet
    taken = snapshots.take(ws.store)
    try:
        assert taken.parent == data / "snapshots"
        assert snapshots.problem_of(taken, ws.store.key) is None
        if os.name == "posix":
            assert stat.S_IMODE(taken.stat().st_mode) == 0o600
            assert stat.S_IMODE(taken.parent.stat().st_mode) == 0o700
        [listed] = snapshots.listed(data, datakey.unlock(data))
        assert (listed.path, listed.cases, listed.answers) == (taken, 1, 2)
        assert not snapshots.changed_since_newest(ws.store)
        case = ws.cases(ws.inspections()[0].id)[0]
        os.utime(taken, (taken.stat().st_mtime - 5,) * 2)  # the write comes after it
        ws.record_answer(case.id, "C3", "yes")
        assert snapshots.changed_since_newest(ws.store)
        assert not list(taken.parent.glob(".*"))  # no part-written file left
    finally:
        ws.close()


def test_only_the_newest_snapshots_are_kept(ws: Workspace) -> None:
    start = datetime(2026, 11, 2, 9, 0)
    try:
        made = [snapshots.take(ws.store, start + timedelta(minutes=30 * n)) for n in range(9)]
        again = snapshots.take(ws.store, start + timedelta(minutes=30 * 8))  # the same second
    finally:
        ws.close()
    kept = [
        s.path for s in snapshots.listed(ws.store.path.parent, datakey.unlock(ws.store.path.parent))
    ]
    assert len(kept) == snapshots.KEEP
    assert kept[0] == again and again.name.endswith("-2.sqlite")
    assert kept[1:] == list(reversed(made))[: snapshots.KEEP - 1]


def test_restore_puts_the_snapshot_back_and_keeps_what_it_replaced(ws: Workspace) -> None:
    data = ws.store.path.parent
    taken = snapshots.take(ws.store)
    case = ws.cases(ws.inspections()[0].id)[0]
    for q in ("C3", "C4"):
        ws.record_answer(case.id, q, "yes")  # after the snapshot
    ws.close()
    done = snapshots.restore(data, taken, datakey.unlock(data))
    assert done.replaced is not None and answers_in(done.replaced) == 4  # nothing lost
    again = Workspace.open(Paths.resolve(data))
    try:
        assert again.case_state(case.id).answers == {"C1": "yes", "C2": "no"}
        assert again.notices == []
    finally:
        again.close()
    assert taken.exists()  # the snapshot stays too


def test_a_damaged_snapshot_is_refused_and_nothing_changes(ws: Workspace, tmp_path: Path) -> None:
    data = ws.store.path.parent
    ws.close()
    before = (data / DB_NAME).read_bytes()
    bad = tmp_path / "probdesk-20261102-090000.sqlite"
    bad.write_bytes(bytes((i * 131 + 7) % 256 for i in range(8192)))
    refusal = r"cannot be restored: it is damaged, or is not this data folder"
    with pytest.raises(InputError, match=refusal) as refused:
        snapshots.restore(data, bad, datakey.unlock(data))
    assert str(bad) in str(refused.value) and "Nothing was changed" in str(refused.value)
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        snapshots.restore(data, empty, datakey.unlock(data))
    with pytest.raises(InputError, match="there is no such file"):
        snapshots.restore(data, tmp_path / "missing.sqlite", datakey.unlock(data))
    assert (data / DB_NAME).read_bytes() == before
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(DB_NAME)) == [DB_NAME]


def test_the_command_line_takes_lists_and_restores(ws: Workspace) -> None:
    data = ws.store.path.parent
    ws.close()
    done = run("--data-dir", data, "snapshots")
    assert done.returncode == 0 and "no snapshots yet" in done.stdout
    done = run("--data-dir", data, "snapshots", "--take")
    assert done.returncode == 0, done.stderr
    assert "snapshot taken:" in done.stdout and "    1 cases        2 answers" in done.stdout
    done = run("--data-dir", data, "restore", "7")
    assert done.returncode == 2 and "There is no snapshot 7" in done.stderr
    done = run("--data-dir", data, "restore", "1")
    assert done.returncode == 0, done.stderr
    assert "restored " in done.stdout and "is kept as " in done.stdout
    assert len(list(data.glob(f"{DB_NAME}.replaced-*"))) == 1


def test_the_window_takes_snapshots_while_there_are_changes_and_when_it_closes(
    ws: Workspace, qtbot: object
) -> None:
    from probdesk.ui.app import build_main_window
    from probdesk.ui.main_window import SNAPSHOT_EVERY_MS

    data = ws.store.path.parent
    case = ws.cases(ws.inspections()[0].id)[0]
    ws.close()
    window = build_main_window(Paths.resolve(data))
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    qtbot.waitUntil(lambda: window.views_built, timeout=10_000)  # type: ignore[attr-defined]
    assert window.snapshot_timer.isActive()
    assert window.snapshot_timer.interval() == SNAPSHOT_EVERY_MS == 30 * 60 * 1000
    assert window.take_snapshot()
    assert window.runner.wait()
    [first] = snapshots.listed(data, datakey.unlock(data))
    assert first.answers == 2
    assert window.take_snapshot() and window.runner.wait()  # nothing changed: none taken
    assert len(snapshots.listed(data, datakey.unlock(data))) == 1
    window.show_snapshots()  # File > Snapshots…
    dialog = window.snapshots_dialog
    assert dialog.model.rowCount() == 1 and dialog.restore_button.isEnabled()
    assert dialog.model.data(dialog.model.index(0, 2)) == "2"  # answers
    dialog.take_button.click()
    assert dialog.model.rowCount() == 2 and dialog.status.text() == "Snapshot taken."
    dialog.reject()
    first = snapshots.listed(data, datakey.unlock(data))[0]
    os.utime(first.path, (first.path.stat().st_mtime - 5,) * 2)
    window.workspace.record_answer(case.id, "C3", "yes")
    window.close()  # closing takes one: the change is in it
    newest = snapshots.listed(data, datakey.unlock(data))
    assert len(newest) == 3 and newest[0].answers == 3


RESTORE_IN_THE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from probdesk.paths import Paths
from probdesk.ui import app

paths = Paths.resolve(sys.argv[1])
windows = []
opened = app.open_data
QMessageBox.information = staticmethod(lambda _w, title, text: print("SAID:", text))


def open_data(window, paths, **kw):
    ok = opened(window, paths, **kw)
    windows.append(window)
    case = window.workspace.cases(window.workspace.inspections()[0].id)[0]
    print("ANSWERS:", len(window.workspace.case_state(case.id).answers))
    if len(windows) == 1:  # File > Snapshots..., the oldest chosen and confirmed
        window.show_snapshots()
        dialog = window.snapshots_dialog
        dialog.view.selectRow(dialog.model.rowCount() - 1)
        QTimer.singleShot(50, lambda: dialog.ask_restore(confirm=False))
    else:
        QTimer.singleShot(50, window.close)
    return ok


app.open_data = open_data
sys.exit(app.run_gui(paths))
"""


def test_restoring_from_the_window_closes_puts_it_back_and_opens_it_again(
    ws: Workspace,
) -> None:
    data = ws.store.path.parent
    case = ws.cases(ws.inspections()[0].id)[0]
    snapshots.take(ws.store, datetime(2026, 11, 2, 9, 0))
    ws.record_answer(case.id, "C3", "yes")
    ws.close()
    done = subprocess.run(
        [sys.executable, "-c", RESTORE_IN_THE_WINDOW, str(data)], capture_output=True,
        text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    counts = [line for line in done.stdout.splitlines() if line.startswith("ANSWERS:")]
    assert counts == ["ANSWERS: 3", "ANSWERS: 2"]  # then: as it was at the snapshot
    said = [line for line in done.stdout.splitlines() if line.startswith("SAID:")]
    assert said and "restored from the snapshot probdesk-20261102-090000.sqlite" in said[0]
    assert "is kept as" in said[0]
    assert len(list(data.glob(f"{DB_NAME}.replaced-*"))) == 1
