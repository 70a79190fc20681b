"""Comments back to an assessor, from the Team lead tab, on the demo's fictional inspection.

The demo gives a realistic set-up: the team lead's data folder, three assessors' laptops and
their exports in the shared folder. The team lead looks for the exports, sends AB comments
and a returned case through the real Runner, and AB's laptop opens the pack.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from demos import Demos
from guikit import Box, OpenWindow, cells, drive, idle, press_ok, unnamed
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk.domain.records import CaseStatus
from probdesk.errors import EnvironmentProblem
from probdesk.paths import Paths
from probdesk.services.demo import DemoResult
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.main_window import MainWindow
from probdesk.ui.team_lead.models import SendBackCasesModel
from probdesk.ui.team_lead.send_back_dialog import SendBackDialog

NOTHING_TO_SEND = "Write at least one comment or return at least one case."


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_demo(demos: Demos) -> DemoResult:
    """The demo, built once per session (tests/support/demos.py): each test works on its own
    copy."""
    return demos.build(2)


@pytest.fixture
def demo(built_demo: DemoResult, tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    shutil.copytree(built_demo.out, out)
    return out


@pytest.fixture
def lead(qtbot: QtBot, open_window: OpenWindow, demo: Path, built_demo: DemoResult) -> MainWindow:
    """The team lead's window on the Team lead tab, with the demo inspection chosen."""
    window = open_window(demo / "lead", select=built_demo.inspection_id, tab="team_lead")
    idle(qtbot, window)
    return window


# -- the journey ------------------------------------------------------------------------------


def test_team_lead_sends_comments_and_a_returned_case_that_reach_the_assessor(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    lead: MainWindow,
    demo: Path,
    built_demo: DemoResult,
    monkeypatch: pytest.MonkeyPatch,
    boxes: list[Box],
) -> None:
    shared, iid = demo / "shared", built_demo.inspection_id
    panel = lead.team_lead
    lead.settings.setValue(SHARED_FOLDER_KEY, str(shared))
    assert panel.look_button.isEnabled() and not panel.send_button.isEnabled()

    panel.look_button.click()
    idle(qtbot, lead)
    exports = panel.exports_model
    assert exports.rowCount() == 3
    rows = [cells(exports, i) for i in range(3)]
    assert [r[0] for r in rows] == ["AB", "CD", "EF"]
    assert [r[1] for r in rows] == ["Inspector", "Inspector", "Local assessor"]
    assert [r[3] for r in rows] == ["20", "20", "20"]
    assert all(int(r[4]) > 0 for r in rows)  # answers
    assert all(r[5] and r[6] == "" for r in rows)  # written when; no problem
    ab = exports.row_at(0)
    assert rows[0][2] == ab.fingerprint != ""
    assert "Found 3 exports from AB, CD, EF." in panel.exports_message.text()
    qtmodeltester.check(exports)
    assert not panel.send_button.isEnabled()  # nothing selected yet

    panel.exports_view.selectRow(0)
    assert panel.send_button.isEnabled()
    lead_cases = [c for c in lead.workspace.cases(iid) if c.assessor == "AB"]
    commented, returned = lead_cases[0], lead_cases[1]
    comment = "Say where the risk assessment was found."

    def send(d: SendBackDialog) -> None:
        assert d.windowTitle() == "Send comments to AB"
        model = d.model
        assert model.rowCount() == 20
        assert [cells(model, i)[0] for i in range(20)] == [c.reference for c in lead_cases]
        assert cells(model, 0)[1] == "Not started"
        qtmodeltester.check(model)
        assert unnamed(d) == []
        # nothing written and nothing returned: the service refuses, the dialog stays open
        press_ok(d)
        idle(qtbot, lead)
        assert d.isVisible() and d.error.isVisible()
        assert d.error.text() == NOTHING_TO_SEND
        assert list(shared.glob("pd-sendback-*")) == []

        d.view.selectRow(0)
        assert d.case_label.text() == f"Comment on &case {commented.reference}"
        qtbot.keyClicks(d.case_comment, comment)
        assert cells(model, 0)[3] == comment
        d.view.selectRow(1)
        assert d.case_comment.toPlainText() == ""  # the editor follows the selected case
        check = model.index(1, SendBackCasesModel.RETURN_COLUMN)
        d.view.setCurrentIndex(check)
        d.view.setFocus()
        qtbot.keyClick(d.view, Qt.Key.Key_Space)
        assert check.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        d.view.selectRow(0)
        assert d.case_comment.toPlainText() == comment  # still there
        qtbot.keyClicks(d.note, "Thorough notes overall.")
        assert d.comments() == (
            [(None, "Thorough notes overall."), (commented.id, comment)],
            [returned.id],
        )
        qtmodeltester.check(model)
        press_ok(d)
        idle(qtbot, lead)
        assert not d.isVisible() and d.result() == QDialog.DialogCode.Accepted

    driven = drive(monkeypatch, SendBackDialog, send)
    panel.send_button.click()
    assert driven.pending == []
    [pack] = shared.glob("pd-sendback-*.pdpkg")
    message = panel.exports_message.text()
    assert pack.name in message
    assert "2 comments, 1 case returned" in message
    assert unnamed(lead) == []
    assert boxes == []

    # -- AB's laptop finds the pack in the shared folder and opens it -------------------------
    paths = Paths.resolve(demo / "ab")
    ws = Workspace.open(paths)
    try:
        fw = Fieldwork(ws, paths)
        assert ws.case(returned.id).status is not CaseStatus.RETURNED
        [incoming] = [p for p in fw.incoming(shared) if p.kind == "sendback"]
        assert incoming.path == pack and not incoming.opened and incoming.problem is None
        assert incoming.signer_fingerprint == panel.fingerprint.text()
        result = fw.open_sendback(pack)
        assert (result.comments, result.returned, result.already_opened) == (2, 1, False)
        [stored] = fw.comments(iid, commented.id)
        assert (stored.text, stored.author) == (comment, "TL")
        general = [c for c in fw.comments(iid) if c.case_id is None]
        assert [c.text for c in general] == ["Thorough notes overall."]
        assert ws.case(returned.id).status is CaseStatus.RETURNED
        assert ws.case(commented.id).status is not CaseStatus.RETURNED
    finally:
        ws.close()


