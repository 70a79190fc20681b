"""The screen and the printed report agree (issue #14, item 1): every figure on the Hub tab
(relevant, Yes, No, N/A, % Yes and rating, PDU by PDU and for the region, and a regional
inspection's pooled figures) is the one the PDU or regional PDF prints, the PDF built on the
Reports tab from the same hub and read back with pdftotext.

One team lead's hub, with ratings (pdu-core rates its key questions): a PDU inspection over
two PDUs, another PDU inspection of the same region, and the region's own inspection.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import rawdb
from guikit import OpenWindow, idle
from hubfill import fill_hub
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.hub import HubPanel
from probdesk.ui.hub.models import NO_CASES, SummaryModel
from probdesk.ui.main_window import MainWindow
from probdesk.ui.reports import ReportsPanel

REGION = "Gogledd Cymru"
PDUS = ("Conwy a Sir Ddinbych", "Wrecsam a Sir y Fflint")
OTHER_PDU = "Ynys Môn a Gwynedd"
OWN_SET = "region-unpaid-work.yaml"
# name, question id, relevant, yes, no, n/a, % Yes, rating, key question (not indented)
Row = tuple[str, str, str, str, str, str, str, str, str, str, bool]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(the lead's data folder with its hub, the PDU inspection, the regional inspection)."""
    root = tmp_path_factory.mktemp("agree")
    paths = Paths.resolve(root / "lead").ensure()
    sets = bundled.question_sets_dir()
    ws = Workspace.open(paths)
    try:
        ws.set_identity("TL", "team_lead")
        pdu = ws.create_inspection(
            REGION, PDUS[0], date(2026, 10, 5), date(2026, 10, 16), sets / "pdu-core.yaml",
            pdus=PDUS,
        )  # fmt: skip
        regional = ws.create_inspection(
            REGION, REGION, date(2026, 12, 1), date(2026, 12, 11), sets / OWN_SET,
            pdus=(*PDUS, OTHER_PDU), kind="region",
        )  # fmt: skip
        (root / "shared").mkdir()
        hub = rawdb.hub(hubs.default_hub_url(paths.data))
        try:
            hubs.merge(hub, Fieldwork(ws, paths), root / "shared")  # registers both
            fill_hub(hub, 36, PDUS, region=REGION, inspection_id=pdu.id, seed=1)
            fill_hub(hub, 23, (OTHER_PDU,), region=REGION, seed=2)
            fill_hub(hub, 14, PDUS, region=REGION, question_set=OWN_SET, kind="region",
                     inspection_id=regional.id)  # fmt: skip
        finally:
            hub.close()
    finally:
        ws.close()
    return paths.data, pdu.id, regional.id


@pytest.fixture
def lead(built: tuple[Path, str, str], tmp_path: Path) -> Path:
    data = tmp_path / "lead"
    shutil.copytree(built[0], data)
    return data


def on_screen(panel: HubPanel, scope: str) -> list[Row]:
    """The Hub tab's figures by `scope`, as the table shows them."""
    panel.scope_combo.setCurrentIndex(panel.scope_combo.findData(scope))
    model = panel.summary_model
    out = []
    for i in range(model.rowCount()):
        cell = [str(model.index(i, c).data()) for c in range(model.columnCount())]
        qid = cell[SummaryModel.QUESTION].split()[0]
        key = not cell[SummaryModel.QUESTION].startswith(" ")
        numbers = cell[SummaryModel.RELEVANT : SummaryModel.PERCENT + 1]
        out.append((cell[0], qid, *numbers, cell[SummaryModel.RATING], key))  # type: ignore[arg-type]
    return out


def build_pdf(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, out: Path, pdu: str | None
) -> str:
    """The PDU summary of `pdu`, or the regional summary, built on the Reports tab: its text."""
    window.tabs.setCurrentWidget(window.reports_panel)
    idle(qtbot, window)
    panel: ReportsPanel = window.reports_panel
    assert panel.choices is not None
    if pdu is None:
        panel.region_radio.click()
    else:
        panel.pdu_radio.click()
        panel.pdu_summary_combo.setCurrentIndex(panel.pdu_summary_combo.findText(pdu))
    monkeypatch.setattr(panel, "choose_output", lambda _p, _folder: out)
    assert panel.build()
    idle(qtbot, window)
    assert panel.written == [out]
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(out), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


