"""The Hub tab's actions: settle a conflict, approve and return submitted cases.

The dialogs are driven without a nested event loop: the panel opens them window-modal, the
test fills them in and calls accept().
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rawdb
from demos import Demos
from guikit import Box, OpenWindow, cells, idle
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from scenes import two_laptop_conflict

from probdesk.services import hub as hubs
from probdesk.ui.hub.dialogs import ReturnDialog, SettleDialog
from probdesk.ui.main_window import MainWindow


def merge(qtbot: QtBot, window: MainWindow, merged: int) -> None:
    panel = window.hub_panel
    assert panel.merge_button.isEnabled()
    panel.merge_button.click()
    qtbot.waitUntil(lambda: panel.tally.text().startswith(f"{merged} merged"), timeout=15_000)
    idle(qtbot, window)  # the figures are read after the merge


def select(view: QTableView, row: int) -> None:
    view.selectionModel().select(
        view.model().index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


# -- moderation on the demo ---------------------------------------------------------------------


def test_approve_one_case_and_return_another_with_a_comment(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    open_window: OpenWindow,
    tmp_path: Path,
    boxes: list[Box],
    demos: Demos,
) -> None:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id  # tests/support/demos.py
    shared = demo / "shared"
    window = open_window(demo / "lead", shared=shared, select=inspection_id, tab="hub_panel")
    panel = window.hub_panel
    assert not panel.approve_button.isEnabled() and not panel.return_button.isEnabled()
    merge(qtbot, window, 3)

    model = panel.moderation_model
    assert model.rowCount() >= 2
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Case", "PDU", "Assessor", "Status", "Decision", "By",
    ]  # fmt: skip
    assert {cells(model, i)[3] for i in range(model.rowCount())} <= {"Submitted", "Returned"}
    assert {cells(model, i)[4] for i in range(model.rowCount())} == {"None yet"}
    qtmodeltester.check(model)
    first, second = cells(model, 0)[0], cells(model, 1)[0]
    packs_before = set(shared.glob("pd-sendback-*.pdpkg"))

    # Approve the first.
    select(panel.moderation_view, 0)
    assert panel.approve_button.isEnabled() and panel.return_button.isEnabled()
    panel.approve_button.click()
    qtbot.waitUntil(lambda: f"{first} approved." == panel.moderation_message.text())
    idle(qtbot, window)

    # Return the second, with a comment written in the dialog.
    row = next(i for i in range(model.rowCount()) if cells(model, i)[0] == second)
    select(panel.moderation_view, row)
    panel.return_button.click()
    dialog = panel.return_dialog
    assert isinstance(dialog, ReturnDialog) and dialog.isVisible()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # the comment is required
    dialog.accept()
    assert dialog.isVisible()  # not without a comment
    dialog.comment_edit.setPlainText("  Please look at C2 again.  ")
    assert ok.isEnabled()
    dialog.accept()
    qtbot.waitUntil(lambda: "returned to its assessor" in panel.moderation_message.text())
    idle(qtbot, window)

    decisions = {cells(model, i)[0]: cells(model, i) for i in range(model.rowCount())}
    assert decisions[first][4] == "Approved" and decisions[first][5]
    assert decisions[second][4] == "Returned" and decisions[second][5]
    tip = model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Please look at C2 again." in tip
    hub = rawdb.hub(hubs.default_hub_url(demo / "lead"))
    try:
        refs = {c.id: c.reference for c in hub.cases_of(inspection_id)}
        by_ref = {refs[k]: v for k, v in hub.moderation_of(inspection_id).items()}
    finally:
        hub.close()
    assert by_ref[first].action == "approved"
    assert by_ref[second].action == "returned"
    assert by_ref[second].comment == "Please look at C2 again."
    assert by_ref[second].moderator == decisions[second][5]
    new_packs = set(shared.glob("pd-sendback-*.pdpkg")) - packs_before
    assert len(new_packs) == 1
    assert next(iter(new_packs)).name in panel.moderation_message.text()
    assert boxes == []


# -- a conflict between two laptops (the scene of tests/integration/test_hub_conflicts.py) ---


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Path, str]:
    return two_laptop_conflict(tmp_path / "conflicts")


def test_settle_a_conflict_keeping_the_second_answer(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    open_window: OpenWindow,
    scene: tuple[Path, str],
    boxes: list[Box],
) -> None:
    root, inspection_id = scene
    shared = root / "shared"
    window = open_window(root / "lead", shared=shared, select=inspection_id, tab="hub_panel")
    panel = window.hub_panel
    merge(qtbot, window, 2)
    assert panel.undecided.text() == "1 undecided"
    model = panel.conflict_model
    row = next(i for i in range(model.rowCount()) if model.row_at(i).kind == "conflict")
    conflict = model.row_at(row)
    assert (conflict.case_ref, conflict.question_id) == ("X100001", "C1")
    assert not panel.settle_button.isEnabled()

    select(panel.conflict_view, row)
    assert panel.settle_button.isEnabled()
    panel.settle_button.click()
    dialog = panel.settle_dialog
    assert isinstance(dialog, SettleDialog) and dialog.isVisible()
    assert [r.text() for r in dialog.radios] == ["AB: Yes", "AB: No"]
    assert dialog.radios[0].isChecked() and dialog.keep() == 1  # the shown one preselected
    assert all(w.accessibleName() for w in [*dialog.radios, dialog.both_notes_box])
    dialog.radios[1].setChecked(True)
    assert dialog.keep() == 2
    dialog.accept()
    qtbot.waitUntil(lambda: "stands" in panel.conflict_message.text(), timeout=15_000)
    idle(qtbot, window)

    assert panel.conflict_message.text() == (
        f"X100001 C1: No stands; 2 send-back packs written in {shared}."
    )
    assert len(list(shared.glob("pd-sendback-*.pdpkg"))) == 2
    # No conflict is left; the case stays listed as updated on several laptops (the lead's
    # decision is a third laptop's answer), which is no clash.
    assert panel.undecided.text() == (
        "0 undecided; 1 case updated on several laptops without a clash"
    )
    assert [(c.kind, c.case_ref) for c in model.rows] == [("parallel", "X100001")]
    assert not panel.settle_button.isEnabled()
    qtmodeltester.check(model)
    hub = rawdb.hub(hubs.default_hub_url(root / "lead"))
    try:
        assert [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"] == []
        rows = hubs.export_rows(hub, inspection_id, with_notes=False)
        [c1] = [r for r in rows if r["question_id"] == "C1"]
        assert c1["answer"] == "no"
    finally:
        hub.close()
    assert boxes == []