# -- what can go wrong ----------------------------------------------------------------------


def test_no_shared_folder_an_unreadable_file_and_a_failed_write_keep_the_comments(
    qtbot: QtBot,
    lead: MainWindow,
    demo: Path,
    monkeypatch: pytest.MonkeyPatch,
    boxes: list[Box],
) -> None:
    panel, shared = lead.team_lead, demo / "shared"
    panel.look_button.click()
    assert not lead.runner.busy  # nothing to look in
    assert "Choose the shared folder on the Sync tab first" in panel.exports_message.text()

    lead.settings.setValue(SHARED_FOLDER_KEY, str(demo / "unplugged"))
    panel.look_button.click()
    idle(qtbot, lead)
    assert f"The shared folder {demo / 'unplugged'} is not reachable now" in (
        panel.exports_message.text()
    )
    assert panel.exports_model.rowCount() == 0

    broken = shared / "pd-events-00000000-0000-4000-8000-000000000000.pdpkg"
    broken.write_bytes(b"not a package at all")
    lead.settings.setValue(SHARED_FOLDER_KEY, str(shared))
    panel.look_button.click()
    idle(qtbot, lead)
    exports = panel.exports_model
    assert [cells(exports, i)[0] for i in range(4)] == ["AB", "CD", "EF", "(not readable)"]
    unreadable = cells(exports, 3)
    assert unreadable[6] != "" and unreadable[2] == "" and unreadable[3] == ""
    assert exports.index(3, 0).data(Qt.ItemDataRole.ToolTipRole) == str(broken)
    assert panel.exports_message.text() == (
        "Found 3 exports from AB, CD, EF. 1 file could not be read: see Problem. "
        "Select an assessor's export to send them comments."
    )
    panel.exports_view.selectRow(3)
    assert not panel.send_button.isEnabled()
    panel.exports_view.selectRow(2)
    assert panel.send_button.isEnabled()

    # Cancel sends nothing.
    def cancel(d: SendBackDialog) -> None:
        assert d.windowTitle() == "Send comments to EF"
        qtbot.keyClicks(d.note, "Not sent")
        d.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()

    # The shared folder goes away while writing: the message shows in the dialog, nothing
    # typed is lost, and OK again writes the pack.
    fw = lead.team_lead.fieldwork
    assert fw is not None
    real = fw.create_sendback

    def away(*_args: object, **_kwargs: object) -> Path:
        raise EnvironmentProblem("The shared folder is not reachable.")

    def write_fails_then_works(d: SendBackDialog) -> None:
        d.view.selectRow(3)
        qtbot.keyClicks(d.case_comment, "Check the MAPPA level.")
        monkeypatch.setattr(fw, "create_sendback", away)
        press_ok(d)
        idle(qtbot, lead)
        assert d.isVisible() and d.error.text() == "The shared folder is not reachable."
        assert d.case_comment.toPlainText() == "Check the MAPPA level."
        assert d.buttons.isEnabled()
        monkeypatch.setattr(fw, "create_sendback", real)
        press_ok(d)
        idle(qtbot, lead)
        assert not d.isVisible()

    driven = drive(monkeypatch, SendBackDialog, cancel, write_fails_then_works)
    panel.send_button.click()
    assert list(shared.glob("pd-sendback-*")) == []
    assert "Not sent" not in panel.exports_message.text()
    panel.send_button.click()
    assert driven.pending == []
    [pack] = shared.glob("pd-sendback-*.pdpkg")
    assert pack.name in panel.exports_message.text()
    assert "1 comment, 0 cases returned" in panel.exports_message.text()

    # Looking again lists the exports only (the comments pack is not an export).
    panel.look_button.click()
    idle(qtbot, lead)
    assert exports.rowCount() == 4
    # Another inspection (here: none) clears the table.
    panel.set_inspection(None)
    assert exports.rowCount() == 0 and not panel.send_button.isEnabled()
    assert boxes == []
