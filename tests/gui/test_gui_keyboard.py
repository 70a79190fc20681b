"""No dead ends for the keyboard (#17, part 4): a key that cannot act says why in the status
bar, and every comment dialog finishes from the keyboard (Tab leaves the text, Ctrl+Return
sends) without typing into the text."""

from __future__ import annotations

from pathlib import Path

import pytest
from formworld import window_with_cases
from guikit import OpenWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from probdesk.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(open_window: OpenWindow, tmp_data_dir: Path) -> MainWindow:
    return window_with_cases(open_window, tmp_data_dir, "X100021")


def test_a_on_a_question_without_not_applicable_says_why(qtbot: QtBot, window: MainWindow) -> None:
    form = window.case_form
    row = form.rows["C1"]
    assert "na" not in (row.question.allowed_values() or ())
    form.focus("C1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A)
    assert row.answer.value() is None
    assert window.statusBar().currentMessage() == (
        "C1 has no Not applicable answer: answer it Yes (Y) or No (N)."
    )
    assert "(it has no Not applicable)" in row.answer.accessibleDescription()


def test_ctrl_j_with_everything_answered_says_so(qtbot: QtBot, window: MainWindow) -> None:
    form = window.case_form
    while (qid := form.next_unanswered()) is not None:
        qtbot.keyClick(form.rows[qid].answer, Qt.Key.Key_Y)
    window.next_action.trigger()
    assert window.statusBar().currentMessage() == (
        "Every applicable question of case X100021 is answered."
    )


@pytest.mark.parametrize("which", ["reply", "question", "return"])
def test_a_comment_dialog_finishes_from_the_keyboard(qtbot: QtBot, which: str) -> None:
    from datetime import datetime

    from probdesk.domain.records import Comment
    from probdesk.ui.cases.reply_dialog import ReplyDialog
    from probdesk.ui.hub.dialogs import QuestionCommentDialog, ReturnDialog

    questions = [("C1", "Is the assessment right?")]
    dialog: QDialog
    if which == "reply":
        dialog = ReplyDialog([Comment("c1", "i", "k", "TL", "Why?", datetime(2026, 1, 1), "p")])
        edit = dialog.text
    elif which == "question":
        dialog = QuestionCommentDialog("X1", questions)
        edit = dialog.comment_edit
    else:
        dialog = ReturnDialog("X1", None, questions)
        edit = dialog.comment_edit
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2_000)  # a shortcut needs its window active
    edit.setFocus()
    qtbot.keyClicks(edit, "Check the plan")
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.toPlainText() == "Check the plan"  # Tab left the text, typed nothing
    assert not edit.hasFocus()
    edit.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=2_000):
        qtbot.keyClick(edit, Qt.Key.Key_Return, CTRL)
    assert edit.toPlainText() == "Check the plan"


def test_an_answer_redoes_its_row_of_the_case_list_and_its_filter(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The case list learns of an answer from that case's row alone (#18), and only of the
    columns that changed: the Progress column follows, and a status filter still drops a case
    that leaves the status shown."""
    cases = window.case_list
    model, proxy = cases.model, cases.proxy
    case_id = window.case_form.state.case.id
    row = model.row_of(case_id)
    status = model.case_at(row).status
    cases.status_combo.setCurrentIndex(cases.status_combo.findData(status))
    assert proxy.rowCount() == 1  # (it showed none: the combo gave the status as text)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_roles: changed.append((a.column(), b.column())))
    window.case_form.focus("C1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    assert model.index(row, 3).data().startswith("1 / ")
    assert model.index(row, 2).data() == "In progress"
    assert changed and all(first > 0 for first, _last in changed)  # never the Reference
    assert proxy.rowCount() == 0  # no longer "Not started"
    cases.status_combo.setCurrentIndex(0)
    assert proxy.rowCount() == 1


def test_every_variants_form_is_built_while_the_window_is_idle(
    qtbot: QtBot, window: MainWindow
) -> None:
    """#18: the forms of the set's variants are built ahead, one at a time at idle, when an
    inspection is chosen: the first case of the other variant opens as fast as the next."""
    form = window.case_form
    assert window.inspection is not None
    qs = window.workspace.question_set(window.inspection)
    wanted = {(qs.content_hash, v.id) for v in qs.variants}
    assert len(wanted) >= 2
    qtbot.waitUntil(lambda: wanted <= set(form._bodies), timeout=5_000)
    built = dict(form._bodies)
    window.reload_inspections(select=window.inspection.id)  # choosing it again: built anew
    qtbot.waitUntil(lambda: wanted <= set(form._bodies), timeout=5_000)
    assert all(form._bodies[k] is not built[k] for k in wanted)
