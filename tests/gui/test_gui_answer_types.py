"""Every answer type through the real case form, as an inspector gives it: click or keys.

A workspace opens the fixture set with one question of each type (fixtures/question_sets/
all-answer-types.yaml); each question is answered through its widget, the answer is read back
from the store, changed, and cleared. Reopening the case shows every stored answer again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from guikit import Box
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from probdesk.domain import loader
from probdesk.domain.answer_types import ANSWER_TYPES
from probdesk.domain.answers import coerce_answer
from probdesk.paths import Paths
from probdesk.ui.app import build_main_window
from probdesk.ui.cases import CaseForm, question_widgets
from probdesk.ui.cases.question_widgets import (
    ChoiceWidget,
    DateWidget,
    MultiChoiceWidget,
    NumberWidget,
    TextWidget,
    YesNoWidget,
)
from probdesk.ui.main_window import MainWindow

ALL_TYPES = Path(__file__).resolve().parents[1] / "fixtures/question_sets/all-answer-types.yaml"
NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: QtBot, tmp_data_dir: Path) -> Iterator[MainWindow]:
    w = build_main_window(Paths.resolve(tmp_data_dir))
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    yield w
    w.workspace.close()


def open_case(window: MainWindow) -> str:
    """An inspection on the fixture set and one case, open in the form."""
    ws = window.workspace
    ws.set_identity("AB", "inspector")
    inspection = ws.create_inspection(
        "South West", "Plymouth", date(2025, 10, 6), date(2025, 10, 17), ALL_TYPES
    )
    window.reload_inspections(select=inspection.id)
    case = ws.add_case(inspection.id, "X200001", {"contact_suspended": "no"})
    window.case_list.set_rows(ws.case_rows(inspection.id))
    window.case_list.select(case.id)
    assert window.case_form.state is not None
    assert window.case_form.state.case.id == case.id
    return case.id


def stored(window: MainWindow, case_id: str, qid: str) -> object:
    """The answer as the store holds it (None: no answer)."""
    return window.workspace.case_state(case_id).answers.get(qid)


def focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None, "nothing has keyboard focus"
    return w


def focus(qtbot: QtBot, form: CaseForm, qid: str) -> QWidget:
    form.focus(qid)
    target = form.rows[qid].answer.focus_target()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target)
    return target


def shown(form: CaseForm, qid: str) -> bool:
    return not form.rows[qid].isHidden()


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """A click on the box itself (a check box's row is wider than its box and label)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def leave(qtbot: QtBot) -> None:
    """Tab out of the field in focus, as an inspector moves on."""
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)


def test_the_form_has_a_widget_of_each_type(qtbot: QtBot, window: MainWindow) -> None:
    open_case(window)
    form = window.case_form
    qs = form.state.question_set  # type: ignore[union-attr]
    assert {q.answer for q in qs.questions} == set(ANSWER_TYPES), "the fixture lacks a type"
    kinds = {qid: type(row.answer) for qid, row in form.rows.items()}
    assert kinds == {
        "T1": YesNoWidget,
        "T2": YesNoWidget,
        "T3": ChoiceWidget,
        "T4": MultiChoiceWidget,
        "T5": NumberWidget,
        "T6": DateWidget,
        "T7": TextWidget,
        "T8": YesNoWidget,
        "T9": YesNoWidget,
    }
    for qid in ("T1", "T2", "T3", "T4", "T5", "T6", "T7"):
        assert shown(form, qid), qid
    assert not shown(form, "T8") and not shown(form, "T9")  # conditions not yet met


def test_a_type_without_a_widget_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    qs = loader.load(ALL_TYPES)
    without = {t: w for t, w in question_widgets.WIDGETS.items() if t != "date"}
    monkeypatch.setattr(question_widgets, "WIDGETS", without)
    with pytest.raises(KeyError, match="answer type 'date' has no widget in probdesk/ui/"):
        question_widgets.answer_widget(qs.question("T6"))


