"""The team lead reads a case in the Hub tab before approving or returning it (#16, part 1):
from the Moderation page (double-click, Enter, Open case…), a figure's cases, the Conflicts
page and an assessor's cases on the Progress page, a read-only case view shows every answer
with its note, who gave it on which laptop and when, its history, the conflicts and the
moderation, and approves or returns the case as the Moderation page does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rawdb
from demos import Demos
from guikit import Box, OpenWindow, cells, idle, unnamed
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTableView, QTextEdit
from pytestqt.qtbot import QtBot
from scenes import two_laptop_conflict

from probdesk.services import hub as hubs
from probdesk.services import review as reviews
from probdesk.ui.hub.case_view import CaseListDialog, CaseViewDialog
from probdesk.ui.hub.dialogs import DrillDownDialog, ReturnDialog
from probdesk.ui.hub.state import CONFLICTS, FIGURES, MODERATION, PROGRESS
from probdesk.ui.main_window import MainWindow


def merge(qtbot: QtBot, window: MainWindow, merged: int) -> None:
    panel = window.hub_panel
    panel.merge_button.click()
    qtbot.waitUntil(lambda: panel.tally.text().startswith(f"{merged} merged"), timeout=15_000)
    idle(qtbot, window)


def select(view: QTableView, row: int) -> None:
    view.selectionModel().select(
        view.model().index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    view.setCurrentIndex(view.model().index(row, 0))


def double_click(qtbot: QtBot, view: QTableView, row: int) -> None:
    view.scrollTo(view.model().index(row, 0))
    where = view.visualRect(view.model().index(row, 0)).center()
    # Qt 6's views double-click only on the index a press went to: press, then double.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)


def opened(qtbot: QtBot, window: MainWindow, before: object = None) -> CaseViewDialog:
    panel = window.hub_panel
    qtbot.waitUntil(
        lambda: (
            panel.case_dialog is not None
            and panel.case_dialog is not before
            and panel.case_dialog.isVisible()
        ),
        timeout=15_000,
    )
    idle(qtbot, window)
    dialog = panel.case_dialog
    assert isinstance(dialog, CaseViewDialog)
    return dialog


def flat(text: str) -> str:
    return " ".join(text.split())


def review_of(data: Path, inspection_id: str, ref: str) -> reviews.CaseReview:
    hub = rawdb.hub(hubs.default_hub_url(data))
    try:
        return reviews.case_review(hub, inspection_id, ref)
    finally:
        hub.close()


def assert_shows(dialog: CaseViewDialog, review: reviews.CaseReview) -> None:
    """Every answer, note, author, laptop and history entry of the case is in the view."""
    text = flat(dialog.body.toPlainText())
    for label, value in review.facts:
        assert flat(f"{label} {value}") in text
    for q in review.questions:
        assert flat(f"{q.question_id} {q.text}") in text
        if q.note:
            assert flat(q.note) in text
        for r in [q.current, *q.history]:
            if r is None:
                continue
            assert flat(f"{r.value}") in text
            assert flat(f"{r.author} · {r.laptop.text} · {r.recorded_at}") in text
            if r.note:
                assert flat(r.note) in text
        if q.history:
            assert f"History ({len(q.history)})" in text
    for m in review.moderation:
        assert flat(f"{m.at} · {m.words} by {m.moderator}") in text
    assert dialog.heading.text().startswith(f"Case {review.reference} · {review.pdu} PDU")
    assert review.status_label in dialog.people.text()
    counted = "counted in the figures" if review.counted else "not counted in the figures yet"
    assert dialog.people.text().endswith(f"Status: {review.status_label} · {counted}")


def assert_read_only(dialog: CaseViewDialog) -> None:
    edits = [
        w for kind in (QLineEdit, QPlainTextEdit, QTextEdit) for w in dialog.findChildren(kind)
    ]
    assert edits  # the body is one (a read-only QTextBrowser)
    for w in edits:
        if w.isVisibleTo(dialog) and w.isEnabled():
            assert w.isReadOnly(), f"{type(w).__name__} {w.accessibleName()!r} takes input"
    assert dialog.body.isReadOnly()
    assert dialog.body.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


# -- the demo: submitted cases to moderate ------------------------------------------------------


def test_read_approve_and_return_a_case_from_the_moderation_page(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, boxes: list[Box], demos: Demos
) -> None:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id
    shared = demo / "shared"
    window = open_window(
        demo / "lead", shared=shared, select=inspection_id, tab="hub_panel", size=(1366, 768)
    )
    panel = window.hub_panel
    merge(qtbot, window, 3)
    panel.show_page(MODERATION)
    model = panel.moderation_model
    assert model.rowCount() >= 2
    assert not panel.open_case_button.isEnabled()  # nothing selected yet
    first = cells(model, 0)[0]

    # A double-click on a row opens the case: its answers and notes, read-only.
    double_click(qtbot, panel.moderation_view, 0)
    dialog = opened(qtbot, window)
    assert dialog.windowTitle() == f"Case {first}"
    assert dialog.isModal() or dialog.windowModality() != Qt.WindowModality.NonModal
    review = review_of(demo / "lead", inspection_id, first)
    assert any(q.note for q in review.questions)  # the demo's cases carry notes
    assert_shows(dialog, review)
    assert_read_only(dialog)
    assert unnamed(dialog) == []
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width() * 0.9 and dialog.height() <= screen.height() * 0.9
    assert dialog.approve_button.isEnabled() and dialog.return_button.isEnabled()
    assert not dialog.why_not.isVisible()

    # Approve from the case view: the decision is recorded, the view and the page show it.
    dialog.approve_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() == f"{first} approved.", timeout=15_000)
    qtbot.waitUntil(lambda: dialog.latest.text().startswith("Latest decision: Approved by"))
    idle(qtbot, window)
    qtbot.waitUntil(lambda: "Approved" in cells(model, 0)[4], timeout=15_000)
    idle(qtbot, window)
    assert panel.moderation_message.text() == f"{first} approved."
    hub = rawdb.hub(hubs.default_hub_url(demo / "lead"))
    try:
        refs = {c.id: c.reference for c in hub.cases_of(inspection_id)}
        decided = {refs[k]: v for k, v in hub.moderation_of(inspection_id).items()}
    finally:
        hub.close()
    assert decided[first].action == "approved"
    assert "Approved by" in flat(dialog.body.toPlainText())

    # Esc closes it.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    # Enter on the second row opens it; Return to assessor… asks for the comment, then
    # writes the send-back pack to the shared folder.
    view = panel.moderation_view
    view.setFocus()
    select(view, 1)
    second = cells(model, 1)[0]
    qtbot.keyClick(view, Qt.Key.Key_Return)
    dialog = opened(qtbot, window, dialog)
    assert dialog.review.reference == second
    packs_before = set(shared.glob("pd-sendback-*.pdpkg"))
    dialog.return_button.click()
    asked = dialog.return_dialog
    assert isinstance(asked, ReturnDialog) and asked.isVisible()
    asked.comment_edit.setPlainText("Please look at the risk assessment again.")
    asked.accept()
    qtbot.waitUntil(lambda: "returned to its assessor" in dialog.message.text(), timeout=15_000)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: "Returned" in dialog.latest.text(), timeout=15_000)
    idle(qtbot, window)
    new_packs = set(shared.glob("pd-sendback-*.pdpkg")) - packs_before
    assert len(new_packs) == 1 and next(iter(new_packs)).name in dialog.message.text()
    assert "Please look at the risk assessment again." in dialog.body.toPlainText()
    hub = rawdb.hub(hubs.default_hub_url(demo / "lead"))
    try:
        decided = {refs[k]: v for k, v in hub.moderation_of(inspection_id).items()}
    finally:
        hub.close()
    assert decided[second].action == "returned"
    assert decided[second].comment == "Please look at the risk assessment again."
    qtbot.waitUntil(
        lambda: any(
            cells(model, i)[0] == second and cells(model, i)[4] == "Returned"
            for i in range(model.rowCount())
        ),
        timeout=15_000,
    )
    dialog.close()

    # Open case… beside Approve and Return.
    select(view, 0)
    assert panel.open_case_button.isEnabled()
    panel.open_case_button.click()
    dialog = opened(qtbot, window, dialog)
    assert dialog.review.reference == cells(model, 0)[0]
    dialog.close()
    assert unnamed(window) == []
    assert boxes == []


def test_open_a_case_from_a_figure_and_from_an_assessors_progress(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, boxes: list[Box], demos: Demos
) -> None:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id
    window = open_window(
        demo / "lead", shared=demo / "shared", select=inspection_id, tab="hub_panel"
    )
    panel = window.hub_panel
    merge(qtbot, window, 3)

    # A figure's cases: Enter on one opens it above the list; Esc goes back to the list.
    panel.show_page(FIGURES)
    row = next(i for i in range(panel.summary_model.rowCount())
               if panel.summary_model.row_at(i).relevant)  # fmt: skip
    assert panel.drill_down(row)
    qtbot.waitUntil(lambda: panel.drill_dialog is not None and panel.drill_dialog.isVisible(),
                    timeout=15_000)  # fmt: skip
    idle(qtbot, window)
    drill = panel.drill_dialog
    assert isinstance(drill, DrillDownDialog) and drill.model.rowCount() > 0
    assert unnamed(drill) == []
    drill.view.setFocus()
    select(drill.view, 0)
    ref = cells(drill.model, 0)[0]
    qtbot.keyClick(drill.view, Qt.Key.Key_Return)
    dialog = opened(qtbot, window)
    assert dialog.review.reference == ref and dialog.parent() is drill
    assert drill.isVisible()  # Enter opened the case; it did not close the list
    assert_shows(dialog, review_of(demo / "lead", inspection_id, ref))
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and drill.isVisible()
    double_click(qtbot, drill.view, drill.model.rowCount() - 1)
    dialog = opened(qtbot, window, dialog)
    assert dialog.review.reference == cells(drill.model, drill.model.rowCount() - 1)[0]
    dialog.close()
    drill.close()

    # An assessor's row on the Progress page lists their cases with status; one opens.
    panel.show_page(PROGRESS)
    progress = panel.progress_model
    row = next(i for i in range(progress.rowCount()) if progress.row_at(i).group == "assessor")
    assessor = progress.row_at(row).name
    double_click(qtbot, panel.progress_view, row)
    qtbot.waitUntil(lambda: panel.group_dialog is not None and panel.group_dialog.isVisible(),
                    timeout=15_000)  # fmt: skip
    idle(qtbot, window)
    listed = panel.group_dialog
    assert isinstance(listed, CaseListDialog)
    assert listed.heading.text().startswith(f"Assessor {assessor}: ")
    lines = listed.model.rows
    assert lines and {c.assessor for c in lines} == {assessor}
    assert len(lines) == progress.row_at(row).total
    assert unnamed(listed) == []
    unfinished = next(i for i, c in enumerate(lines) if c.status not in ("submitted", "returned"))
    listed.view.setFocus()
    select(listed.view, unfinished)
    qtbot.keyClick(listed.view, Qt.Key.Key_Return)
    dialog = opened(qtbot, window, dialog)
    assert dialog.review.reference == lines[unfinished].case_ref and dialog.parent() is listed
    # Not submitted: nothing to approve or return yet, and it says why.
    assert not dialog.approve_button.isEnabled() and not dialog.return_button.isEnabled()
    assert dialog.why_not.isVisible()
    assert re.match(r"Only a submitted or returned case can be approved or returned: this one "
                    r"is [a-z ]+\.$", dialog.why_not.text())  # fmt: skip
    assert not dialog.approve()
    dialog.close()
    listed.close()
    assert boxes == []


# -- a conflict between two laptops ---------------------------------------------------------------


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Path, str]:
    return two_laptop_conflict(tmp_path / "conflicts")


def test_a_conflict_opens_its_case_with_both_answers_and_the_history(
    qtbot: QtBot, open_window: OpenWindow, scene: tuple[Path, str], boxes: list[Box]
) -> None:
    root, inspection_id = scene
    window = open_window(
        root / "lead", shared=root / "shared", select=inspection_id, tab="hub_panel"
    )
    panel = window.hub_panel
    merge(qtbot, window, 2)
    panel.show_page(CONFLICTS)
    model = panel.conflict_model
    row = next(i for i in range(model.rowCount()) if model.row_at(i).kind == "conflict")
    double_click(qtbot, panel.conflict_view, row)
    dialog = opened(qtbot, window)
    review = review_of(root / "lead", inspection_id, "X100001")
    assert_shows(dialog, review)
    text = flat(dialog.body.toPlainText())
    assert "seen on the second laptop" in text
    assert "History (2), oldest first" in text
    assert "1 undecided conflict on this case" in dialog.warning.text()
    assert "(the figures use this one until you settle it)" in text
    assert "laptop 22222222 (AB)" in text
    # The case is in progress: the view reads it, moderation waits for its submission.
    assert not dialog.approve_button.isEnabled()
    assert "in progress" in dialog.why_not.text()
    assert unnamed(dialog) == []
    assert_read_only(dialog)
    dialog.close()
    assert boxes == []
