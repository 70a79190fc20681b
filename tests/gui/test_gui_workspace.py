"""The main window over a real workspace: inspections, cases, answers, saving, layout.

Real widgets offscreen (pytest-qt), a real SQLite file in the test's data folder. Modal
dialogs never run modally: their exec() is replaced by a script that shows the dialog, fills
it in and presses OK; a dialog that refuses its input stays open and is then cancelled.
Message boxes are recorded instead of shown.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import rawdb
from guikit import INTERACTIVE, Box, OpenWindow, drive, press_ok, refused, unnamed
from PySide6.QtCore import QDate, QEvent, QSize, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.records import CaseStatus, Inspection
from probdesk.paths import Paths
from probdesk.store import database
from probdesk.ui.cases.facts_dialog import FactsDialog
from probdesk.ui.cases.question_row import QuestionRow
from probdesk.ui.main_window import MainWindow
from probdesk.ui.window.new_inspection_dialog import NewInspectionDialog
from probdesk.ui.window.views import cases_sizes

DIPP = next(p for p in bundled.bundled_question_sets() if p.name == "dipp-public-protection.yaml")
ROOT = Path(__file__).resolve().parents[2]

# A core-variant case with every optional branch switched off.
FACTS: dict[str, str] = {
    "sentence_type": "community_order",
    "contact_suspended": "no",
    "rosh_level": "low",
    "domestic_abuse": "no",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
    "tier": "B2",
    "practitioner_grade": "po",
}
# Questions of that case: C1.13 comes last in the assessment section.
CORE_APPLICABLE = {
    "C1", "C1.1", "C1.2", "C1.3", "C1.13",
    "C2", "C2.1", "C2.2", "C2.3", "C2.4",
    "C3", "C3.1", "C3.2", "C3.4",
    "C4", "C4.1", "C4.2", "C4.3", "C4.4",
}  # fmt: skip
DA_CHAIN = ("C1.4", "C1.5", "C1.6")  # requested -> received -> used
SAVED = re.compile(r"^Saved \d\d:\d\d:\d\d$")

Ok = QDialogButtonBox.StandardButton.Ok


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def paths(tmp_data_dir: Path) -> Paths:
    return Paths.resolve(tmp_data_dir)


@pytest.fixture
def make_window(open_window: OpenWindow, paths: Paths) -> Callable[[], MainWindow]:
    """A main window (shown, active) on the test's data folder."""
    return lambda: open_window(paths.data, active=True)


@pytest.fixture
def window(make_window: Callable[[], MainWindow]) -> MainWindow:
    return make_window()


# -- helpers --------------------------------------------------------------------------------


def fill_inspection(
    qtbot: QtBot,
    d: NewInspectionDialog,
    *,
    region: str = "South West",
    pdu: str = "Plymouth",
    start: date = date(2025, 10, 6),
    end: date = date(2025, 10, 17),
    initials: str = "AB",
) -> None:
    d.region.setCurrentIndex(d.region.findText(region))
    d.pdu.clear()
    qtbot.keyClicks(d.pdu, pdu)
    d.start.setDate(QDate(start.year, start.month, start.day))
    d.end.setDate(QDate(end.year, end.month, end.day))
    d.question_set.setCurrentIndex(d.question_set.findData(str(DIPP)))
    d.assessor.clear()
    qtbot.keyClicks(d.assessor, initials)
    d.role.setCurrentIndex(d.role.findData("inspector"))


def fill_facts(qtbot: QtBot, d: FactsDialog, reference: str | None, facts: dict[str, str]) -> None:
    if reference is not None:
        d.reference.clear()
        qtbot.keyClicks(d.reference, reference)
    for fid, widget in d.inputs.items():
        value = facts.get(fid)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, widget.findData(value)))
        else:
            widget.clear()
            if value:
                qtbot.keyClicks(widget, value)


def new_inspection(window: MainWindow, pdu: str = "Plymouth") -> Inspection:
    """Set up through the service (test_new_inspection_dialog_* drive the dialog)."""
    ws = window.workspace
    ws.set_identity("AB", "inspector")
    inspection = ws.create_inspection(
        "South West", pdu, date(2025, 10, 6), date(2025, 10, 17), DIPP
    )
    window.reload_inspections(select=inspection.id)
    return inspection