def test_yes_no_by_click_and_keys(qtbot: QtBot, window: MainWindow) -> None:
    case_id = open_case(window)
    form = window.case_form
    t1 = form.rows["T1"].answer
    assert isinstance(t1, YesNoWidget)
    assert set(t1.buttons) == {"yes", "no"}  # no Not applicable on a yes / no question

    qtbot.mouseClick(t1.buttons["yes"], Qt.MouseButton.LeftButton)
    assert stored(window, case_id, "T1") == "yes"
    assert t1.buttons["yes"].isChecked()
    assert focused() is t1  # a click leaves the keys working
    qtbot.keyClick(t1, Qt.Key.Key_N)
    assert stored(window, case_id, "T1") == "no"
    qtbot.keyClick(t1, Qt.Key.Key_A)  # not an answer of this type: ignored
    assert stored(window, case_id, "T1") == "no"
    qtbot.mouseClick(t1.buttons["no"], Qt.MouseButton.LeftButton)  # the chosen one again
    assert stored(window, case_id, "T1") is None
    assert not any(b.isChecked() for b in t1.buttons.values())

    t2 = form.rows["T2"].answer
    assert isinstance(t2, YesNoWidget)
    assert [b.text() for b in t2.buttons.values()] == ["Yes", "No", "Not applicable"]
    focus(qtbot, form, "T2")
    qtbot.keyClick(focused(), Qt.Key.Key_A)
    assert stored(window, case_id, "T2") == "na"
    assert t2.buttons["na"].isChecked()
    qtbot.keyClick(focused(), Qt.Key.Key_Y)
    assert stored(window, case_id, "T2") == "yes"
    qtbot.keyClick(focused(), Qt.Key.Key_Delete)
    assert stored(window, case_id, "T2") is None
    qtbot.mouseClick(t2.buttons["na"], Qt.MouseButton.LeftButton)
    assert stored(window, case_id, "T2") == "na"
    qtbot.keyClick(focused(), Qt.Key.Key_Backspace)
    assert stored(window, case_id, "T2") is None
    assert window.saver.pending == 0


def test_one_choice_by_keys(qtbot: QtBot, window: MainWindow) -> None:
    case_id = open_case(window)
    form = window.case_form
    combo = focus(qtbot, form, "T3")
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "— not answered —",
        "Low",
        "Medium",
        "High",
    ]
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert stored(window, case_id, "T3") == "low"
    assert not shown(form, "T8")
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert stored(window, case_id, "T3") == "medium"
    assert shown(form, "T8")  # applies when T3 is medium or high
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert stored(window, case_id, "T3") == "high"
    qtbot.keyClick(combo, Qt.Key.Key_Home)  # back to "not answered": cleared
    assert stored(window, case_id, "T3") is None
    assert combo.currentText() == "— not answered —"
    assert not shown(form, "T8")


def test_several_choices_by_click_and_space(qtbot: QtBot, window: MainWindow) -> None:
    case_id = open_case(window)
    form = window.case_form
    widget = form.rows["T4"].answer
    assert isinstance(widget, MultiChoiceWidget)
    boxes = widget.boxes
    assert [b.text() for b in boxes.values()] == ["OASys", "Case record", "Police response"]

    tick(qtbot, boxes["police"])
    assert tuple(stored(window, case_id, "T4")) == ("police",)  # type: ignore[arg-type]
    first = focus(qtbot, form, "T4")
    assert first is boxes["oasys"]
    qtbot.keyClick(first, Qt.Key.Key_Space)
    # Kept in the options' order, whatever order they were ticked in.
    assert tuple(stored(window, case_id, "T4")) == ("oasys", "police")  # type: ignore[arg-type]
    tick(qtbot, boxes["oasys"])
    tick(qtbot, boxes["police"])
    assert stored(window, case_id, "T4") is None  # nothing ticked: cleared
    assert window.saver.pending == 0


