"""Fieldwork in the GUI: the Team lead and Sync tabs, the operation runner, real folders.

Two data folders stand for two laptops: the team lead's and an assessor's; the shared folder
is a third. Modal dialogs are driven by scripts (their exec() is replaced); message boxes are
recorded. Long work goes through the real Runner and its worker thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from guikit import Box, OpenWindow, cells, drive, idle, press_ok, unnamed
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.records import Assessor, Inspection, KnownDevice
from probdesk.errors import EnvironmentProblem
from probdesk.packages.keys import b64
from probdesk.services.fieldwork import Fieldwork, SendbackComment
from probdesk.ui.kit.runner import SHOW_AFTER_MS
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.main_window import MainWindow
from probdesk.ui.sync import OpenSetupPackDialog
from probdesk.ui.team_lead.sample_import_dialog import ImportSampleDialog
from probdesk.ui.team_lead.setup_pack_dialog import WriteSetupPackDialog

DIPP = next(p for p in bundled.bundled_question_sets() if p.name == "dipp-public-protection.yaml")
PASSPHRASE = "plymouth autumn 2025"
FACTS: dict[str, object] = {
    "sentence_type": "community_order",
    "contact_suspended": "no",
    "rosh_level": "low",
    "domestic_abuse": "no",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
    "tier": "B2",
    "practitioner_grade": "po",
}
SAMPLE = (
    "CRN,Offender name,Sentence type,Contact suspended,RoSH,Domestic abuse,Child safeguarding,"
    "MAPPA eligible,Tier,Practitioner grade,Assessor\n"
    "X100001,,Community order,No,Low,No,No,No,B2,PO,AB\n"
    "X100002,,Licence (after custody),No,High,Yes,Not known,No,A1,PSO,CD\n"
    "X100003,,Community order,No,Medium,No,No,No,C3,PO,\n"
    "X100004,,Community order,No,Extreme,No,No,No,B2,PO,AB\n"
)
PRESETS = {
    "CRN": "reference",
    "Offender name": "ignore",  # never taken for the reference
    "Sentence type": "fact:sentence_type",
    "Contact suspended": "fact:contact_suspended",
    "RoSH": "fact:rosh_level",
    "Domestic abuse": "fact:domestic_abuse",
    "Child safeguarding": "fact:child_safeguarding",
    "MAPPA eligible": "fact:mappa_eligible",
    "Tier": "fact:tier",
    "Practitioner grade": "fact:practitioner_grade",
    "Assessor": "assessor",
}


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def make_window(open_window: OpenWindow, tmp_path: Path) -> Callable[[str], MainWindow]:
    """A main window on its own data folder under tmp_path (one folder per laptop)."""
    return lambda name: open_window(tmp_path / name)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    return folder


def fieldwork(window: MainWindow) -> Fieldwork:
    fw = window.sync.fieldwork
    assert fw is not None
    return fw


def lead_inspection(window: MainWindow) -> Inspection:
    ws = window.workspace
    ws.set_identity("TL", "team_lead")
    inspection = ws.create_inspection(
        "South West", "Plymouth", date(2025, 10, 6), date(2025, 10, 17), DIPP
    )
    window.reload_inspections(select=inspection.id)
    return inspection


def dialog_text(dialog: QWidget) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


# -- the whole journey: team lead sets up, assessor opens, answers, exports ---------------------


def test_team_lead_sets_up_and_assessor_opens_answers_and_exports(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    make_window: Callable[[str], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
    shared: Path,
    tmp_path: Path,
    boxes: list[Box],
) -> None:
    # -- the team lead's laptop -----------------------------------------------------------
    lead = make_window("lead")
    inspection = lead_inspection(lead)
    lead.tabs.setCurrentWidget(lead.team_lead)
    panel = lead.team_lead
    assert panel.content.isVisibleTo(lead) and not panel.hint.isVisibleTo(lead)

    for name, role in (("CD", "local_assessor"), ("AB", "inspector")):
        qtbot.keyClicks(panel.name_edit, name)
        panel.role_combo.setCurrentIndex(panel.role_combo.findData(role))
        qtbot.keyClick(panel.name_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(panel.name_edit, "ab")
    panel.add_button.click()
    assert "already on the team" in panel.team_message.text()
    assert panel.save_team_button.isEnabled()
    panel.save_team_button.click()
    assert fieldwork(lead).team(inspection.id) == [
        Assessor("AB", "inspector"),
        Assessor("CD", "local_assessor"),
    ]
    assert cells(panel.team_model, 1) == ["CD", "Local assessor"]
    qtmodeltester.check(panel.team_model)

    sample = tmp_path / "sample.csv"
    sample.write_text(SAMPLE, encoding="utf-8")

    def import_sample(d: ImportSampleDialog) -> None:
        assert not d.import_button.isEnabled()
        assert d.load_file(sample)
        assert d.mapping() == PRESETS
        assert "4 case rows" in d.file_message.text()
        assert not d.import_button.isEnabled()  # nothing until checked
        d.check_button.click()
        problems = d.problems_model
        assert problems.rowCount() == 1
        row, column, message = cells(problems, 0)
        assert (row, column) == ("5", "RoSH") and "'Extreme' is not one of" in message
        qtmodeltester.check(problems)
        assert "3 cases ready; 1 row with problems" in d.summary.text()
        # a changed mapping needs a new check
        d.combos["Tier"].setCurrentIndex(d.combos["Tier"].findData("ignore"))
        assert not d.import_button.isEnabled()
        d.combos["Tier"].setCurrentIndex(d.combos["Tier"].findData("fact:tier"))
        d.check_button.click()
        assert d.import_button.text() == "&Import 3 cases" and d.import_button.isEnabled()
        assert unnamed(d) == []
        assert fieldwork(lead).ws.cases(inspection.id) == []  # nothing imported yet
        d.import_button.click()

    drive(monkeypatch, ImportSampleDialog, import_sample)
    panel.import_button.click()
    idle(qtbot, lead)
    assert panel.cases_message.text() == "Imported 3 cases."
    cases = panel.cases_model
    assert [cells(cases, i) for i in range(3)] == [
        ["X100001", "Plymouth", "AB", "Not started"],
        ["X100002", "Plymouth", "CD", "Not started"],
        ["X100003", "Plymouth", "not assigned", "Not started"],
    ]
    assert panel.cases_summary.text() == "3 cases, 1 not assigned"
    assert lead.case_list.model.rowCount() == 3  # the Cases tab caught up
    qtmodeltester.check(cases)

    panel.cases_view.selectRow(2)
    panel.assign_combo.setCurrentIndex(panel.assign_combo.findData("AB"))
    panel.assign_button.click()
    idle(qtbot, lead)
    assert cells(cases, 2)[2] == "AB"
    assert panel.cases_summary.text() == "3 cases, every case assigned"

    assert lead.sync.set_shared_folder(str(shared))
    idle(qtbot, lead)
    lead_fp = fieldwork(lead).fingerprints()["signing"]
    assert panel.fingerprint.text() == lead_fp

    def write_pack(d: WriteSetupPackDialog) -> None:
        assert d.folder.text() == str(shared) and d.lead.text() == "TL"
        qtbot.keyClicks(d.passphrase, "too short")
        qtbot.keyClicks(d.repeat, "too short")
        press_ok(d)
        assert d.isVisible() and "at least 10 characters" in d.error.text()
        for edit in (d.passphrase, d.repeat):
            edit.clear()
            qtbot.keyClicks(edit, PASSPHRASE)
        assert d.passphrase.echoMode() == QLineEdit.EchoMode.Password
        assert unnamed(d) == []
        press_ok(d)

    drive(monkeypatch, WriteSetupPackDialog, write_pack)
    panel.write_button.click()
    idle(qtbot, lead)
    packs = sorted(shared.glob("pd-setup-*.pdpkg"))
    assert len(packs) == 1
    assert packs[0].name in panel.pack_message.text() and lead_fp in panel.pack_message.text()
    assert unnamed(lead) == []
    assert boxes == []

    # -- the assessor's laptop ------------------------------------------------------------
    asr = make_window("assessor")
    sync = asr.sync
    asr.tabs.setCurrentWidget(sync)
    assert sync.hint.isVisibleTo(asr)
    assert not sync.export_button.isEnabled()
    qtbot.keyClicks(sync.folder_edit, str(tmp_path / "assessor" / "shared"))
    qtbot.keyClick(sync.folder_edit, Qt.Key.Key_Return)
    assert "inside probdesk's own data folder" in sync.folder_message.text()
    assert sync.settings.value(SHARED_FOLDER_KEY) is None
    sync.folder_edit.setText(str(shared))
    qtbot.keyClick(sync.folder_edit, Qt.Key.Key_Return)
    assert sync.settings.value(SHARED_FOLDER_KEY) == str(shared)
    idle(qtbot, asr)
    incoming = sync.incoming_model
    assert incoming.rowCount() == 1
    kind, where, signer, opened, problem = cells(incoming, 0)
    assert (kind, signer, opened, problem) == ("Setup pack", lead_fp, "No", "")
    assert where == "A new inspection (open the pack to see which)"  # no id shown
    qtmodeltester.check(incoming)

    def wrong_passphrase(d: OpenSetupPackDialog) -> None:
        assert d.fingerprint.text() == lead_fp
        assert "Check this fingerprint with your team lead before opening" in dialog_text(d)
        assert d.passphrase.echoMode() == QLineEdit.EchoMode.Password
        assert unnamed(d) == []
        qtbot.keyClicks(d.passphrase, "not the passphrase")
        qtbot.keyClicks(d.assessor, "AB")
        press_ok(d)

    def wrong_name(d: OpenSetupPackDialog) -> None:
        assert "the passphrase does not open this setup pack" in d.error.text()
        assert d.assessor.text() == "AB" and d.passphrase.text() == ""
        qtbot.keyClicks(d.passphrase, PASSPHRASE)
        d.assessor.setText("ZZ")
        press_ok(d)

    def right_name(d: OpenSetupPackDialog) -> None:
        # A wrong name keeps the passphrase (it was right) and puts the focus on the name.
        assert "'ZZ' is not on this inspection's team" in d.error.text()
        assert d.passphrase.text() == PASSPHRASE and d.assessor.text() == "ZZ"
        assert d.focusWidget() is d.assessor
        d.assessor.setText("AB")
        press_ok(d)

    driven = drive(monkeypatch, OpenSetupPackDialog, wrong_passphrase, wrong_name, right_name)
    sync.incoming_view.selectRow(0)
    assert sync.open_button.isEnabled()
    sync.open_button.click()
    qtbot.waitUntil(lambda: not driven.pending and asr.inspection is not None, timeout=10_000)
    idle(qtbot, asr)
    assert asr.inspection is not None and asr.inspection.id == inspection.id
    assert "2 cases added" in sync.incoming_message.text()
    assert cells(incoming, 0)[1] == inspection.title and cells(incoming, 0)[3] == "Yes"
    assert not sync.hint.isVisibleTo(asr)
    rows = asr.case_list.model
    assert sorted(rows.case_at(i).reference for i in range(rows.rowCount())) == [
        "X100001",
        "X100003",
    ]
    assert asr.workspace.device().assessor == "AB"

    # answer a question
    asr.tabs.setCurrentIndex(0)
    asr.activateWindow()
    qtbot.waitUntil(asr.isActiveWindow)
    first = next(rows.case_at(i) for i in range(2) if rows.case_at(i).reference == "X100001")
    asr.case_list.select(first.id)
    asr.case_form.focus("C1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: asr.save_indicator.text().startswith("Saved"))
    assert asr.unexported.text().endswith("not exported")

    # export now
    asr.tabs.setCurrentWidget(sync)
    idle(qtbot, asr)  # showing the tab looks at the shared folder again
    sync.export_button.click()
    qtbot.waitUntil(lambda: "exported to" in sync.export_message.text(), timeout=10_000)
    idle(qtbot, asr)
    exported = sorted(shared.glob("pd-events-*.pdpkg"))
    assert len(exported) == 1
    assert str(exported[0]) in sync.export_message.text()
    assert "2 cases, 1 answer" in sync.export_message.text()
    assert sync.outbox_model.rowCount() == 1
    assert cells(sync.outbox_model, 0)[2].startswith("Yes, ")
    # in the shared folder, not yet merged: the bar does not pretend the lead has it
    assert asr.unexported.text() == "All changes in the shared folder, waiting for the team lead"
    qtmodeltester.check(sync.outbox_model)
    assert unnamed(asr) == []

    # -- comments sent back by the team lead reach the case form --------------------------
    me = fieldwork(asr)
    with lead.workspace.store.unit_of_work() as uow:  # what merging the export will record
        uow.team.remember_device(
            KnownDevice(
                asr.workspace.device_id, "AB", "inspector", b64(me.keys.signing_public),
                b64(me.keys.encryption_public), datetime(2025, 10, 8, 9, 0),
            )
        )  # fmt: skip
    fieldwork(lead).create_sendback(
        inspection.id, asr.workspace.device_id,
        [SendbackComment(first.id, "Please say where the risk assessment was found.")], [],
        shared, "TL",
    )  # fmt: skip
    sync.rescan_button.click()
    idle(qtbot, asr)
    # sorted by file name: pd-sendback-… before pd-setup-…
    assert [cells(incoming, i)[0] for i in range(2)] == [
        "Comments from the team lead",
        "Setup pack",
    ]
    assert cells(incoming, 0)[2] == lead_fp
    sync.incoming_view.selectRow(0)
    sync.open_button.click()
    idle(qtbot, asr)
    assert "Opened 1 comment from your team lead" in sync.incoming_message.text()
    asr.tabs.setCurrentIndex(0)
    asr.case_list.select(first.id)
    form = asr.case_form
    assert form.comments.isVisibleTo(asr)
    assert "where the risk assessment was found" in form.comments.text.text()
    # The lead's comment puts the case on the assessor's to-do list until marked done.
    model = asr.case_list.model
    assert model.index(model.row_of(first.id), 4).data() == "1"
    form.comments.done_button.click()
    assert model.index(model.row_of(first.id), 4).data() == ""
    assert form.comments.isVisibleTo(asr) and "(done " in form.comments.text.text()
    assert boxes == []


# -- an assessor with an inspection, set up through the services ------------------------------


@pytest.fixture
def assessor(make_window: Callable[[str], MainWindow], shared: Path, qtbot: QtBot) -> MainWindow:
    lead = make_window("lead")
    inspection = lead_inspection(lead)
    lw = fieldwork(lead)
    lw.set_team(inspection.id, [Assessor("AB", "inspector")])
    lw.add_sample_case(inspection.id, "X200001", FACTS, "Plymouth", "AB")
    pack = lw.create_setup_pack(inspection.id, PASSPHRASE, shared, "TL")
    asr = make_window("assessor")
    fieldwork(asr).open_setup_pack(pack, PASSPHRASE, "AB", lw.enrolment_codes(inspection.id)["AB"])
    asr.reload_inspections(select=inspection.id)
    assert asr.sync.set_shared_folder(str(shared))
    asr.tabs.setCurrentWidget(asr.sync)
    idle(qtbot, asr)
    return asr


@pytest.mark.logs_warnings
def test_an_unreachable_shared_folder_keeps_the_package_until_copy_pending(
    qtbot: QtBot, assessor: MainWindow, tmp_path: Path, boxes: list[Box]
) -> None:
    sync = assessor.sync
    offline = tmp_path / "offline"
    assert sync.set_shared_folder(str(offline))
    assert "not reachable now" in sync.folder_message.text()
    idle(qtbot, assessor)
    sync.export_button.click()
    qtbot.waitUntil(lambda: "not copied" in sync.export_message.text(), timeout=10_000)
    idle(qtbot, assessor)
    text = sync.export_message.text()
    assert f"The shared folder {offline} is not reachable" in text
    assert "is in the outbox" in text
    assert sync.outbox_model.rowCount() == 1
    assert cells(sync.outbox_model, 0)[2] == "Not yet"
    waiting = list(fieldwork(assessor).paths.outbox.glob("pd-events-*.pdpkg"))
    assert len(waiting) == 1

    offline.mkdir()
    sync.copy_button.click()
    idle(qtbot, assessor)
    assert sync.export_message.text() == f"Copied 1 package to {offline}."
    assert (offline / waiting[0].name).read_bytes() == waiting[0].read_bytes()
    assert cells(sync.outbox_model, 0)[2].startswith("Yes, ")
    sync.copy_button.click()
    idle(qtbot, assessor)
    assert sync.export_message.text() == "No package was waiting to be copied."
    assert boxes == []


def test_a_cancelled_export_changes_nothing_and_a_second_operation_is_refused(
    qtbot: QtBot, assessor: MainWindow, monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    sync, runner, fw = assessor.sync, assessor.runner, fieldwork(assessor)
    unexported = assessor.workspace.unexported_count()
    gate = threading.Event()
    collect = fw.build_events_payload

    def held(inspection_id: str) -> Any:
        assert gate.wait(10)
        return collect(inspection_id)

    monkeypatch.setattr(fw, "build_events_payload", held)
    sync.export_button.click()
    assert runner.busy
    assert not sync.copy_pending()  # one operation at a time
    assert assessor.statusBar().currentMessage().startswith("Please wait: Exporting")
    runner.cancel()
    assert not runner.dialog.cancel_button.isEnabled()
    gate.set()
    idle(qtbot, assessor)
    assert sync.export_message.text() == "Cancelled: nothing was changed."
    assert sync.outbox_model.rowCount() == 0
    assert fw.outbox() == []
    assert list(fw.paths.outbox.iterdir()) == []
    assert list(shared.glob("pd-events-*")) == []
    assert assessor.workspace.unexported_count() == unexported


# -- the runner on its own ------------------------------------------------------------------


def test_the_runner_shows_progress_late_cancels_and_reports_failures(
    qtbot: QtBot,
    make_window: Callable[[str], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
    boxes: list[Box],
) -> None:
    window = make_window("runner")
    runner = window.runner
    done: list[object] = []
    errors: list[Exception] = []

    # a quick job: no dialog at all (however slow the machine: the job ends before the delay)
    runner._show_timer.setInterval(60_000)
    assert runner.run("Quick", lambda p, c: 42, done.append, errors.append)
    qtbot.waitUntil(lambda: done == [42])
    assert not runner.busy and not runner.dialog.isVisible()
    runner._show_timer.setInterval(SHOW_AFTER_MS)

    # a slow job: the dialog appears, shows progress, and its Cancel button stops the work
    started = threading.Event()

    def slow(progress: Callable[[int, int, str], None], cancelled: Callable[[], bool]) -> str:
        progress(1, 4, "Step one of four")
        started.set()
        while not cancelled():
            threading.Event().wait(0.01)
        return "stopped"

    assert runner.run("Slow", slow, done.append, errors.append)
    qtbot.waitUntil(runner.dialog.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: runner.dialog.label.text() == "Step one of four")
    assert (runner.dialog.bar.value(), runner.dialog.bar.maximum()) == (1, 4)
    assert runner.dialog.windowTitle() == "Slow"
    assert runner.dialog.isModal()
    runner.dialog.cancel_button.click()
    qtbot.waitUntil(lambda: done == [42, "stopped"])
    assert not runner.dialog.isVisible() and not runner.busy

    # an exception in the worker reaches on_error on the GUI thread
    def boom(progress: Callable[[int, int, str], None], _c: Callable[[], bool]) -> None:
        progress(1, 2, "Half way")
        raise ZeroDivisionError("worker failed")

    assert runner.run("Boom", boom, done.append, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ZeroDivisionError)
    assert not runner.busy and not runner.dialog.isVisible()

    # without on_error: an expected failure is a message, a bug goes to the crash hook
    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: hooked.append(exc))

    def offline(_p: object, _c: object) -> None:
        raise EnvironmentProblem("The shared folder is not reachable.")

    assert runner.run("Expected", offline, done.append)
    qtbot.waitUntil(lambda: len(boxes) == 1)
    assert boxes[0].text == "The shared folder is not reachable."
    assert runner.run("Bug", lambda p, c: {}["missing"], done.append)
    qtbot.waitUntil(lambda: len(hooked) == 1)
    assert isinstance(hooked[0], KeyError)
    assert not runner.busy and done == [42, "stopped"]
    assert started.is_set()