def add_case(window: MainWindow, reference: str, **facts: str) -> str:
    """Add a case through the service and select it in the list (which opens it)."""
    assert window.inspection is not None
    case = window.workspace.add_case(window.inspection.id, reference, {**FACTS, **facts})
    window.case_list.set_rows(window.workspace.case_rows(window.inspection.id))
    window.case_list.select(case.id)
    assert window.case_form.state is not None
    assert window.case_form.state.case.id == case.id
    return case.id


def focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None, "nothing has keyboard focus"
    return w


def press(
    qtbot: QtBot, key: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(focused(), key, mods)


def type_unicode(text: str) -> None:
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                focused(), QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
            )


def answer_by_key(qtbot: QtBot, window: MainWindow, qid: str, key: Qt.Key) -> None:
    window.case_form.focus(qid)
    assert focused() is window.case_form.rows[qid].answer
    press(qtbot, key)


def row(window: MainWindow, qid: str) -> QuestionRow:
    return window.case_form.rows[qid]


def shown(window: MainWindow, qid: str) -> bool:
    r = row(window, qid)
    visible = r.isVisibleTo(window)
    assert visible is not r.isHidden()
    return visible


def progress(window: MainWindow, case_id: str) -> str:
    model = window.case_list.model
    return str(model.index(model.row_of(case_id), 3).data())


def wait_saved(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: SAVED.match(window.save_indicator.text()) is not None)


# -- 1. new inspection ----------------------------------------------------------------------


