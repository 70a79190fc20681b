"""The Reports tab on the demo: choose what to print, build real PDFs through the runner, cancel,
open and print (the system's viewer and printer are the only things replaced).

The demo (a team lead, three assessors, their packages merged into a hub) is built once per
module; each test gets its own copy of the team lead's data folder with that hub in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from demos import Demos
from guikit import Box, OpenWindow, idle
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QWidget,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from probdesk.paths import Paths
from probdesk.services.demo import REGION
from probdesk.ui.app import build_main_window
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.main_window import MainWindow
from probdesk.ui.reports import ReportsPanel
from probdesk.ui.reports.models import MARKING_KEY

pytestmark = [
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]


@dataclass
class Demo:
    root: Path  # the demo's folder; DIR/hub.sqlite holds every package merged
    inspection_id: str


@pytest.fixture(scope="module")
def built_demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("reports") / "demo"
    result = demos.copy(4, out)  # tests/support/demos.py: built once per session
    return Demo(out, result.inspection_id)


@pytest.fixture
def lead(built_demo: Demo, tmp_path: Path) -> Path:
    """A copy of the team lead's data folder, with the merged hub where the Hub tab keeps it."""
    data = tmp_path / "lead"
    shutil.copytree(built_demo.root / "lead", data)
    shutil.copy2(built_demo.root / "hub.sqlite", data / "hub.sqlite")
    return data


ReportsTab = Callable[[Path], tuple[MainWindow, ReportsPanel]]


@pytest.fixture
def reports_tab(qtbot: QtBot, open_window: OpenWindow, built_demo: Demo) -> ReportsTab:
    """reports_tab(data): a window on `data` showing the Reports tab of the demo inspection,
    its choices read."""

    def make(data: Path) -> tuple[MainWindow, ReportsPanel]:
        w = open_window(data, select=built_demo.inspection_id, tab="reports_panel")
        idle(qtbot, w, timeout=20_000)
        assert w.reports_panel.choices is not None
        return w, w.reports_panel

    return make


def save_to(monkeypatch: pytest.MonkeyPatch, panel: ReportsPanel, out: Path) -> list[Path]:
    """Answer the Save As (or folder) dialog with `out`; returns what the tab proposed."""
    proposed: list[Path] = []

    def choose(p: Path, _folder: bool) -> Path:
        proposed.append(p)
        return out

    monkeypatch.setattr(panel, "choose_output", choose)
    return proposed


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def select_cases(panel: ReportsPanel, refs: list[str]) -> None:
    panel.case_view.clearSelection()
    selection = panel.case_view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in range(panel.proxy.rowCount()):
        index = panel.proxy.index(row, 0)
        if index.data() in refs:
            selection.select(index, flags)


COMPOUND = (QAbstractItemView, QComboBox, QLineEdit)


# -- the tab --------------------------------------------------------------------------------


def test_the_tab_lists_the_hubs_cases_and_names_every_control(
    reports_tab: ReportsTab,
    lead: Path,
    qtbot: QtBot,
) -> None:
    window, panel = reports_tab(lead)
    assert window.tabs.isTabVisible(window.tabs.indexOf(panel))
    assert panel.case_model.rowCount() == 60
    assert panel.region_name.text() == REGION
    pdus = [panel.pdu_summary_combo.itemText(i) for i in range(panel.pdu_summary_combo.count())]
    assert len(pdus) == 3 and pdus == list(panel.choices.pdus)  # type: ignore[union-attr]
    ModelTester(qtbot).check(panel.case_model)

    panel.filter_edit.setText(pdus[0])
    assert 0 < panel.proxy.rowCount() < 60
    panel.filter_edit.clear()
    assert not panel.build_button.isEnabled()  # no case selected yet
    assert "Select one or more cases" in panel.choice_text.text()

    for w in panel.findChildren(QWidget):
        # The parts of a compound control (a combo box's list, a table's corner button, a
        # line edit's clear button) are named by the control.
        part = any(isinstance(a, COMPOUND) for a in _ancestors(w))
        if isinstance(w, QAbstractButton | QComboBox | QLineEdit | QAbstractItemView) and not part:
            assert w.accessibleName(), f"{type(w).__name__} {w.objectName()} has no name"