NUMBERS = re.compile(
    r"(?<![\d.])(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(–|\d+\.\d%\*?)(.*)$"
)


def printed(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(line, (relevant, yes, no, n/a, did not apply, not answered, %, the rest, the next
    line)) of each row of the report's
    percentage table (its first: the pooled one, in a regional inspection's report)."""
    table = text.split("Percentages by question", 1)[1]
    for end in ("PDU breakdown", "The region's own case samples", "Evidence from meetings"):
        table = table.split(end, 1)[0]
    lines = table.splitlines()
    out = []
    for n, line in enumerate(lines):
        found = NUMBERS.findall(line)
        if found:
            *numbers, rest = found[-1]
            following = lines[n + 1] if n + 1 < len(lines) else ""
            out.append((line, (*numbers, rest, following)))
    return out


def rating_of(rest: str, following: str, expected: str) -> str:
    """The rating printed at the end of a row; a long one wraps onto the next line of its
    cell, its last words at the end of the following line."""
    words, wanted = rest.split(), expected.split()
    if len(words) < len(wanted):
        words += following.split()[len(words) - len(wanted) :]
    return " ".join(words)


def agree(shown: list[Row], name: str, text: str) -> int:
    """Every figure the tab shows for `name` is the report's, row for row in the same order;
    how many rows were compared."""
    table = printed(text)
    mine = [r for r in shown if r[0] == name]
    assert mine and len(table) == len(mine), (name, len(mine), len(table))
    for (_name, qid, *counts, pct, rating, key), (line, got) in zip(mine, table, strict=True):
        assert re.match(rf"\s*{re.escape(qid)}\s", line), (qid, line)
        assert list(got[:6]) == counts, (qid, line)
        assert got[6] == ("–" if pct == NO_CASES else pct), (qid, line)
        expected = rating or ("–" if key else "")  # an unrated key question: a dash
        assert rating_of(got[7], got[8], expected) == expected, (qid, rating, got)
    return len(mine)


def test_the_hub_tab_shows_the_pdu_and_regional_reports_figures(
    qtbot: QtBot,
    open_window: OpenWindow,
    lead: Path,
    built: tuple[Path, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(lead, size=(1400, 1000))
    window.reload_inspections(select=built[1])
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window)
    by_pdu = on_screen(window.hub_panel, "pdu")
    by_region = on_screen(window.hub_panel, "region")
    assert {r[0] for r in by_pdu} == set(PDUS) and {r[0] for r in by_region} == {REGION}
    assert any(r[7] for r in by_pdu), "the set rates: ratings are compared too"

    compared = 0
    for pdu in PDUS:
        text = build_pdf(qtbot, window, monkeypatch, tmp_path / f"{pdu[:5]}.pdf", pdu)
        compared += agree(by_pdu, pdu, text)
    text = build_pdf(qtbot, window, monkeypatch, tmp_path / "region.pdf", None)
    compared += agree(by_region, REGION, text)
    assert compared == len(by_pdu) + len(by_region)


def test_a_regional_inspections_pooled_figures_are_its_reports(
    qtbot: QtBot,
    open_window: OpenWindow,
    lead: Path,
    built: tuple[Path, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(lead, size=(1400, 1000))
    window.reload_inspections(select=built[2])
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window)
    panel = window.hub_panel
    panel.show_pooled()
    idle(qtbot, window)
    regional = panel.regional
    assert regional is not None and len(regional.pdu_inspections) == 2
    assert len(regional.pools) == 1  # both PDU inspections answered pdu-core: one pool
    pooled = on_screen(panel, "region")
    text = build_pdf(qtbot, window, monkeypatch, tmp_path / "regional.pdf", None)
    assert agree(pooled, REGION, text) == len(pooled) > 0
    # each PDU of the pool is in the report's breakdown, with the tab's figures for it
    breakdown = text.split("PDU breakdown", 1)[1]
    for pdu in (*PDUS, OTHER_PDU):
        assert pdu in breakdown