def test_new_inspection_dialog_refuses_bad_input_then_creates(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = window.workspace
    assert window.inspection is None
    assert window.inspection_combo.currentData() is None

    def script(d: NewInspectionDialog) -> None:
        fill_inspection(qtbot, d, pdu="")
        press_ok(d)
        refused(d, "Enter the PDU.")
        assert ws.inspections() == []

        fill_inspection(qtbot, d, start=date(2025, 10, 17), end=date(2025, 10, 6))
        press_ok(d)
        refused(d, "end date is before its start date")
        assert ws.inspections() == []

        fill_inspection(qtbot, d)
        press_ok(d)
        assert not d.isVisible()

    drive(monkeypatch, NewInspectionDialog, script)
    created = window.new_inspection()

    assert created is not None
    [stored] = ws.inspections()
    assert stored.id == created.id
    assert (stored.region, stored.pdu) == ("South West", "Plymouth")
    assert (stored.fieldwork_start, stored.fieldwork_end) == (date(2025, 10, 6), date(2025, 10, 17))
    assert stored.qs_id == "dipp-public-protection"
    assert ws.device().assessor == "AB"
    window.reload_inspections()
    items = [window.inspection_combo.itemData(i) for i in range(window.inspection_combo.count())]
    assert items == [created.id]
    assert window.inspection is not None and window.inspection.id == created.id
    assert window.case_list.add_button.isEnabled()


def test_a_regional_inspection_is_created_from_the_dialog(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = window.workspace

    def script(d: NewInspectionDialog) -> None:
        d.kind.setCurrentIndex(d.kind.findData("region"))
        label = d.form.labelForField(d.pdu)
        assert "PDUs sampled" in label.text() and d.pdu.accessibleName() == "PDUs sampled"
        fill_inspection(qtbot, d, pdu="")
        press_ok(d)
        refused(d, "List the PDUs the regional case sample is drawn from.")
        assert ws.inspections() == []
        fill_inspection(qtbot, d, pdu="Plymouth, Devon & Torbay")
        press_ok(d)
        assert not d.isVisible()

    drive(monkeypatch, NewInspectionDialog, script)
    created = window.new_inspection()
    assert created is not None
    [stored] = ws.inspections()
    assert stored.kind == "region"
    assert stored.pdus == ("Plymouth", "Devon & Torbay")
    assert stored.title.startswith("Regional inspection of South West")


def test_cancelled_new_inspection_stores_nothing(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive(monkeypatch, NewInspectionDialog, lambda d: None)  # opened and cancelled
    assert window.new_inspection() is None
    assert window.workspace.inspections() == []


# -- 2. adding cases ------------------------------------------------------------------------


def test_add_case_dialog_messages_and_progress(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspection = new_inspection(window)
    ws = window.workspace
    qs = ws.question_set(inspection)
    n = len(qs.applicable("core", FACTS, {}))
    assert n == len(CORE_APPLICABLE)

    def first(d: FactsDialog) -> None:
        fill_facts(qtbot, d, "", FACTS)
        press_ok(d)
        refused(d, "A case needs a reference")

        fill_facts(qtbot, d, "John Smith", FACTS)
        press_ok(d)
        refused(d, "'John Smith' looks like a person's name")

        fill_facts(qtbot, d, "X123456", {k: v for k, v in FACTS.items() if k != "tier"})
        press_ok(d)
        text = refused(d, "Tier is required")
        assert "Sentence type" not in text
        assert ws.cases(inspection.id) == []

        fill_facts(qtbot, d, "X123456", FACTS)
        press_ok(d)
        assert not d.isVisible()

    def duplicate(d: FactsDialog) -> None:
        fill_facts(qtbot, d, "X123456", FACTS)
        press_ok(d)
        refused(d, "X123456 is already used in this inspection")
        # the inspector gives up: Cancel

    drive(monkeypatch, FactsDialog, first, duplicate)
    window.add_case()
    [case] = ws.cases(inspection.id)
    model = window.case_list.model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == "X123456"
    assert model.index(0, 1).data() == "Core questions"
    assert model.index(0, 2).data() == "Not started"
    assert progress(window, case.id) == f"0 / {n}"
    # the new case is open, with the first question in focus
    assert window.case_form.state is not None and window.case_form.state.case.id == case.id
    assert focused() is row(window, "C1").answer

    window.add_case()
    assert len(ws.cases(inspection.id)) == 1
    assert model.rowCount() == 1


# -- 3. answering by keyboard ---------------------------------------------------------------


def test_answering_by_keyboard_only(qtbot: QtBot, window: MainWindow) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100001")
    ws = window.workspace
    form = window.case_form
    assert progress(window, case_id) == f"0 / {len(CORE_APPLICABLE)}"

    assert form.next_unanswered() == "C1"
    assert focused() is row(window, "C1").answer
    press(qtbot, Qt.Key.Key_Y)
    assert row(window, "C1").answer.value() == "yes"
    assert row(window, "C1").answer.buttons["yes"].isChecked()  # type: ignore[attr-defined]
    assert ws.case_state(case_id).answers == {"C1": "yes"}
    assert SAVED.match(window.save_indicator.text())

    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is row(window, "C1").note
    qtbot.keyClicks(focused(), "Risk to partner analysed")
    qtbot.waitUntil(lambda: ws.case_state(case_id).notes.get("C1") == "Risk to partner analysed")

    press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert focused() is row(window, "C1.1").answer
    press(qtbot, Qt.Key.Key_A)  # a yes/no question has no Not applicable: ignored
    assert row(window, "C1.1").answer.value() is None
    press(qtbot, Qt.Key.Key_N)
    assert row(window, "C1.1").answer.value() == "no"

    press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert focused() is row(window, "C1.2").answer

    answer_by_key(qtbot, window, "C2.3", Qt.Key.Key_N)  # a yes / no / not applicable prompt
    assert row(window, "C2.3").answer.value() == "no"
    press(qtbot, Qt.Key.Key_A)
    assert row(window, "C2.3").answer.value() == "na"
    assert row(window, "C2.3").answer.buttons["na"].isChecked()  # type: ignore[attr-defined]

    wait_saved(qtbot, window)
    assert progress(window, case_id) == f"3 / {len(CORE_APPLICABLE)}"
    assert "3 of 19 answered" in form.progress.text()
    state = ws.case_state(case_id)
    assert state.answers == {"C1": "yes", "C1.1": "no", "C2.3": "na"}
    assert state.notes == {"C1": "Risk to partner analysed"}
    assert state.case.status is CaseStatus.IN_PROGRESS
    assert window.saver.pending == 0
    assert window.banner.isHidden()


# -- 4. conditional questions ---------------------------------------------------------------


def test_conditional_questions_follow_facts_and_answers(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100002", domestic_abuse="no")
    assert not any(shown(window, q) for q in DA_CHAIN)
    assert shown(window, "C1.3") and shown(window, "C1.13")

    def yes_to_da(d: FactsDialog) -> None:
        assert d.reference.isReadOnly()
        fill_facts(qtbot, d, None, {**FACTS, "domestic_abuse": "yes"})
        press_ok(d)

    drive(monkeypatch, FactsDialog, yes_to_da)
    qtbot.mouseClick(window.case_form.facts_button, Qt.MouseButton.LeftButton)
    assert window.workspace.case(case_id).facts["domestic_abuse"] == "yes"
    assert shown(window, "C1.4")  # requested
    assert not shown(window, "C1.5") and not shown(window, "C1.6")
    assert "Asked because" in row(window, "C1.4").condition.text()
    # domestic abuse brings in C1.4 (requested) and C4.5 (reviewing with DA or children)
    da = len(CORE_APPLICABLE) + 2
    assert shown(window, "C4.5")
    assert progress(window, case_id) == f"0 / {da}"

    answer_by_key(qtbot, window, "C1.4", Qt.Key.Key_Y)
    assert shown(window, "C1.5") and not shown(window, "C1.6")
    answer_by_key(qtbot, window, "C1.5", Qt.Key.Key_Y)
    assert all(shown(window, q) for q in DA_CHAIN)
    assert progress(window, case_id) == f"2 / {da + 2}"

    # "requested: No" switches off "received" and, through it, "used", at once
    answer_by_key(qtbot, window, "C1.4", Qt.Key.Key_N)
    assert shown(window, "C1.4")
    assert not shown(window, "C1.5") and not shown(window, "C1.6")
    assert progress(window, case_id) == f"1 / {da}"
    # the hidden answer is kept, and comes back with its question
    assert row(window, "C1.5").answer.value() == "yes"
    answer_by_key(qtbot, window, "C1.4", Qt.Key.Key_Y)
    assert shown(window, "C1.5") and shown(window, "C1.6")

    # and through the service: back to "no" hides the whole chain after a reload
    window.workspace.update_facts(case_id, {**FACTS, "domestic_abuse": "no"})
    window.case_form.load(case_id)
    assert not any(shown(window, q) for q in DA_CHAIN)


# -- 5. switching variant -------------------------------------------------------------------


def test_variant_switch_keeps_answers(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100003")
    answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)
    answer_by_key(qtbot, window, "C1.1", Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "no victim analysis")
    answer_by_key(qtbot, window, "C2", Qt.Key.Key_Y)  # leaving the note saves it
    ws = window.workspace
    assert ws.case_state(case_id).notes == {"C1.1": "no victim analysis"}

    def suspended(value: str) -> Callable[[FactsDialog], None]:
        def script(d: FactsDialog) -> None:
            fill_facts(qtbot, d, None, {**FACTS, "contact_suspended": value})
            press_ok(d)

        return script

    drive(monkeypatch, FactsDialog, suspended("yes"), suspended("no"))
    press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)

    form = window.case_form
    assert ws.case(case_id).variant == "adjusted"
    assert "A1" in form.rows and "C1" not in form.rows
    assert shown(window, "A1") and shown(window, "A4.2")
    assert form.progress.text().startswith("Adjusted questions")
    assert window.case_list.model.index(0, 1).data() == "Adjusted questions"
    [kept] = [
        g
        for g in form.findChildren(QGroupBox)
        if g.accessibleName() == "Answers kept from another variant" and g.isVisibleTo(form)
    ]
    assert kept.isVisibleTo(window)
    lines = [label.text() for label in kept.findChildren(QLabel)]
    assert len(lines) == 3
    assert any("<b>C1</b>" in t and "<i>Yes</i>" in t for t in lines)
    assert any("<b>C1.1</b>" in t and "<i>No</i>" in t for t in lines)
    assert any("<b>C2</b>" in t and "<i>Yes</i>" in t for t in lines)
    assert progress(window, case_id).startswith("0 / ")

    qtbot.mouseClick(form.facts_button, Qt.MouseButton.LeftButton)
    assert ws.case(case_id).variant == "core"
    assert "C1" in form.rows and "A1" not in form.rows
    assert row(window, "C1").answer.value() == "yes"
    assert row(window, "C1.1").answer.value() == "no"
    assert row(window, "C1.1").note.toPlainText() == "no victim analysis"
    assert row(window, "C2").answer.value() == "yes"
    assert not [
        g
        for g in form.findChildren(QGroupBox)
        if g.accessibleName() == "Answers kept from another variant" and g.isVisibleTo(form)
    ]
    assert progress(window, case_id) == f"3 / {len(CORE_APPLICABLE)}"


# -- 6. submit and reopen -------------------------------------------------------------------


def test_submit_needs_key_questions_then_reopen(
    qtbot: QtBot, window: MainWindow, boxes: list[Box], monkeypatch: pytest.MonkeyPatch
) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100004")
    ws = window.workspace
    form = window.case_form
    answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)
    answer_by_key(qtbot, window, "C2.1", Qt.Key.Key_Y)

    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    [box] = boxes
    assert box.kind == "warning"
    assert "X100004 cannot be submitted: 3 applicable key questions are not answered" in box.text
    missing = [line.split(":")[0] for line in box.text.split("\n\n", 1)[1].splitlines()]
    assert missing == ["C2", "C3", "C4"]
    assert "C2: Does planning focus sufficiently on keeping other people safe?" in box.text
    assert ws.case(case_id).status is CaseStatus.IN_PROGRESS
    assert form.submit_button.text() == "&Submit case"

    for qid in ("C2", "C3", "C4"):
        answer_by_key(qtbot, window, qid, Qt.Key.Key_N)
    qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    # Unanswered prompts do not block: the assessor is asked (the recorder answers Yes).
    assert [b.kind for b in boxes] == ["warning", "question"]
    assert boxes[1].title == "Submit with unanswered prompts?"
    assert "applicable prompts are not answered in case X100004" in boxes[1].text
    assert ws.case(case_id).status is CaseStatus.SUBMITTED
    assert form.submit_button.hasFocus()  # focus stays in the form, on Reopen case
    assert window.case_list.model.index(0, 2).data() == "Submitted"
    body = form.questions_area.widget()
    assert not body.isEnabled()
    assert not row(window, "C1").answer.isEnabled()
    assert form.submit_button.accessibleName() == "Reopen case"
    assert "Submitted" in form.progress.text()

    window.edit_facts()  # Ctrl+E on a submitted case: no dialog, a message says to reopen
    assert boxes[-1].kind == "information"
    assert "X100004 is submitted; reopen it" in boxes[-1].text
    assert ws.case(case_id).facts["rosh_level"] == "low"

    qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    assert ws.case(case_id).status is CaseStatus.IN_PROGRESS
    assert window.case_list.model.index(0, 2).data() == "In progress"
    assert form.questions_area.widget().isEnabled()
    assert form.facts_button.isEnabled()
    assert form.submit_button.accessibleName() == "Submit case"
    assert row(window, "C4").answer.value() == "no"
    assert len(boxes) == 3


def test_a_submitted_case_offers_no_facts_button(qtbot: QtBot, window: MainWindow) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100016")
    for qid in ("C1", "C2", "C3", "C4"):
        answer_by_key(qtbot, window, qid, Qt.Key.Key_Y)
    window.case_form.submit_or_reopen()
    assert window.workspace.case(case_id).status is CaseStatus.SUBMITTED
    assert not window.case_form.facts_button.isEnabled()


# -- 7. everything typed is there for a new process -----------------------------------------

READ_BACK = """
import json, sys
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
ws = Workspace.open(Paths.resolve(sys.argv[1]))
out = {}
for i in ws.inspections():
    for c in ws.cases(i.id):
        s = ws.case_state(c.id)
        out[c.reference] = {"status": c.status.value, "answers": s.answers, "notes": s.notes}
ws.close()
print(json.dumps(out, default=str))
"""


def test_a_new_process_reads_everything_typed(
    qtbot: QtBot, window: MainWindow, paths: Paths
) -> None:
    new_inspection(window)
    add_case(window, "X100005")
    answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Caf")
    type_unicode("é")  # QTest's key clicks take ASCII only
    qtbot.keyClicks(focused(), ": partner named; ")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.keyClicks(focused(), "second line")
    press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)  # leaves the note
    press(qtbot, Qt.Key.Key_N)
    answer_by_key(qtbot, window, "C2.3", Qt.Key.Key_A)

    add_case(window, "X100006")  # switching case keeps the first case's answers
    answer_by_key(qtbot, window, "C4", Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "typed just before closing")
    window.close()
    window.workspace.close()

    proc = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(paths.data)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got == {
        "X100005": {
            "status": "in_progress",
            "answers": {"C1": "yes", "C1.1": "no", "C2.3": "na"},
            "notes": {"C1": "Café: partner named; \nsecond line"},
        },
        "X100006": {
            "status": "in_progress",
            "answers": {"C4": "no"},
            "notes": {"C4": "typed just before closing"},
        },
    }


# -- 8. the models are well-behaved Qt models -----------------------------------------------


def save_a_meeting(qtbot: QtBot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.meetings)
    editor = window.meetings.editor
    qtbot.keyClicks(editor.title, "Practitioners focus group")
    spins = list(editor.counts.values())
    spins[2].setValue(6)
    spins[3].setValue(4)
    editor.questions.item(0).setCheckState(Qt.CheckState.Checked)
    editor.questions.item(4).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.meeting is not None
    assert window.meetings.model.rowCount() == 1
    assert set(editor.notes) == {"N1", "N5"}


def test_tab_in_the_meeting_editor_goes_down_the_page(qtbot: QtBot, window: MainWindow) -> None:
    """Kind, date, title, every head count row by row, the questions, Save details, then the
    notes (#17: the head counts came after the notes)."""
    new_inspection(window)
    save_a_meeting(qtbot, window)
    editor = window.meetings.editor
    wanted = [editor.kind, editor.held_on, editor.title, *editor.counts.values(),
              editor.questions, editor.save_button, *editor.notes.values()]  # fmt: skip
    seen = [editor.kind]
    editor.kind.setFocus()
    for _ in wanted[1:]:
        widget = seen[-1]
        nxt = widget.nextInFocusChain()
        while nxt not in wanted:  # inner parts (a date edit's line edit, a spin's own edit)
            nxt = nxt.nextInFocusChain()
        seen.append(nxt)
    assert seen == wanted


def test_models_pass_the_qt_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow, boxes: list[Box]
) -> None:
    new_inspection(window)
    for ref in ("X100007", "X100008", "X100009"):
        add_case(window, ref)
    answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)
    save_a_meeting(qtbot, window)
    assert boxes == []

    assert window.case_list.model.rowCount() == 3
    qtmodeltester.check(window.case_list.model)
    qtmodeltester.check(window.case_list.proxy)
    qtmodeltester.check(window.meetings.model)
    assert window.browser.model.rowCount() == 4  # the bundled sets
    qtmodeltester.check(window.browser.model)
    row0 = [window.meetings.model.index(0, c).data() for c in range(5)]
    assert row0[1:] == [
        "Focus group",
        "Practitioners focus group",
        "Probation officers (PO) ×6, Probation services officers (PSO) ×4",
        "2",
    ]


