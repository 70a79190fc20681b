"""The Evidence tab: the evidence log with attached files, gaps planned into meetings and closed,
triangulation per question, and the team's judgements with their history.

Real widgets offscreen (pytest-qt) over a real SQLite workspace holding a pdu-core inspection.
Dialogs are driven through their widgets: exec() shows the dialog and runs a script on it; only
the file choosers (QFileDialog) are replaced. Message boxes are recorded, never shown.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from guikit import OpenWindow, cells, drive, press_ok, refused
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.evidence import ATTACHMENT_LIMIT, GapState
from probdesk.domain.records import GroupAttendance, Meeting, MeetingKind
from probdesk.services.evidence import EvidenceLog
from probdesk.ui.evidence import EvidencePanel
from probdesk.ui.evidence.dialogs import DocumentDialog, GapDialog, PlanDialog, TextDialog
from probdesk.ui.evidence.models import MERGE_FIRST
from probdesk.ui.main_window import MainWindow

PDU_CORE = bundled.question_sets_dir() / "pdu-core.yaml"
DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
Ok = QDialogButtonBox.StandardButton.Ok
NOTE = "Caseloads are high: two PO vacancies since the summer, covered by agency staff."


# -- fixtures -------------------------------------------------------------------------------


class Desk:
    """The window on a laptop with a pdu-core inspection and one focus group with a note."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        ws = window.workspace
        ws.set_identity("AB", "team_lead")
        self.inspection = ws.create_inspection(
            "South West", "Plymouth", date(2026, 3, 2), date(2026, 3, 13), PDU_CORE
        )
        self.meeting: Meeting = ws.save_meeting(
            self.inspection.id,
            MeetingKind.FOCUS_GROUP,
            date(2026, 3, 4),
            "Practitioners focus group (POs)",
            [GroupAttendance("practitioners_po", 6)],
            ["N3", "N4"],
        )
        ws.record_meeting_note(self.meeting.id, "N3", NOTE)
        window.reload_inspections(select=self.inspection.id)
        window.tabs.setCurrentWidget(window.evidence)
        self.panel: EvidencePanel = window.evidence
        self.log = EvidenceLog(ws)

    @property
    def iid(self) -> str:
        return self.inspection.id


@pytest.fixture
def make_window(open_window: OpenWindow, tmp_path: Path) -> Callable[..., MainWindow]:
    """A main window on its own data folder under tmp_path (one folder per laptop)."""
    return lambda name="data": open_window(tmp_path / name)


@pytest.fixture
def desk(make_window: Callable[[str], MainWindow]) -> Desk:
    return Desk(make_window("data"))


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.clear()
    qtbot.keyClicks(widget, text)


def check(items: QListWidget, *ids: str, on: bool = True) -> None:
    for i in range(items.count()):
        item = items.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in ids:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def checked(items: QListWidget) -> list[str]:
    return [
        str(items.item(i).data(Qt.ItemDataRole.UserRole))
        for i in range(items.count())
        if items.item(i).checkState() == Qt.CheckState.Checked
    ]


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(
        "probdesk.ui.evidence.dialogs.QFileDialog.getOpenFileName",
        staticmethod(lambda *_a, **_k: (str(path), "All files (*)")),
    )


def select(qtbot: QtBot, view: Any, row: int) -> None:
    view.setFocus()
    view.selectRow(row)
    QApplication.processEvents()


# -- 1. the evidence log ----------------------------------------------------------------------


