"""Submit knows what it needs (#17, part 3): the form marks the key questions submit needs and
the questions that do not count, each section says how many of its questions are answered,
the header follows the first answer, and submit lists the unanswered prompts and asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from formworld import window_with_cases
from guikit import Box, OpenWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from probdesk.domain.records import CaseStatus
from probdesk.ui.main_window import MainWindow

KEYS = ("C1", "C2", "C3", "C4")


@pytest.fixture
def window(open_window: OpenWindow, tmp_data_dir: Path) -> MainWindow:
    return window_with_cases(open_window, tmp_data_dir, "X100007")


def _answer(qtbot: QtBot, window: MainWindow, qid: str, key: Qt.Key = Qt.Key.Key_Y) -> None:
    window.case_form.focus(qid)
    qtbot.keyClick(QApplication.focusWidget(), key)


def test_the_form_marks_what_submit_needs_and_counts_each_section(
    qtbot: QtBot, window: MainWindow
) -> None:
    form = window.case_form
    key, prompt = form.rows["C1"], form.rows["C1.1"]
    assert "needed to submit" in key.label.text()
    assert key.label.accessibleDescription() == "needed to submit"
    assert "needed to submit" not in prompt.label.text()
    assert prompt.label.accessibleDescription() == "optional for submitting"
    assert all(
        ("not counted in the findings" in r.label.text()) is (not r.question.counts)
        for r in form.rows.values()
    )
    titles = [box.title() for box, _t, _ids in form.sections]
    assert titles and all(t.endswith(" answered") and " · 0 of " in t for t in titles)

    # The header leaves "Not started" with the first answer; the section counts it.
    assert "Not started" in form.progress.text()
    _answer(qtbot, window, "C1")
    assert "In progress" in form.progress.text()
    assert window.workspace.case(form.state.case.id).status is CaseStatus.IN_PROGRESS
    first_box, _title, _ids = form.sections[0]
    assert " · 1 of " in first_box.title()
    assert first_box.accessibleName() == f"Section {first_box.title()}"


def test_submit_lists_the_unanswered_prompts_and_no_goes_to_the_first(
    qtbot: QtBot, window: MainWindow, boxes: list[Box], monkeypatch: pytest.MonkeyPatch
) -> None:
    form = window.case_form
    case_id = form.state.case.id
    for qid in KEYS:
        _answer(qtbot, window, qid, Qt.Key.Key_N)
    keys, prompts = form.unanswered()
    assert keys == [] and prompts and prompts[0] == "C1.1"

    asked: list[str] = []

    def say_no(_parent: object, title: str, text: str, *_args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", say_no)
    form.submit_button.click()
    [text] = asked
    assert f"{len(prompts)} applicable prompts are not answered in case X100007" in text
    assert "• C1.1: " in text and "No takes you to the first unanswered prompt (C1.1)" in text
    assert window.workspace.case(case_id).status is CaseStatus.IN_PROGRESS
    assert form.rows["C1.1"].answer.isAncestorOf(QApplication.focusWidget()) or (
        QApplication.focusWidget() is form.rows["C1.1"].answer
    )

    # Answer all but one prompt: the question names it alone, in the singular; Yes submits.
    for qid in prompts[:-1]:
        _answer(qtbot, window, qid)
    monkeypatch.undo()
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda _p, _t, text, *_a: asked.append(text) or QMessageBox.StandardButton.Yes,
    )  # fmt: skip
    form.submit_button.click()
    assert f"1 applicable prompt is not answered in case X100007:\n\n• {prompts[-1]}:" in asked[-1]
    assert window.workspace.case(case_id).status is CaseStatus.SUBMITTED
    assert form.submit_button.hasFocus() and form.submit_button.accessibleName() == "Reopen case"
    assert boxes == []


def test_a_missing_key_question_still_blocks_without_asking(
    qtbot: QtBot, window: MainWindow, boxes: list[Box]
) -> None:
    form = window.case_form
    for qid in KEYS[:-1]:
        _answer(qtbot, window, qid)
    form.submit_button.click()
    assert [b.kind for b in boxes] == ["warning"]  # no "submit anyway?" question
    assert "C4" in boxes[0].text
    assert window.workspace.case(form.state.case.id).status is CaseStatus.IN_PROGRESS


def test_a_case_with_everything_answered_submits_without_a_question(
    qtbot: QtBot, window: MainWindow, boxes: list[Box]
) -> None:
    form = window.case_form
    for qid in list(form.rows):
        if form.rows[qid].isVisibleTo(window):
            _answer(qtbot, window, qid)
    assert form.unanswered() == ([], [])
    form.submit_button.click()
    assert boxes == []
    assert window.workspace.case(form.state.case.id).status is CaseStatus.SUBMITTED