# -- 9. accessible names --------------------------------------------------------------------


def test_every_visible_control_has_an_accessible_name(qtbot: QtBot, window: MainWindow) -> None:
    new_inspection(window)
    add_case(window, "X100010", domestic_abuse="yes", mappa_eligible="yes")
    answer_by_key(qtbot, window, "C1.4", Qt.Key.Key_Y)
    save_a_meeting(qtbot, window)
    window.banner.show_message("The database is locked by another program.")

    offenders: dict[str, list[str]] = {}
    checked = 0
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        checked += sum(
            isinstance(w, INTERACTIVE) and w.isVisibleTo(window)
            for w in window.findChildren(QWidget)
        )
        found = unnamed(window)
        if found:
            offenders[window.tabs.tabText(i).replace("&", "")] = found
    assert checked > 100
    # the check itself finds an unnamed control
    window.tabs.setCurrentIndex(0)
    probe = QPushButton("Probe", window.case_form)
    probe.setObjectName("probe")
    probe.show()
    assert unnamed(window) == ["QPushButton(objectName='probe' text='Probe') in 'Views'"]
    probe.deleteLater()
    assert not offenders, "controls without an accessible name:\n" + "\n".join(
        f"[{tab}] {w}" for tab, ws in offenders.items() for w in ws
    )