def test_a_number_by_keys(qtbot: QtBot, window: MainWindow, boxes: list[Box]) -> None:
    case_id = open_case(window)
    form = window.case_form
    edit = focus(qtbot, form, "T5")
    assert isinstance(edit, QLineEdit)
    qtbot.keyClicks(edit, "12")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert stored(window, case_id, "T5") == 12
    edit.selectAll()
    qtbot.keyClicks(edit, "2.5")
    leave(qtbot)
    assert stored(window, case_id, "T5") == 2.5
    qtbot.keyClicks(edit, "x")  # not a number: the field does not take it
    assert edit.text() == "2.5"
    focus(qtbot, form, "T5")
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert stored(window, case_id, "T5") is None
    assert boxes == []


def test_a_date_by_keys(qtbot: QtBot, window: MainWindow, boxes: list[Box]) -> None:
    case_id = open_case(window)
    form = window.case_form
    edit = focus(qtbot, form, "T6")
    assert isinstance(edit, QLineEdit)
    qtbot.keyClicks(edit, "2025-10-08")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert stored(window, case_id, "T6") == "2025-10-08"

    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(edit, "2025-13-40")  # the shape of a date, but no such day
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert [str(b) for b in boxes] == ["probdesk: T6: '2025-13-40' is not a date (YYYY-MM-DD)"]
    assert stored(window, case_id, "T6") == "2025-10-08"  # the stored answer stays
    assert window.saver.pending == 0  # refused outright: nothing waits to be retried

    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    leave(qtbot)
    assert stored(window, case_id, "T6") is None


def test_free_text_by_keys(qtbot: QtBot, window: MainWindow) -> None:
    case_id = open_case(window)
    form = window.case_form
    edit = focus(qtbot, form, "T7")
    qtbot.keyClicks(edit, "Seen twice in October")
    leave(qtbot)  # leaving the field saves at once; a pause in typing would too
    assert stored(window, case_id, "T7") == "Seen twice in October"
    assert focused() is form.rows["T7"].note  # Tab moves on to the notes

    focus(qtbot, form, "T7")
    qtbot.keyClick(edit, Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(edit, "; once by phone")
    qtbot.waitUntil(lambda: stored(window, case_id, "T7") == "Seen twice in October; once by phone")

    focus(qtbot, form, "T7")
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    leave(qtbot)
    assert stored(window, case_id, "T7") is None


def test_every_answer_comes_back_when_the_case_is_reopened(
    qtbot: QtBot, window: MainWindow
) -> None:
    case_id = open_case(window)
    form = window.case_form
    rows = form.rows
    qtbot.mouseClick(rows["T1"].answer.buttons["yes"], Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    focus(qtbot, form, "T2")
    qtbot.keyClick(focused(), Qt.Key.Key_A)
    combo = focus(qtbot, form, "T3")
    qtbot.keyClick(combo, Qt.Key.Key_End)
    for value in ("ndelius", "police"):
        box: QCheckBox = rows["T4"].answer.boxes[value]  # type: ignore[attr-defined]
        tick(qtbot, box)
    qtbot.keyClicks(focus(qtbot, form, "T5"), "3")
    leave(qtbot)
    qtbot.keyClicks(focus(qtbot, form, "T6"), "2025-10-09")
    leave(qtbot)
    qtbot.keyClicks(focus(qtbot, form, "T7"), "Letter on file")
    leave(qtbot)
    assert shown(form, "T8") and shown(form, "T9")  # T3 high; T4 has police and T5 >= 2
    qtbot.keyClick(focus(qtbot, form, "T8"), Qt.Key.Key_N)
    qtbot.keyClick(focus(qtbot, form, "T9"), Qt.Key.Key_Y)

    want = {
        "T1": "yes",
        "T2": "na",
        "T3": "high",
        "T4": ("ndelius", "police"),
        "T5": 3,
        "T6": "2025-10-09",
        "T7": "Letter on file",
        "T8": "no",
        "T9": "yes",
    }
    answers = window.workspace.case_state(case_id).answers
    assert {q: tuple(v) if isinstance(v, list) else v for q, v in answers.items()} == want
    assert "9 of 9 answered" in form.progress.text()

    form.load(case_id)  # built again from the store
    qs = form.state.question_set  # type: ignore[union-attr]
    shows = {q: coerce_answer(qs.question(q), row.answer.value()) for q, row in form.rows.items()}
    assert shows == want
    assert window.saver.pending == 0