def _ancestors(w: QWidget) -> Iterator[QWidget]:
    parent = w.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def test_no_hub_yet_says_merge_first(
    reports_tab: ReportsTab,
    built_demo: Demo,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    data = tmp_path / "lead"
    shutil.copytree(built_demo.root / "lead", data)
    window = build_main_window(Paths.resolve(data))
    qtbot.addWidget(window)
    try:
        window.show()
        window.reload_inspections(select=built_demo.inspection_id)
        window.tabs.setCurrentWidget(window.reports_panel)
        idle(qtbot, window, timeout=20_000)
        panel = window.reports_panel
        assert panel.choices is None and panel.content.isHidden()
        assert "merge" in panel.hint.text()
        assert not (data / "hub.sqlite").exists()  # looking made no empty hub
    finally:
        window.close()
        window.workspace.close()


# -- building ---------------------------------------------------------------------------------


def test_regional_summary_is_a_real_pdf_with_the_region_and_the_marking(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, panel = reports_tab(lead)
    panel.region_radio.click()
    panel.marking_edit.setText("OFFICIAL")
    out = tmp_path / "out" / "region.pdf"
    proposed = save_to(monkeypatch, panel, out)
    assert panel.build()
    idle(qtbot, window, timeout=20_000)
    assert proposed == [lead / "reports" / "region-summary.pdf"]
    assert out.is_file() and out.read_bytes().startswith(b"%PDF")
    text = text_of(out)
    assert REGION in text and "Regional summary" in text
    assert "OFFICIAL" in text and "OFFICIAL-SENSITIVE" not in text
    assert panel.written == [out] and str(out) in panel.result.text()
    assert panel.open_button.isVisibleTo(panel) and panel.print_button.isVisibleTo(panel)


def test_a_pdu_summary_is_proposed_by_the_pdus_name(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, panel = reports_tab(lead)
    panel.pdu_radio.click()
    panel.pdu_summary_combo.setCurrentIndex(2)
    pdu = panel.pdu_summary_combo.currentText()
    out = tmp_path / "pdu"  # no suffix typed: .pdf is added
    proposed = save_to(monkeypatch, panel, out)
    assert panel.build()
    idle(qtbot, window, timeout=20_000)
    from probdesk.services.reports import safe_name

    assert proposed == [lead / "reports" / f"pdu-{safe_name(pdu)}.pdf"]
    assert panel.written == [tmp_path / "pdu.pdf"]
    assert pdu in text_of(tmp_path / "pdu.pdf")


def test_two_selected_cases_go_into_one_pdf(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, panel = reports_tab(lead)
    refs = [panel.case_model.row_at(3).reference, panel.case_model.row_at(40).reference]
    select_cases(panel, refs)
    assert panel.selected_refs() == sorted(refs)
    assert "2 cases, in one PDF" in panel.choice_text.text()
    out = tmp_path / "two.pdf"
    proposed = save_to(monkeypatch, panel, out)
    assert panel.build()
    idle(qtbot, window, timeout=20_000)
    assert proposed == [lead / "reports" / "cases-2-selected.pdf"]
    text = text_of(out)
    assert all(f"Case summary: {r}" in text for r in refs)
    assert "OFFICIAL-SENSITIVE" in text  # the default marking


def test_one_pdf_per_case_into_a_folder(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, panel = reports_tab(lead)
    panel.all_of_pdu_radio.click()
    pdu = panel.cases_pdu_combo.currentText()
    mine = sorted(c.reference for c in panel.choices.cases if c.pdu == pdu)  # type: ignore[union-attr]
    panel.folder_box.setChecked(True)
    folder = tmp_path / "cases"
    save_to(monkeypatch, panel, folder)
    assert panel.build()
    idle(qtbot, window, timeout=20_000)
    # neutral names, numbered; each reference is inside its PDF
    assert sorted(p.name for p in folder.iterdir()) == [
        f"case-{n:03d}.pdf" for n in range(1, len(mine) + 1)
    ]
    assert sorted(text_of(p).split("Case summary: ")[1].split()[0]
                  for p in folder.iterdir()) == mine  # fmt: skip
    assert panel.target == folder and len(panel.written) == len(mine)
    assert f"{len(mine)} PDFs in {folder}" in panel.result.text()

    opened: list[Path] = []
    monkeypatch.setattr(panel, "system_open", lambda p: opened.append(p) or True)
    panel.open_button.click()
    assert opened == [folder]


def test_cancel_leaves_nothing_written(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    boxes: list[Box],
) -> None:
    window, panel = reports_tab(lead)
    panel.case_view.selectAll()
    out = tmp_path / "out" / "all.pdf"
    out.parent.mkdir()
    save_to(monkeypatch, panel, out)
    assert panel.build()
    window.runner.cancel()  # as the progress dialog's Cancel does
    idle(qtbot, window, timeout=20_000)
    assert list(out.parent.iterdir()) == []  # neither the PDF nor a temporary file
    assert "Cancelled" in panel.result.text() and not panel.written
    assert not panel.open_button.isVisibleTo(panel)
    assert boxes == []  # a cancel is said on the tab, not in a box


def test_open_and_print_call_the_system_with_the_path(
    reports_tab: ReportsTab,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, panel = reports_tab(lead)
    ref = panel.case_model.row_at(0).reference
    select_cases(panel, [ref])
    out = tmp_path / "one.pdf"
    proposed = save_to(monkeypatch, panel, out)
    assert panel.build()
    idle(qtbot, window, timeout=20_000)
    assert proposed == [lead / "reports" / "case-summary.pdf"]  # no reference in the name
    assert f"Case summary: {ref}" in text_of(out)
    panel.by_reference_box.setChecked(True)  # opt-in: named after the reference
    assert panel.proposed_output() == lead / "reports" / f"case-{ref}.pdf"

    opened: list[Path] = []
    printed: list[Path] = []
    monkeypatch.setattr(panel, "system_open", lambda p: opened.append(p) or True)
    monkeypatch.setattr(panel, "system_print", lambda p: printed.append(p) or True)
    panel.open_button.click()
    panel.print_button.click()
    assert opened == [out] and printed == [out]
    assert "Sent one.pdf to the printer" in panel.result.text()

    monkeypatch.setattr(panel, "system_print", lambda _p: False)  # no print command here
    assert not panel.print_result()
    assert "print from the viewer" in panel.result.text()


@pytest.mark.skipif(sys.platform == "win32", reason="lp is the Unix print command")
def test_print_runs_lp_with_the_path(
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    reports_tab: ReportsTab,
) -> None:
    """The printer itself is a stand-in `lp` on PATH that writes down what it was given."""
    _window, panel = reports_tab(lead)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "lp-args.txt"
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    pdf = tmp_path / "a report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert panel.system_print(pdf)
    qtbot.waitUntil(lambda: record.exists() and bool(record.read_text()), timeout=5_000)
    assert record.read_text().splitlines() == [str(pdf)]

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not panel.system_print(pdf)


def test_the_marking_is_remembered(
    reports_tab: ReportsTab,
    lead: Path,
) -> None:
    window, panel = reports_tab(lead)
    assert panel.marking_edit.text() == "OFFICIAL-SENSITIVE"
    panel.marking_edit.setText("OFFICIAL-SENSITIVE PERSONAL")
    panel.marking_edit.editingFinished.emit()
    window.close()
    _window2, panel2 = reports_tab(lead)
    assert panel2.marking_edit.text() == "OFFICIAL-SENSITIVE PERSONAL"
    assert panel2.settings.value(MARKING_KEY) == "OFFICIAL-SENSITIVE PERSONAL"


def test_a_merge_on_the_hub_tab_has_the_list_read_again(
    reports_tab: ReportsTab,
    built_demo: Demo,
    lead: Path,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    window, panel = reports_tab(lead)
    shared = tmp_path / "shared"
    shutil.copytree(built_demo.root / "shared", shared)
    window.settings.setValue(SHARED_FOLDER_KEY, str(shared))
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window, timeout=20_000)
    assert window.hub_panel.merge_shared()
    idle(qtbot, window, timeout=20_000)
    assert window.hub_panel.tally.text().startswith("0 merged, 3 already merged")
    read: list[str] = []
    window.runner.started.connect(read.append)
    window.tabs.setCurrentWidget(panel)  # shown again: it reads the hub again
    idle(qtbot, window, timeout=20_000)
    assert read == ["Reading the cases for reports"] and panel.case_model.rowCount() == 60
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window, timeout=20_000)