# -- 10. a failed write ---------------------------------------------------------------------


@pytest.mark.logs_warnings
def test_a_locked_database_keeps_the_answer_and_recovers(
    qtbot: QtBot,
    make_window: Callable[[], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
    paths: Paths,
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    window = make_window()
    new_inspection(window)
    case_id = add_case(window, "X100011")
    ws = window.workspace

    locker = rawdb.connect(paths.data / database.DB_NAME, isolation_level=None, timeout=1)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with qtbot.captureExceptions() as escaped:
            answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)

            assert window.banner.isVisible()
            assert "locked by another program" in window.banner.message.text()
            assert window.save_indicator.text() == "NOT SAVED (1 pending)"
            assert window.saver.pending == 1
            assert row(window, "C1").answer.value() == "yes"
            assert row(window, "C1").answer.buttons["yes"].isChecked()  # type: ignore[attr-defined]
            # a second change waits behind the first
            answer_by_key(qtbot, window, "C1.1", Qt.Key.Key_N)
            assert window.save_indicator.text() == "NOT SAVED (2 pending)"
            assert row(window, "C1.1").answer.value() == "no"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    # Known bug, see test_nothing_escapes_a_slot_while_the_store_is_locked: only that one.
    assert {type(e[1]) for e in escaped} <= {database.StoreWriteError}
    assert ws.case_state(case_id).answers == {}  # nothing was half-written

    qtbot.mouseClick(window.banner.retry, Qt.MouseButton.LeftButton)
    assert window.banner.isHidden()
    assert SAVED.match(window.save_indicator.text())
    assert window.saver.pending == 0
    assert ws.case_state(case_id).answers == {"C1": "yes", "C1.1": "no"}
    assert ws.case(case_id).status is CaseStatus.IN_PROGRESS
    # the case list, not refreshed while the store was locked, catches up with the next change
    answer_by_key(qtbot, window, "C1.2", Qt.Key.Key_Y)
    assert progress(window, case_id) == f"3 / {len(CORE_APPLICABLE)}"


@pytest.mark.logs_warnings
def test_nothing_escapes_a_slot_while_the_store_is_locked(
    qtbot: QtBot,
    make_window: Callable[[], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
    paths: Paths,
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    window = make_window()
    new_inspection(window)
    add_case(window, "X100017")
    locker = rawdb.connect(paths.data / database.DB_NAME, isolation_level=None, timeout=1)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with qtbot.captureExceptions() as escaped:
            answer_by_key(qtbot, window, "C1", Qt.Key.Key_Y)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert window.banner.isVisible()
    assert [str(e[1]) for e in escaped] == []


# -- 11. layout remembered ------------------------------------------------------------------


def test_layout_and_last_case_are_remembered(
    qtbot: QtBot, make_window: Callable[[], MainWindow]
) -> None:
    window = make_window()
    first = new_inspection(window, "Plymouth")
    second = new_inspection(window, "Exeter")
    window.reload_inspections(select=first.id)
    # choose the other inspection from the combo by keyboard
    window.inspection_combo.setFocus()
    order = [window.inspection_combo.itemData(i) for i in range(window.inspection_combo.count())]
    press(
        qtbot, Qt.Key.Key_Down if order.index(second.id) > order.index(first.id) else Qt.Key.Key_Up
    )
    assert window.inspection is not None and window.inspection.id == second.id
    add_case(window, "X100012")
    wanted = add_case(window, "X100013")
    add_case(window, "X100014")
    window.case_list.select(wanted)

    # Qt fits a restored window into the screen, and the offscreen screen is 800 px wide:
    # the narrowest the window can be is the width that it can be restored to exactly.
    window.resize(window.minimumSizeHint().width(), 700)
    window.move(12, 34)
    window.fit_to_screen()  # what a restored window gets too: inside the screen, frame and all
    window.cases_splitter.setSizes([250, 700, 200])
    QApplication.processEvents()
    sizes = window.cases_splitter.sizes()
    geometry = window.geometry()
    assert geometry.size() != QSize(1400, 860)
    assert sizes != cases_sizes(geometry.width())
    window.close()

    again = make_window()
    assert again.size() == geometry.size()
    assert again.cases_splitter.sizes() == sizes
    assert again.inspection is not None and again.inspection.id == second.id
    assert again.inspection_combo.currentData() == second.id
    assert again.case_form.state is not None
    assert again.case_form.state.case.id == wanted
    current = again.case_list.view.currentIndex()
    assert current.isValid() and current.siblingAtColumn(0).data() == "X100013"


# -- 12. closing while typing ---------------------------------------------------------------


def test_closing_while_typing_a_note_saves_it(qtbot: QtBot, window: MainWindow) -> None:
    new_inspection(window)
    case_id = add_case(window, "X100015")
    answer_by_key(qtbot, window, "C1.2", Qt.Key.Key_Y)
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "PNC checked, two earlier victims")
    # no pause yet: nothing of the note is in the store
    assert window.workspace.case_state(case_id).notes == {}
    window.close()
    state = window.workspace.case_state(case_id)
    assert state.notes == {"C1.2": "PNC checked, two earlier victims"}
    assert state.answers == {"C1.2": "yes"}
