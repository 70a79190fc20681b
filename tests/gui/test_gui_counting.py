"""The Hub and Reports tabs say what their figures count (#16, parts 2 and 3): finished cases
by default, with the cases not counted yet and the undecided conflicts named above the table;
a Provisional switch that counts every answered case and says PROVISIONAL on the tab, in the
drill-down and in the PDF; did not apply and not answered in columns of their own; a base
below the set's minimum shown as "base too small" with no rating."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import rawdb
from guikit import OpenWindow, cells, expected_cells, idle, number_cells
from hubfill import counting_set, fill_hub
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from probdesk.domain.questionset import NOT_FOR_PUBLICATION
from probdesk.paths import Paths
from probdesk.services import figures
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.hub.dialogs import DrillDownDialog
from probdesk.ui.hub.models import SummaryModel

REGION = "Gogledd Cymru"
PDUS = ("Ynys Môn", "Conwy")
STATUSES = (
    "submitted", "approved", "in_progress", "returned", "not_started", "locked", "submitted",
)  # fmt: skip
MINIMUM = 25  # above a PDU's finished cases (about 17), below the region's (about 34)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("counting-gui")
    paths = Paths.resolve(root / "lead").ensure()
    ws = Workspace.open(paths)
    try:
        ws.set_identity("TL", "team_lead")
        insp = ws.create_inspection(
            REGION, PDUS[0], date(2026, 10, 5), date(2026, 10, 16), counting_set(root, MINIMUM),
            pdus=PDUS,
        )  # fmt: skip
        (root / "shared").mkdir()
        hub = rawdb.hub(hubs.default_hub_url(paths.data))
        try:
            hubs.merge(hub, Fieldwork(ws, paths), root / "shared")  # registers the inspection
            fill_hub(hub, 60, PDUS, region=REGION, inspection_id=insp.id, statuses=STATUSES)
        finally:
            hub.close()
    finally:
        ws.close()
    return paths.data, insp.id


@pytest.fixture
def lead(built: tuple[Path, str], tmp_path: Path) -> Path:
    data = tmp_path / "lead"
    shutil.copytree(built[0], data)
    return data


def service(lead: Path, inspection_id: str, provisional: bool) -> figures.Summary:
    hub = rawdb.hub(hubs.default_hub_url(lead))
    try:
        return figures.inspection_summary(hub, inspection_id, "pdu", provisional=provisional)
    finally:
        hub.close()


def test_the_hub_tab_says_what_it_counts_and_switches_to_provisional(
    qtbot: QtBot, open_window: OpenWindow, lead: Path, built: tuple[Path, str]
) -> None:
    window = open_window(lead, size=(1366, 768))
    window.reload_inspections(select=built[1])
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window)
    panel = window.hub_panel
    model = panel.summary_model
    final = service(lead, built[1], False)

    assert panel.figures_box.title() == "Figures"
    assert panel.coverage_label.isVisibleTo(window)
    assert panel.coverage_label.text() == (
        f"{final.coverage.text} PDU figures: {NOT_FOR_PUBLICATION}."
    )
    assert (
        final.coverage.text.startswith("Counted: ") and "Not counted yet: " in final.coverage.text
    )
    assert [number_cells(model, i) for i in range(model.rowCount())] == [
        expected_cells(r) for r in final.rows
    ]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[SummaryModel.DID_NOT_APPLY] == "Did not\napply"  # on two lines
    assert headers[SummaryModel.NOT_ANSWERED] == "Not\nanswered"
    # Every PDU's key question is below the minimum base: the percentage, and no rating.
    key = next(i for i, r in enumerate(final.rows) if r.key_question and r.percent is not None)
    assert final.rows[key].caution.startswith("base too small")
    assert cells(model, key)[SummaryModel.RATING] == "base too small"
    tip = model.index(key, SummaryModel.RATING).data(Qt.ItemDataRole.ToolTipRole)
    assert final.rows[key].caution in tip and "no rating" in tip

    # Provisional: every answered case, and the tab says so.
    panel.provisional_box.click()
    qtbot.waitUntil(lambda: panel.figures_box.title() == "Figures (PROVISIONAL)", timeout=15_000)
    idle(qtbot, window)
    provisional = service(lead, built[1], True)
    assert panel.coverage_label.text().startswith("PROVISIONAL figures: 60 of 60 cases counted")
    assert [number_cells(model, i) for i in range(model.rowCount())] == [
        expected_cells(r) for r in provisional.rows
    ]
    assert provisional.rows != final.rows

    # The cases behind a provisional figure: unfinished ones among them, and it says so.
    view = panel.summary_view
    view.setFocus()
    view.selectRow(key)
    assert panel.drill_down(key)
    qtbot.waitUntil(lambda: panel.drill_dialog is not None, timeout=10_000)
    dialog = panel.drill_dialog
    assert isinstance(dialog, DrillDownDialog)
    assert dialog.heading.text().startswith("PROVISIONAL: ")
    statuses = {cells(dialog.model, i)[3] for i in range(dialog.model.rowCount())}
    assert "In progress" in statuses and "Submitted" in statuses
    dialog.close()

    # Back to the final figures: no unfinished case behind the same row.
    panel.provisional_box.click()
    qtbot.waitUntil(lambda: panel.figures_box.title() == "Figures", timeout=15_000)
    idle(qtbot, window)
    assert panel.drill_down(key)
    qtbot.waitUntil(lambda: panel.drill_dialog is not dialog, timeout=10_000)
    idle(qtbot, window)
    shown = panel.drill_dialog
    assert shown is not None and not shown.heading.text().startswith("PROVISIONAL")
    finished = {cells(shown.model, i)[3] for i in range(shown.model.rowCount())}
    assert finished <= {"Submitted", "Approved", "Locked"}
    shown.close()


def test_a_provisional_report_from_the_reports_tab_says_so(
    qtbot: QtBot,
    open_window: OpenWindow,
    lead: Path,
    built: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(lead, size=(1366, 768))
    window.reload_inspections(select=built[1])
    window.tabs.setCurrentWidget(window.reports_panel)
    idle(qtbot, window)
    panel = window.reports_panel
    assert panel.choices is not None
    texts = {}
    for provisional in (False, True):
        out = tmp_path / f"pdu-{provisional}.pdf"
        panel.pdu_radio.click()
        panel.pdu_summary_combo.setCurrentIndex(panel.pdu_summary_combo.findText(PDUS[0]))
        panel.provisional_box.setChecked(provisional)
        monkeypatch.setattr(panel, "choose_output", lambda _p, _folder, out=out: out)
        assert panel.build()
        idle(qtbot, window)
        assert panel.written == [out]
        texts[provisional] = " ".join(
            subprocess.run(
                ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True,
                text=True,
            ).stdout.split()
        )  # fmt: skip
    assert "PROVISIONAL" not in texts[False]
    assert "What these figures count: Counted: " in texts[False]
    assert "PROVISIONAL FIGURES." in texts[True]
    assert "PROVISIONAL figures: every answered case counted" in texts[True]


def test_the_hub_tab_is_pages_that_say_what_waits_and_remember_the_last(
    qtbot: QtBot, open_window: OpenWindow, lead: Path, built: tuple[Path, str]
) -> None:
    from probdesk.ui.hub.state import FIGURES, MODERATION, PAGE_TITLES

    window = open_window(lead, size=(1366, 768))
    window.reload_inspections(select=built[1])
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window)
    panel = window.hub_panel
    pages = panel.pages
    assert [pages.tabText(i).split(" (")[0] for i in range(pages.count())] == list(PAGE_TITLES)
    assert pages.currentIndex() == FIGURES  # the first time: the figures
    submitted = sum(s == "submitted" for s in (STATUSES * 60)[:60])  # waiting for a decision
    assert pages.tabText(MODERATION) == f"Moderation ({submitted})"
    assert pages.tabText(PAGE_TITLES.index("Conflicts")) == "Conflicts"  # none undecided
    # Every page fits the window: the figures table keeps most of the tab's width.
    view = panel.summary_view
    assert view.width() > 0.9 * pages.width()
    pages.setCurrentIndex(MODERATION)
    window.close()
    again = open_window(lead, size=(1366, 768))
    assert again.hub_panel.pages.currentIndex() == MODERATION  # kept between runs
