"""Undo and redo in the case form (#17, part 5): Ctrl+Z takes back the last answer or note
change of the open case as a new answer event, Ctrl+Shift+Z records it again, the history
shows every step, each case keeps its own steps, and a key that cannot act says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from formworld import window_with_cases
from guikit import Box, OpenWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from probdesk.ui.main_window import MainWindow

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(open_window: OpenWindow, tmp_data_dir: Path) -> MainWindow:
    return window_with_cases(open_window, tmp_data_dir, "X100001", "X100002")


def _case(window: MainWindow, ref: str) -> str:
    assert window.inspection is not None
    return next(c.id for c in window.workspace.cases(window.inspection.id) if c.reference == ref)


def _key(qtbot: QtBot, key: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
         ) -> None:  # fmt: skip
    qtbot.keyClick(QApplication.focusWidget(), key, mods)


def _answer(qtbot: QtBot, window: MainWindow, qid: str, key: Qt.Key) -> None:
    window.case_form.focus(qid)
    _key(qtbot, key)


def _stored(window: MainWindow, case_id: str, qid: str) -> object:
    return window.workspace.case_state(case_id).answers.get(qid)


def test_ctrl_z_undoes_answers_as_new_events_and_ctrl_shift_z_redoes(
    qtbot: QtBot, window: MainWindow, boxes: list[Box]
) -> None:
    form = window.case_form
    a = _case(window, "X100001")
    _answer(qtbot, window, "C1", Qt.Key.Key_Y)
    _answer(qtbot, window, "C1", Qt.Key.Key_N)
    _answer(qtbot, window, "C2", Qt.Key.Key_Y)
    assert (_stored(window, a, "C1"), _stored(window, a, "C2")) == ("no", "yes")

    _key(qtbot, Qt.Key.Key_Z, CTRL)  # C2 back to unanswered
    assert _stored(window, a, "C2") is None and form.rows["C2"].answer.value() is None
    assert window.statusBar().currentMessage() == "Undid the change to C2 (now: no answer)."
    _key(qtbot, Qt.Key.Key_Z, CTRL)  # C1 back to Yes
    assert _stored(window, a, "C1") == "yes" and form.rows["C1"].answer.value() == "yes"
    assert form.rows["C1"].answer.hasFocus()
    _key(qtbot, Qt.Key.Key_Z, CTRL | SHIFT)  # C1 No again
    assert _stored(window, a, "C1") == "no"
    assert window.statusBar().currentMessage() == "Redid the change to C1 (now: No)."

    # Each step is an event: the history shows Yes, No, Yes (undo), No (redo).
    history = window.workspace.history(a, "C1")
    assert [h.new_value for h in history] == ["yes", "no", "yes", "no"]
    assert "In progress" in form.progress.text()

    # A new change clears what could be redone.
    _answer(qtbot, window, "C3", Qt.Key.Key_Y)
    assert not form.redo()
    assert window.statusBar().currentMessage() == "Nothing to redo in case X100001."
    assert boxes == []


def test_a_note_change_is_undone_and_each_case_keeps_its_steps(
    qtbot: QtBot, window: MainWindow
) -> None:
    form = window.case_form
    a, b = _case(window, "X100001"), _case(window, "X100002")
    _answer(qtbot, window, "C1", Qt.Key.Key_Y)
    note = form.rows["C1"].note
    note.setPlainText("The plan names the risk to the partner.")
    note.flush()
    assert window.workspace.case_state(a).notes["C1"] == "The plan names the risk to the partner."

    window.case_list.select(b)  # another case: its own (empty) steps
    assert not form.undo()
    assert window.statusBar().currentMessage() == "Nothing to undo in case X100002."
    window.case_list.select(a)
    assert form.undo()  # the note goes, the answer stays
    state = window.workspace.case_state(a)
    assert state.notes.get("C1", "") == "" and state.answers["C1"] == "yes"
    assert note.toPlainText() == ""
    assert form.undo() and window.workspace.case_state(a).answers.get("C1") is None


def test_undo_says_why_on_a_submitted_case(qtbot: QtBot, window: MainWindow) -> None:
    form = window.case_form
    a = _case(window, "X100001")
    for qid in ("C1", "C2", "C3", "C4"):
        _answer(qtbot, window, qid, Qt.Key.Key_Y)
    window.workspace.submit(a)
    form.load(a)
    assert not form.undo()
    assert window.statusBar().currentMessage() == (
        "Nothing to undo: case X100001 is submitted; reopen it to change it."
    )
    assert _stored(window, a, "C4") == "yes"


def test_ctrl_z_in_a_note_being_typed_undoes_the_typing_only(
    qtbot: QtBot, window: MainWindow
) -> None:
    form = window.case_form
    a = _case(window, "X100001")
    _answer(qtbot, window, "C1", Qt.Key.Key_Y)
    note = form.rows["C1"].note
    note.setFocus()
    qtbot.keyClicks(note, "abc")
    _key(qtbot, Qt.Key.Key_Z, CTRL)
    assert note.toPlainText() != "abc"  # the text edit's own undo took it
    assert _stored(window, a, "C1") == "yes"  # the answer was not undone