def test_a_document_with_its_file_is_logged_saved_and_withdrawn(
    qtbot: QtBot, desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    panel = desk.panel
    assert desk.window.tabs.isTabVisible(desk.window.tabs.indexOf(panel))
    assert desk.window.tabs.tabText(desk.window.tabs.indexOf(panel)) == "Evidence and &judgements"
    plan = tmp_path / "Workforce plan 2026.pdf"
    plan.write_bytes(b"%PDF-1.7 fictional workforce plan\n" * 4000)
    big = tmp_path / "Scanned survey.pdf"
    with big.open("wb") as f:  # sparse: 10 MB and one byte, written in no time
        f.truncate(ATTACHMENT_LIMIT + 1)

    def log_plan(d: DocumentDialog) -> None:
        type_into(qtbot, d.title, "Workforce plan 2026")
        d.kind.setCurrentIndex(d.kind.findText("Plan"))
        d.received.setDate(QDate(2026, 2, 20))
        assert checked(d.informs) == ["1.1"]  # the question chosen on the tab, to start with
        check(d.informs, "1.2", "N3")
        check(d.informs, "1.1", on=False)
        choose_file(monkeypatch, plan)
        qtbot.mouseClick(d.choose_button, Qt.MouseButton.LeftButton)
        assert d.file_label.text() == "Workforce plan 2026.pdf (0.2 MB)"
        press_ok(d)

    def log_too_big(d: DocumentDialog) -> None:
        type_into(qtbot, d.title, "Staff survey results")
        d.kind.setCurrentIndex(d.kind.findText("Staff survey"))
        check(d.informs, "1.2")
        choose_file(monkeypatch, big)
        qtbot.mouseClick(d.choose_button, Qt.MouseButton.LeftButton)
        assert "over the 10 MB limit" in d.file_label.text()
        press_ok(d)
        refused(d, "Scanned survey.pdf is 10.1 MB", "at most 10 MB", "Nothing was saved")
        assert d.title.text() == "Staff survey results"  # what was typed is still there

    dialogs = drive(monkeypatch, DocumentDialog, log_plan, log_too_big)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.document_model.rowCount() == 1
    assert cells(panel.document_model, 0) == [
        "20 Feb 2026", "Plan", "Workforce plan 2026", "1.2, N3",
        "Workforce plan 2026.pdf (0.2 MB)", "",
    ]  # fmt: skip
    (doc,) = desk.log.documents(desk.iid)
    assert (doc.title, doc.kind, doc.informs) == ("Workforce plan 2026", "Plan", ("1.2", "N3"))
    assert doc.attachment_sha256 == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert "Saved" in desk.window.save_indicator.text()

    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert len(dialogs.opened) == 2 and not dialogs.opened[1].isVisible()
    assert len(desk.log.documents(desk.iid)) == 1
    assert panel.document_model.rowCount() == 1

    # the attached file comes back out, byte for byte
    select(qtbot, panel.document_view, 0)
    assert panel.save_file_button.isEnabled()
    out = tmp_path / "out" / "plan.pdf"
    out.parent.mkdir()
    monkeypatch.setattr(
        "probdesk.ui.evidence.log_section.QFileDialog.getSaveFileName",
        staticmethod(lambda *_a, **_k: (str(out), "")),
    )
    qtbot.mouseClick(panel.save_file_button, Qt.MouseButton.LeftButton)
    assert out.read_bytes() == plan.read_bytes()
    assert str(out) in panel.log_message.text()

    # withdrawn: a reason is required; it stays in the log and informs nothing any more
    def no_reason(d: TextDialog) -> None:
        press_ok(d)
        refused(d, "Say why the document is withdrawn")

    def reason(d: TextDialog) -> None:
        type_into(qtbot, d.text, "Replaced by the March version")
        press_ok(d)

    drive(monkeypatch, TextDialog, no_reason, reason)
    qtbot.mouseClick(panel.withdraw_button, Qt.MouseButton.LeftButton)
    assert not desk.log.documents(desk.iid)[0].withdrawn
    select(qtbot, panel.document_view, 0)
    qtbot.mouseClick(panel.withdraw_button, Qt.MouseButton.LeftButton)
    assert cells(panel.document_model, 0)[5] == "Withdrawn: Replaced by the March version"
    assert desk.log.documents(desk.iid)[0].withdrawn
    assert not panel.withdraw_button.isEnabled()
    panel.choose_question("1.2")
    assert "Workforce plan" not in panel.documents_text.text()


# -- 2. gaps ------------------------------------------------------------------------------------


def test_gaps_are_planned_into_a_meeting_answered_and_closed_with_a_reason(
    qtbot: QtBot, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = desk.panel

    def raise_on(qid: str, text: str) -> Callable[[GapDialog], None]:
        def script(d: GapDialog) -> None:
            d.question.setCurrentIndex(d.question.findData(qid))
            type_into(qtbot, d.text, text)
            press_ok(d)

        return script

    def empty(d: GapDialog) -> None:
        press_ok(d)
        refused(d, "Say what is missing")

    drive(
        monkeypatch,
        GapDialog,
        empty,
        raise_on("N3", "Vacancy figures behind the workforce plan"),
        raise_on("1.1.b", "Which audits led to changes?"),
    )
    for _ in range(3):
        qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
    assert panel.gap_model.rowCount() == 2
    assert [cells(panel.gap_model, r)[:3] for r in range(2)] == [
        ["N3", "Vacancy figures behind the workforce plan", "Open"],
        ["1.1.b", "Which audits led to changes?", "Open"],
    ]
    first, second = desk.log.gaps(desk.iid)

    # planned into the focus group, then answered
    def plan(d: PlanDialog) -> None:
        assert d.meeting.count() == 1
        assert "Practitioners focus group (POs)" in d.meeting.currentText()
        press_ok(d)

    drive(monkeypatch, PlanDialog, plan)
    select(qtbot, panel.gap_view, 0)
    qtbot.mouseClick(panel.plan_button, Qt.MouseButton.LeftButton)
    assert cells(panel.gap_model, 0)[2:4] == [
        "Planned",
        "Practitioners focus group (POs) (4 Mar 2026)",
    ]
    assert desk.log.gaps(desk.iid)[0].meeting_id == desk.meeting.id

    def answered(d: TextDialog) -> None:
        type_into(qtbot, d.text, "Two PO vacancies; figures in the March return")
        press_ok(d)

    drive(monkeypatch, TextDialog, answered)
    select(qtbot, panel.gap_view, 0)
    qtbot.mouseClick(panel.answer_button, Qt.MouseButton.LeftButton)
    assert cells(panel.gap_model, 0)[2] == "Answered"
    assert cells(panel.gap_model, 0)[4] == "Two PO vacancies; figures in the March return"
    select(qtbot, panel.gap_view, 0)
    assert not panel.plan_button.isEnabled() and not panel.close_button.isEnabled()

    # closed: refused without a reason, then closed with one
    def no_reason(d: TextDialog) -> None:
        type_into(qtbot, d.text, "   ")
        press_ok(d)
        refused(d, "Give the reason for closing this gap")

    def reason(d: TextDialog) -> None:
        type_into(qtbot, d.text, "The audit log arrived with the documents")
        press_ok(d)

    drive(monkeypatch, TextDialog, no_reason, reason)
    select(qtbot, panel.gap_view, 1)
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert desk.log.gaps(desk.iid)[1].state is GapState.OPEN
    select(qtbot, panel.gap_view, 1)
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    closed = desk.log.gaps(desk.iid)[1]
    assert (closed.id, closed.state, closed.reason) == (
        second.id, GapState.CLOSED, "The audit log arrived with the documents",
    )  # fmt: skip
    assert cells(panel.gap_model, 1)[2:] == [
        "Closed", "", "Closed: The audit log arrived with the documents",
    ]  # fmt: skip

    # open only: neither is open any more
    panel.open_only.setChecked(True)
    assert panel.gap_model.rowCount() == 0
    panel.open_only.setChecked(False)
    assert [g.id for g in panel.gap_model.rows] == [first.id, second.id]


def test_planning_without_a_meeting_says_where_to_add_one(
    qtbot: QtBot, make_window: Callable[[str], MainWindow]
) -> None:
    window = make_window("data")
    ws = window.workspace
    ws.set_identity("AB", "inspector")
    insp = ws.create_inspection(
        "South West", "Dorset", date(2026, 3, 2), date(2026, 3, 6), PDU_CORE
    )
    EvidenceLog(ws).raise_gap(insp.id, "1.3", "Commissioned services list")
    window.reload_inspections(select=insp.id)
    window.tabs.setCurrentWidget(window.evidence)
    panel = window.evidence
    select(qtbot, panel.gap_view, 0)
    qtbot.mouseClick(panel.plan_button, Qt.MouseButton.LeftButton)  # no dialog opens
    assert panel.gap_message.isVisible()
    assert "add one on the Meetings and focus groups tab first" in panel.gap_message.text()


# -- 3. triangulation and judgement -------------------------------------------------------------


def test_judgements_are_recorded_by_people_with_their_history(qtbot: QtBot, desk: Desk) -> None:
    panel = desk.panel
    panel.choose_question("1.2")
    assert panel.rating.isEditable() is False
    assert [panel.rating.itemText(i) for i in range(panel.rating.count())] == [
        "Outstanding", "Good", "Requires improvement", "Inadequate",
    ]  # fmt: skip
    assert panel.rating.currentIndex() == -1
    assert "No judgement recorded yet" in panel.current_text.text()

    # no rating chosen: refused, what was typed stays
    type_into(qtbot, panel.rationale, "Caseloads high but managed.")
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.judge_message.isVisible()
    assert "Choose a rating" in panel.judge_message.text()
    assert panel.rationale.toPlainText() == "Caseloads high but managed."
    assert desk.log.judgement(desk.iid, "1.2") is None

    panel.rating.setCurrentIndex(panel.rating.findText("Good"))
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    panel.rating.setCurrentIndex(panel.rating.findText("Requires improvement"))
    type_into(qtbot, panel.rationale, "Vacancies leave POs with 60+ cases; oversight is thin.")
    panel.record_button.setFocus()
    qtbot.keyClick(panel.record_button, Qt.Key.Key_Space)  # the keyboard works too

    history = desk.log.judgement_history(desk.iid, "1.2")
    assert [(j.rating, j.rationale, j.recorded_by) for j in history] == [
        ("Good", "Caseloads high but managed.", "AB"),
        ("Requires improvement", "Vacancies leave POs with 60+ cases; oversight is thin.", "AB"),
    ]
    shown = panel.history.toPlainText()  # newest first, who, when, rating and rationale
    newest = shown.index("Requires improvement · AB · ")
    oldest = shown.index("Good · AB · ")
    assert newest < oldest
    assert shown.index("Vacancies leave POs with 60+ cases; oversight is thin.") < oldest
    assert "Caseloads high but managed." in shown[oldest:]
    assert "2 judgements, newest first" in panel.history_label.text()
    assert "Current: <b>Requires improvement</b>" in panel.current_text.text()
    assert "Recorded the judgement on 1.2: Requires improvement." in panel.judge_message.text()

    # a draft on another question survives switching away and back
    panel.choose_question("1.1")
    assert panel.rationale.toPlainText() == ""
    type_into(qtbot, panel.rationale, "Vision well known by staff.")
    panel.choose_question("N1")
    assert "Drafts not recorded yet on 1.1" in panel.draft_text.text()
    panel.choose_question("1.1")
    assert panel.rationale.toPlainText() == "Vision well known by staff."
    assert panel.draft_text.text() == "Draft: not recorded yet."
    panel.choose_question("1.2")
    assert panel.rating.currentText() == "Requires improvement"


def test_triangulation_of_a_non_case_question_lines_up_its_evidence(
    qtbot: QtBot, desk: Desk
) -> None:
    panel = desk.panel
    desk.log.add_document(desk.iid, "Caseload report", "Performance data", date(2026, 2, 1), ["N3"])
    desk.log.add_document(desk.iid, "Leadership strategy", "Policy", date(2026, 2, 1), ["1.1"])
    desk.log.raise_gap(desk.iid, "N3", "Agency staff numbers")
    panel.refresh()
    panel.choose_question("N3")
    assert panel.triangulation is not None and panel.triangulation.question_id == "N3"
    assert "N3 Staffing" in panel.question_text.text()
    notes = panel.notes_text.text()
    assert "<b>Probation officers (PO)</b>" in notes
    assert "Practitioners focus group (POs) (focus group, 4 Mar 2026, 6 attended)" in notes
    assert "Caseloads are high: two PO vacancies" in notes
    docs = panel.documents_text.text()
    assert "Caseload report" in docs and "Leadership strategy" not in docs
    assert "Agency staff numbers" in panel.open_gaps_text.text()
    assert panel.findings_text.text() == MERGE_FIRST
    assert not panel.findings_view.isVisible()

    # a survey figure entered by hand, then changed by entering the same name
    type_into(qtbot, panel.survey_label, "Workload is manageable")
    type_into(qtbot, panel.survey_value, "41%")
    qtbot.keyClick(panel.survey_value, Qt.Key.Key_Return)
    assert cells(panel.survey_model, 0) == ["Workload is manageable", "41%", "N3"]
    select(qtbot, panel.survey_view, 0)
    assert panel.survey_label.text() == "Workload is manageable"
    type_into(qtbot, panel.survey_value, "44%")
    qtbot.mouseClick(panel.survey_button, Qt.MouseButton.LeftButton)
    assert panel.survey_model.rowCount() == 1
    assert [(s.label, s.value) for s in desk.log.surveys(desk.iid)] == [
        ("Workload is manageable", "44%")
    ]
    # a figure without a name is refused in the panel
    type_into(qtbot, panel.survey_value, "12")
    qtbot.mouseClick(panel.survey_button, Qt.MouseButton.LeftButton)
    assert "Name the survey figure" in panel.survey_message.text()
    assert panel.survey_value.text() == "12"

    # the key question gathers its linked non-case questions' notes
    panel.choose_question("1.2")
    assert "Caseloads are high" in panel.notes_text.text()
    assert " on N3:" in panel.notes_text.text()


def test_a_set_without_ratings_takes_free_text_and_the_tab_follows_the_set(
    qtbot: QtBot, make_window: Callable[[str], MainWindow]
) -> None:
    window = make_window("data")
    ws = window.workspace
    ws.set_identity("AB", "inspector")
    insp = ws.create_inspection("Wales", "Cardiff", date(2026, 3, 2), date(2026, 3, 6), DIPP)
    window.reload_inspections(select=insp.id)
    tabs, panel = window.tabs, window.evidence
    assert tabs.isTabVisible(tabs.indexOf(panel))  # non-case questions: evidence to gather
    tabs.setCurrentWidget(panel)
    qs = ws.question_set(insp)
    assert not qs.domain_one and panel.question_combo.count() == len(qs.non_case_questions)
    assert panel.rating.isEditable()
    type_into(qtbot, panel.rationale, "Police answer within a week.")
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    judgement = EvidenceLog(ws).judgement(insp.id, panel.current_question() or "")
    assert judgement is not None and judgement.rating == ""
    assert "no rating" in panel.current_text.text()


# -- 4. well-behaved and named --------------------------------------------------------------------


def test_models_pass_the_model_tester_and_every_control_is_named(
    qtbot: QtBot, qtmodeltester: ModelTester, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = desk.panel
    desk.log.add_document(desk.iid, "Caseload report", "Performance data", date(2026, 2, 1), ["N3"])
    desk.log.raise_gap(desk.iid, "N3", "Agency staff numbers")
    desk.log.record_survey(desk.iid, "N3", "Workload is manageable", "41%")
    desk.log.record_judgement(desk.iid, "N3", "Good", "Enough staff.")
    panel.refresh()
    panel.choose_question("N3")
    for model in (panel.document_model, panel.gap_model, panel.survey_model):
        assert model.rowCount() == 1
        qtmodeltester.check(model)
    qtmodeltester.check(panel.finding_model)

    def unnamed(root: QWidget) -> list[str]:
        kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QListWidget)
        out = []
        for w in root.findChildren(QWidget):
            parent = w.parentWidget()
            inner = isinstance(parent, QComboBox | QAbstractSpinBox)  # their own line edits
            named = bool(w.accessibleName().strip())
            if isinstance(w, kinds) and w.isVisibleTo(root) and not inner and not named:
                out.append(f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}")
        return out

    assert unnamed(panel) == []
    seen: list[list[str]] = []
    drive(monkeypatch, DocumentDialog, lambda d: seen.append(unnamed(d)))
    drive(monkeypatch, GapDialog, lambda d: seen.append(unnamed(d)))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
    assert seen == [[], []]


# -- 5. the case findings from the hub ----------------------------------------------------------


def test_the_case_findings_come_from_the_hub(
    qtbot: QtBot, tmp_path: Path, make_window: Callable[[str], MainWindow]
) -> None:
    from hubworld import AB, YES, export, merge, setup_inspection, yes_no_questions

    world = setup_inspection(tmp_path / "world", [("A100001", "Plymouth", AB, {})], ["Plymouth"])
    try:
        lt = world.assessors[AB]
        (case,) = lt.ws.cases(world.inspection_id)
        for q in yes_no_questions(lt.ws, case.id, key_only=True):
            lt.ws.record_answer(case.id, q.id, YES)
        lt.ws.submit(case.id)  # finished: the findings count it
        export(world, AB)
        folder = world.folder(world.pool)
        lead_data = world.lead.paths.data
        merge(f"sqlite:///{lead_data / 'hub.sqlite'}", world.lead, folder)
    finally:
        world.close()
    data = tmp_path / "lead-copy"
    shutil.copytree(lead_data, data)
    window = make_window("lead-copy")
    window.reload_inspections(select=world.inspection_id)
    window.tabs.setCurrentWidget(window.evidence)
    panel = window.evidence
    qtbot.waitUntil(lambda: panel.findings_view.isVisible(), timeout=20_000)
    rows = panel.finding_model.rows
    assert rows and all(r.key_question for r in rows)
    first = cells(panel.finding_model, 0)
    assert first[1:4] == ["1 of 1", "100.0%", "Outstanding"]
    assert "% Yes of relevant cases" in panel.findings_text.text()
