"""The Hub tab on the demo: merge the shared folder, the figures and their cases, conflicts,
fieldwork progress.

The demo (a team lead, three assessors, their packages in the shared folder) is built once
per module and copied for each test, which merges into its own copy's hub.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import rawdb
from demos import Demos
from guikit import Box, OpenWindow, cells, expected_cells, idle, number_cells, unnamed
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain import loader
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs
from probdesk.ui.hub.dialogs import DrillDownDialog
from probdesk.ui.hub.figures_section import PercentBarDelegate
from probdesk.ui.hub.models import NO_CASES, MergeOutcomeModel, SummaryModel
from probdesk.ui.hub.state import PACKAGES
from probdesk.ui.kit.tables import record_view
from probdesk.ui.main_window import MainWindow

TALLY_FIRST = "3 merged, 0 already merged, 0 held, 0 rejected, 0 quarantined"
TALLY_AGAIN = "0 merged, 3 already merged, 0 held, 0 rejected, 0 quarantined"


@dataclass
class Demo:
    root: Path
    inspection_id: str

    @property
    def lead(self) -> Path:
        return self.root / "lead"

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    def hub(self) -> Hub:
        return rawdb.hub(hubs.default_hub_url(self.lead))


@pytest.fixture(scope="module")
def built_demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("hub") / "demo"
    result = demos.copy(4, out)  # tests/support/demos.py: built once per session
    # The demo's own hub is DIR/hub.sqlite; the tab's is the lead's DIR/lead/hub.sqlite.
    assert not (out / "lead" / "hub.sqlite").exists()
    return Demo(out, result.inspection_id)


@pytest.fixture
def demo(built_demo: Demo, tmp_path: Path) -> Demo:
    root = tmp_path / "demo"
    shutil.copytree(built_demo.root, root)
    return Demo(root, built_demo.inspection_id)


def lead_window(make: OpenWindow, demo: Demo, shared: bool = True) -> MainWindow:
    return make(
        demo.lead,
        shared=demo.shared if shared else None,
        select=demo.inspection_id,
        tab="hub_panel",
    )


def merge(qtbot: QtBot, window: MainWindow, tally: str) -> None:
    panel = window.hub_panel
    assert panel.merge_button.isEnabled()
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tally.text() == tally, timeout=15_000)
    idle(qtbot, window)  # the figures are read after the merge


# -- the journey ----------------------------------------------------------------------------


def test_merge_then_figures_drill_down_conflicts_and_progress(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    open_window: OpenWindow,
    demo: Demo,
    boxes: list[Box],
) -> None:
    window = lead_window(open_window, demo)
    panel = window.hub_panel
    assert window.tabs.isTabVisible(window.tabs.indexOf(panel))
    assert window.tabs.indexOf(panel) == window.tabs.indexOf(window.team_lead) + 1
    assert not panel.hint.isVisibleTo(window) and not panel.folder_hint.isVisibleTo(window)
    # Nothing merged on this laptop yet: a hint, and no empty hub file made just to look.
    assert panel.empty_hint.isVisibleTo(window)
    assert not (demo.lead / "hub.sqlite").exists()

    merge(qtbot, window, TALLY_FIRST)
    outcomes = panel.merge_model
    assert outcomes.rowCount() == 3
    assert {cells(outcomes, i)[1] for i in range(3)} == {"Merged"}
    assert all("20 cases" in cells(outcomes, i)[2] for i in range(3))
    assert not panel.empty_hint.isVisibleTo(window)
    qtmodeltester.check(outcomes)

    merge(qtbot, window, TALLY_AGAIN)
    assert {cells(outcomes, i)[1] for i in range(3)} == {"Already merged"}

    # -- figures: the same numbers as the service's, PDU by PDU, then pooled -----------------
    hub = demo.hub()
    try:
        by_pdu = hubs.summarise(hub, demo.inspection_id, "pdu")
        by_region = hubs.summarise(hub, demo.inspection_id, "region")
        conflicts = hubs.conflicts(hub, demo.inspection_id)
        progress = hubs.progress(hub, demo.inspection_id)
        model = panel.summary_model
        assert model.rowCount() == len(by_pdu) > 0
        assert model.headerData(0, Qt.Orientation.Horizontal) == "PDU"
        for i, r in enumerate(by_pdu):
            assert number_cells(model, i) == expected_cells(r)
            assert r.question_id in cells(model, i)[1]
        assert any(r.percent is None for r in by_pdu) == any(
            cells(model, i)[model.PERCENT] == NO_CASES for i in range(model.rowCount())
        )
        assert panel.summary_view.isColumnHidden(SummaryModel.RATING)  # the set does not rate
        qtmodeltester.check(model)

        panel.scope_combo.setCurrentIndex(panel.scope_combo.findData("region"))
        assert model.rowCount() == len(by_region)
        assert model.headerData(0, Qt.Orientation.Horizontal) == "Region"
        for i, r in enumerate(by_region):
            assert number_cells(model, i) == expected_cells(r)
            pooled = [p for p in by_pdu if p.question_id == r.question_id]
            assert int(cells(model, i)[2]) == sum(p.relevant for p in pooled)
            assert int(cells(model, i)[3]) == sum(p.yes for p in pooled)
            assert int(cells(model, i)[4]) == sum(p.no for p in pooled)
            assert int(cells(model, i)[5]) == sum(p.not_applicable for p in pooled)
        qtmodeltester.check(model)

        # -- drill-down: Enter on the region's first row, a double-click on a PDU's row --------
        view = panel.summary_view
        view.setFocus()
        view.selectRow(0)
        qtbot.keyClick(view, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: panel.drill_dialog is not None and panel.drill_dialog.isVisible(),
            timeout=10_000,
        )
        dialog = panel.drill_dialog
        assert isinstance(dialog, DrillDownDialog)
        expected = hubs.drill_down(hub, demo.inspection_id, by_region[0].question_id, None)
        assert dialog.model.rows == expected
        outcomes_seen = [c.outcome for c in expected]
        assert outcomes_seen.count("yes") == by_region[0].yes
        assert outcomes_seen.count("no") == by_region[0].no
        assert by_region[0].question_id in dialog.heading.text()
        assert unnamed(dialog) == []
        qtmodeltester.check(dialog.model)
        dialog.close()

        panel.scope_combo.setCurrentIndex(panel.scope_combo.findData("pdu"))
        row = next(i for i, r in enumerate(by_pdu) if not r.key_question and r.name == "Plymouth")
        r = by_pdu[row]
        view.scrollTo(model.index(row, 1))
        where = view.visualRect(model.index(row, 1)).center()
        # Qt 6's views double-click only on the index a press went to: press, then double.
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.waitUntil(
            lambda: panel.drill_dialog is not dialog and panel.drill_dialog is not None,
            timeout=10_000,
        )
        idle(qtbot, window)
        dialog = panel.drill_dialog
        assert dialog is not None and dialog.isVisible()
        cases = hubs.drill_down(hub, demo.inspection_id, r.question_id, "Plymouth")
        assert [cells(dialog.model, i)[0] for i in range(dialog.model.rowCount())] == [
            c.case_ref for c in cases
        ]
        assert {cells(dialog.model, i)[1] for i in range(dialog.model.rowCount())} == {"Plymouth"}
        yes = sum(c.outcome == "yes" for c in cases)
        assert yes == r.yes and f"{yes} Yes" in dialog.summary.text()
        dialog.close()
    finally:
        hub.close()

    # -- conflicts and progress --------------------------------------------------------------
    assert conflicts == [] and panel.conflict_model.rowCount() == 0
    assert panel.undecided.text() == "0 undecided"
    qtmodeltester.check(panel.conflict_model)
    rows = panel.progress_model
    assert rows.rowCount() == len(progress) == 6  # three assessors, three PDUs
    totals = {(cells(rows, i)[0], cells(rows, i)[1]): int(cells(rows, i)[-1]) for i in range(6)}
    assert sum(t for (by, _n), t in totals.items() if by == "PDU") == 60
    assert sum(t for (by, _n), t in totals.items() if by == "Assessor") == 60
    for i, p in enumerate(progress):
        assert cells(rows, i)[2:-1] == [str(n) for _s, n in p.by_status]
    assert "60 cases in the hub" in panel.progress_summary.text()
    qtmodeltester.check(rows)

    assert unnamed(window) == []
    assert boxes == []


def test_a_package_that_fails_its_checks_is_rejected_and_marked(
    qtbot: QtBot, open_window: OpenWindow, demo: Demo
) -> None:
    (demo.shared / "pd-events-00000000-0000-0000-0000-000000000000.pdpkg").write_bytes(
        b"not a package at all"
    )
    window = lead_window(open_window, demo)
    merge(qtbot, window, "3 merged, 0 already merged, 0 held, 1 rejected, 0 quarantined")
    model = window.hub_panel.merge_model
    bad = next(i for i in range(model.rowCount()) if cells(model, i)[1] == "Rejected")
    good = next(i for i in range(model.rowCount()) if cells(model, i)[1] == "Merged")
    colour = model.index(bad, 0).data(Qt.ItemDataRole.ForegroundRole)
    assert isinstance(colour, QBrush) and colour.color().name() == "#a4000f"
    assert model.index(good, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert cells(model, bad)[2]  # the reader's reason
    assert window.hub_panel.merge_message.isVisible()
    assert window.hub_panel.summary_model.rowCount() > 0  # the other packages were merged


def test_hints_without_a_shared_folder_and_on_an_assessors_laptop(
    qtbot: QtBot, open_window: OpenWindow, demo: Demo
) -> None:
    window = lead_window(open_window, demo, shared=False)
    panel = window.hub_panel
    panel.show_page(PACKAGES)  # the Merge button's page
    assert panel.folder_hint.isVisibleTo(window) and not panel.merge_button.isEnabled()
    assert unnamed(window) == []
    # Set on the Sync tab meanwhile: the Hub tab sees it when shown again.
    window.tabs.setCurrentWidget(window.sync)
    assert window.sync.set_shared_folder(str(demo.shared))
    idle(qtbot, window)
    window.tabs.setCurrentWidget(panel)
    assert not panel.folder_hint.isVisibleTo(window) and panel.merge_button.isEnabled()

    window.set_inspection(None)
    assert panel.hint.isVisibleTo(window) and not panel.content.isVisibleTo(window)

    assessor = open_window(demo.root / "ab")
    assert assessor.inspection is not None
    assert not assessor.tabs.isTabVisible(assessor.tabs.indexOf(assessor.hub_panel))
    assert not (demo.root / "ab" / "hub.sqlite").exists()


# -- the models on their own: a set that rates, quarantined packages ----------------------------


def test_ratings_show_as_badges_and_bands_behind_the_bars(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    qs = loader.load(next(p for p in bundled.bundled_question_sets() if p.name == "pdu-core.yaml"))
    assert qs.ratings is not None
    key = next(q for q in qs.questions if q.is_key and q.counts)
    rows = [
        hubs.SummaryRow("pdu", "Plymouth", key.id, True, 10, 9, 1, 0, 90.0, "Outstanding"),
        hubs.SummaryRow("pdu", "Plymouth", key.id, True, 10, 3, 7, 0, 30.0, "Inadequate"),
        hubs.SummaryRow("pdu", "Plymouth", key.id, True, 0, 0, 0, 4, None, None),
    ]
    model = SummaryModel()
    model.set_summary(rows, qs)
    assert model.scale == qs.ratings.scale
    fg = model.index(0, SummaryModel.RATING).data(Qt.ItemDataRole.ForegroundRole)
    bg = model.index(0, SummaryModel.RATING).data(Qt.ItemDataRole.BackgroundRole)
    assert isinstance(fg, QBrush) and isinstance(bg, QBrush) and fg.color() != bg.color()
    worst = model.index(1, SummaryModel.RATING).data(Qt.ItemDataRole.BackgroundRole)
    assert worst.color() != bg.color()
    assert model.index(2, SummaryModel.RATING).data(Qt.ItemDataRole.BackgroundRole) is None
    assert cells(model, 2)[SummaryModel.PERCENT] == NO_CASES
    tip = model.index(0, SummaryModel.PERCENT).data(Qt.ItemDataRole.ToolTipRole)
    assert "Outstanding from 80%" in tip
    qtmodeltester.check(model)

    view = record_view(model, "Figures")
    view.setItemDelegateForColumn(SummaryModel.PERCENT, PercentBarDelegate(model, view))
    qtbot.addWidget(view)
    view.resize(1000, 200)
    view.show()
    image = view.grab().toImage()  # paints every cell through the delegate
    assert not image.isNull()


def test_quarantined_and_rejected_rows_stand_out(qtmodeltester: ModelTester) -> None:
    model = MergeOutcomeModel()
    model.set_rows([
        hubs.MergeOutcome("a.pdpkg", hubs.MERGED, "", "a", {"cases": 2, "answers": 5}),
        hubs.MergeOutcome("b.pdpkg", hubs.QUARANTINED, "merged before with other content", "b"),
        hubs.MergeOutcome("c.pdpkg", hubs.REJECTED, "the signature does not match", "c"),
    ])  # fmt: skip
    assert cells(model, 0) == ["a.pdpkg", "Merged", "2 cases, 5 answers"]
    assert cells(model, 1)[1:] == ["Quarantined", "merged before with other content"]
    colours = [model.index(i, 2).data(Qt.ItemDataRole.ForegroundRole) for i in range(3)]
    assert colours[0] is None
    assert colours[1].color().name() == "#8a4b00" and colours[2].color().name() == "#a4000f"
    qtmodeltester.check(model)
