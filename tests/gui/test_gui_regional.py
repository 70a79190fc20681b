"""The GUI on a regional inspection: the Hub tab shows its own sample or its region's PDU
inspections pooled; the Evidence tab shows the hub's meeting and focus-group notes.

As in tests/integration/test_regional.py, PDU inspections of Gogledd Cymru (and one of another
region, which must not leak in) go straight into a hub; the team lead's laptop holds the regional
inspection and a PDU inspection of the region, registered by a merge, each with cases. The
hub is where the Hub tab looks for it: `hub.sqlite` in the team lead's data folder, copied for
each test. The notes come from the demo, whose assessors' meetings are merged into its hub.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import pytest
import rawdb
from demos import Demos
from guikit import Box, OpenWindow, cells, expected_cells, idle, number_cells, unnamed
from hubfill import fill_hub
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.records import GroupAttendance, MeetingKind
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.hub import HubPanel
from probdesk.ui.hub.dialogs import DrillDownDialog
from probdesk.ui.hub.models import NO_CASES, SummaryModel
from probdesk.ui.main_window import MainWindow

REGION = "Gogledd Cymru"
PDUS_A = ("Ynys Môn a Gwynedd",)
PDUS_B = ("Conwy a Sir Ddinbych", "Wrecsam a Sir y Fflint")
PDUS_ALL = PDUS_A + PDUS_B
LED_PDU = "Sir Ddinbych"
OWN_SET = "region-unpaid-work.yaml"


@dataclass
class Region:
    lead: Path  # the team lead's data folder, its hub inside
    regional: str  # the regional inspection (kind "region")
    led_pdu: str  # a PDU inspection of the region, led from the same laptop


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Region:
    root = tmp_path_factory.mktemp("gui-regional")
    paths = Paths.resolve(root / "lead").ensure()
    url = hubs.default_hub_url(paths.data)
    hub = rawdb.hub(url)
    try:
        fill_hub(hub, 30, PDUS_A, seed=1)
        fill_hub(hub, 40, PDUS_B, seed=2)
        fill_hub(hub, 20, ("Bristol",), region="South West", seed=3)
    finally:
        hub.close()
    ws = Workspace.open(paths)
    try:
        ws.set_identity("TL", "team_lead")
        sets = bundled.question_sets_dir()
        insp = ws.create_inspection(
            REGION, REGION, date(2026, 12, 1), date(2026, 12, 11), sets / OWN_SET,
            pdus=PDUS_ALL, kind="region",
        )  # fmt: skip
        pdu_insp = ws.create_inspection(
            REGION, LED_PDU, date(2026, 10, 5), date(2026, 10, 16), sets / "pdu-core.yaml"
        )
        (root / "shared").mkdir()
        hub = rawdb.hub(url)
        try:
            hubs.merge(hub, Fieldwork(ws, paths), root / "shared")  # registers both
            fill_hub(hub, 25, PDUS_ALL, region=REGION, question_set=OWN_SET, kind="region",
                     inspection_id=insp.id)  # fmt: skip
            fill_hub(hub, 12, (LED_PDU,), region=REGION, inspection_id=pdu_insp.id)
        finally:
            hub.close()
    finally:
        ws.close()
    return Region(paths.data, insp.id, pdu_insp.id)


@pytest.fixture
def lead(region: Region, tmp_path: Path) -> Path:
    """A copy of the team lead's data folder, the region's hub where the Hub tab looks."""
    data = tmp_path / "lead"
    shutil.copytree(region.lead, data)
    assert (data / "hub.sqlite").is_file()
    return data


def hub_tab(open_window: OpenWindow, qtbot: QtBot, data: Path, inspection_id: str) -> MainWindow:
    window = open_window(data, select=inspection_id, tab="hub_panel", size=(1400, 1000))
    idle(qtbot, window)  # the figures are read when the tab is shown
    return window


def shown(model: SummaryModel) -> list[tuple[str, ...]]:
    return [number_cells(model, i) for i in range(model.rowCount())]


def by(panel: HubPanel, scope: str) -> None:
    panel.scope_combo.setCurrentIndex(panel.scope_combo.findData(scope))


# -- the Hub tab ----------------------------------------------------------------------------


def test_a_regional_inspection_shows_its_own_sample_or_its_pdus_pooled(
    qtbot: QtBot,
    open_window: OpenWindow,
    lead: Path,
    region: Region,
    boxes: list[Box],
) -> None:
    window = hub_tab(open_window, qtbot, lead, region.regional)
    panel = window.hub_panel
    model = panel.summary_model
    hub = rawdb.hub(hubs.default_hub_url(lead))
    try:
        own_pdu = hubs.summarise(hub, region.regional, "pdu")
        own_region = hubs.summarise(hub, region.regional, "region")
        pooled_region = hubs.regional_summary(hub, REGION, "region")
        pooled_pdu = hubs.regional_summary(hub, REGION, "pdu")
    finally:
        hub.close()

    # the choice is there, on the own sample first
    assert panel.source_row.isVisibleTo(window)
    assert panel.own_radio.isChecked() and not panel.pooled_radio.isChecked()
    assert panel.pooled_radio.text().replace("&", "") == (
        "The region's PDU inspections, pooled (3 inspections)"
    )
    assert shown(model) == [expected_cells(r) for r in own_pdu]
    assert not panel.pooled_note.isVisibleTo(window)

    # the keyboard reaches it: an arrow key moves from one choice to the other. Qt moves a
    # radio choice only for the application's focus widget, so the window must be active and
    # the radio focused before the key (as for a user, who has clicked into the window).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    panel.own_radio.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.own_radio)
    qtbot.keyClick(panel.own_radio, Qt.Key.Key_Right)
    assert panel.pooled_radio.isChecked() and panel.pooled_shown()
    idle(qtbot, window)
    assert shown(model) == [expected_cells(r) for r in pooled_pdu]
    assert {cells(model, i)[0] for i in range(model.rowCount())} == {*PDUS_ALL, LED_PDU}
    note = panel.pooled_note.text()
    assert panel.pooled_note.isVisibleTo(window) and "3 PDU inspections pooled" in note
    assert "Bristol" not in note  # another region's PDU does not leak in

    by(panel, "region")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Region"
    assert shown(model) == [expected_cells(r) for r in pooled_region]
    key = [r for r in pooled_region if r.key_question]
    assert key and all(r.name == REGION for r in pooled_region)
    for i, r in enumerate(pooled_region):  # relevant, yes and % Yes per key question
        if r.key_question:
            c = cells(model, i)
            percent = NO_CASES if r.percent is None else f"{r.percent:.1f}%"
            assert (c[2], c[3], c[model.PERCENT]) == (str(r.relevant), str(r.yes), percent)
    assert not panel.empty_hint.isVisibleTo(window) and not panel.pooled_hint.isVisibleTo(window)

    # the drill-down goes across the pooled inspections
    view = panel.summary_view
    view.setFocus()
    view.selectRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.drill_dialog is not None, timeout=10_000)
    idle(qtbot, window)
    dialog = panel.drill_dialog
    assert isinstance(dialog, DrillDownDialog) and dialog.isVisible()
    outcomes = [c.outcome for c in dialog.model.rows]
    assert outcomes.count("yes") == pooled_region[0].yes
    assert outcomes.count("no") == pooled_region[0].no
    assert {c.pdu for c in dialog.model.rows} == {*PDUS_ALL, LED_PDU}
    assert "3 PDU inspections pooled" in dialog.heading.text()
    # A pooled case opens, read from its own PDU inspection, and is moderated there only.
    first = dialog.model.rows[0]
    assert first.inspection_id and first.inspection_id != window.inspection.id
    # (every pooled inspection numbers its cases from R100000: the row says which it is)
    dialog.view.setFocus()
    dialog.view.selectRow(0)
    qtbot.keyClick(dialog.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.case_dialog is not None, timeout=10_000)
    idle(qtbot, window)
    case = panel.case_dialog
    assert case is not None and case.review.reference == first.case_ref
    assert case.review.inspection_id == first.inspection_id and case.pooled()
    assert not case.approve_button.isEnabled() and not case.return_button.isEnabled()
    assert not case.question_button.isEnabled()
    assert "choose that inspection at the top" in case.why_not.text()
    assert not case.approve()  # refused, nothing recorded
    case.close()
    dialog.close()
    assert unnamed(window) == []

    # back to the own sample
    panel.show_pooled(False)
    assert shown(model) == [expected_cells(r) for r in own_region]
    assert not panel.pooled_note.isVisibleTo(window)
    assert boxes == []


def test_a_pdu_inspection_has_no_such_choice(
    qtbot: QtBot,
    open_window: OpenWindow,
    lead: Path,
    region: Region,
) -> None:
    window = hub_tab(open_window, qtbot, lead, region.led_pdu)
    panel = window.hub_panel
    assert not panel.source_row.isVisibleTo(window) and not panel.pooled_shown()
    hub = rawdb.hub(hubs.default_hub_url(lead))
    try:
        expected = hubs.summarise(hub, region.led_pdu, "pdu")
    finally:
        hub.close()
    assert expected and shown(panel.summary_model) == [expected_cells(r) for r in expected]
    assert panel.regional is None


def test_no_pdu_inspection_of_the_region_merged_yet_is_said_plainly(
    qtbot: QtBot,
    open_window: OpenWindow,
    region: Region,
    tmp_path: Path,
) -> None:
    data = tmp_path / "lead"
    shutil.copytree(region.lead, data, ignore=shutil.ignore_patterns("hub.sqlite*"))
    hub = rawdb.hub(hubs.default_hub_url(data))  # only the regional inspection's own sample
    try:
        fill_hub(hub, 6, PDUS_ALL, region=REGION, question_set=OWN_SET, kind="region",
                 inspection_id=region.regional)  # fmt: skip
    finally:
        hub.close()
    window = hub_tab(open_window, qtbot, data, region.regional)
    panel = window.hub_panel
    assert panel.summary_model.rowCount() > 0  # the own sample
    assert panel.pooled_radio.text().endswith("(none merged yet)")
    panel.show_pooled()
    assert panel.summary_model.rowCount() == 0
    assert panel.pooled_hint.isVisibleTo(window) and not panel.empty_hint.isVisibleTo(window)
    assert panel.pooled_hint.text().startswith(
        f"No PDU inspection of {REGION} has been merged into this hub yet"
    )


# -- the Evidence tab: the hub's notes on the team lead's laptop --------------------------------


@pytest.fixture(scope="module")
def built_demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("notes") / "demo"
    result = demos.copy(4, out)  # tests/support/demos.py: built once per session
    assert result.hub is not None and result.meetings
    return out, result.inspection_id


def test_the_hubs_notes_show_in_the_triangulation_on_the_leads_laptop(
    qtbot: QtBot, open_window: OpenWindow, built_demo: tuple[Path, str], tmp_path: Path
) -> None:
    root, iid = built_demo
    data = tmp_path / "lead"
    shutil.copytree(root / "lead", data)
    shutil.copy(root / "hub.sqlite", data / "hub.sqlite")
    hub = rawdb.hub(hubs.default_hub_url(data))
    try:
        notes = hubs.evidence(hub, iid)
        meetings, _ = hub.meetings_of(iid)
    finally:
        hub.close()
    note = notes[0]
    on_question = sum(n.question_id == note.question_id for n in notes)
    meeting = next(m for m in meetings if note.meeting.endswith(f": {m.title}"))
    attended = [group for group, _count in meeting.attendance]

    window = open_window(data, size=(1400, 1000))
    ws = window.workspace
    qs = ws.question_set(ws.inspection(iid))
    labels = {g.id: g.label for g in qs.participant_groups}
    window.reload_inspections(select=iid)
    window.tabs.setCurrentWidget(window.evidence)
    panel = window.evidence
    panel.choose_question(note.question_id)
    qtbot.waitUntil(lambda: panel.findings is not None, timeout=20_000)
    idle(qtbot, window)

    # The hub's note shows, under each participant group that attended, marked as the hub's.
    text = panel.notes_text.text()
    assert text.count(escape(note.note)) == len(attended) >= 1
    assert "attended, from the hub)" in text
    assert f"{on_question} note{'s' * (on_question > 1)} from the hub: recorded" in text
    for g in attended:
        assert f"<b>{escape(labels[g])}</b>" in text

    # Another question's notes are not this one's.
    other = next(n for n in notes if n.question_id != note.question_id)
    assert escape(other.note) not in text or other.note == note.note

    # The team lead recorded the same focus group on this laptop too, with the same note:
    # it is shown once, from here.
    same = ws.save_meeting(
        iid, MeetingKind(meeting.kind), date.fromisoformat(meeting.held_on),
        meeting.title, [GroupAttendance(attended[0], 3)], [note.question_id],
    )  # fmt: skip
    ws.record_meeting_note(same.id, note.question_id, note.note)
    panel.refresh()
    panel.choose_question(note.question_id)
    text = panel.notes_text.text()
    assert text.count(escape(note.note)) == 1 and "3 attended)" in text
    left = on_question - 1
    assert (f"{left} note{'s' * (left > 1)} from the hub" in text) == (left > 0)
