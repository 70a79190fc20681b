"""Ctrl+C copies a table's selection as tab-separated text with headers (#16, part 7): the
Hub tab's figures, the case list (sorted), the Team lead tab's cases (several rows,
in the order shown), and every table of a fully opened window has the key and a Copy action in
its context menu. Real windows on real data folders; the clipboard is Qt's own."""

from __future__ import annotations

import re
from pathlib import Path

from demos import Demos
from guikit import OpenWindow, idle
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot
from scenes import AB, build_team

from probdesk.domain.records import CaseStatus
from probdesk.services import hub as hubs
from probdesk.ui.hub.dialogs import DrillDownDialog
from probdesk.ui.hub.models import NO_CASES
from probdesk.ui.kit.tables import COPY_ACTION, RecordTableModel, record_view
from probdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
CTRL = Qt.KeyboardModifier.ControlModifier


def clipboard() -> str:
    return QApplication.clipboard().text()


def press_copy(qtbot: QtBot, view: QTableView) -> str:
    """Ctrl+C on the view, as typed (the clipboard emptied first), and what it then holds."""
    QApplication.clipboard().setText("")
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    return clipboard()


def click_row(
    qtbot: QtBot,
    view: QTableView,
    row: int,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    index = view.model().index(row, 0)
    view.scrollTo(index)
    where = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, where)


def copy_action(view: QTableView) -> QAction:
    action = view.findChild(QAction, COPY_ACTION)
    assert isinstance(action, QAction), f"{view.accessibleName()!r} has no Copy action"
    return action


def merge_in(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.hub_panel
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tally.text().startswith("3 merged"), timeout=15_000)
    idle(qtbot, window)  # the figures are read after the merge


# -- the Hub tab's figures -----------------------------------------------------------------------


def test_ctrl_c_on_the_hub_figures_copies_the_row_with_its_headers(
    qtbot: QtBot, open_window: OpenWindow, demos: Demos, tmp_path: Path
) -> None:
    demo = demos.copy(4, tmp_path / "demo")
    window = open_window(demo.lead, shared=demo.shared, select=demo.inspection_id, tab="hub_panel")
    merge_in(qtbot, window)
    panel = window.hub_panel
    view = panel.summary_view
    hub = hubs.open_hub(demo.lead)
    try:
        rows = hubs.summarise(hub, demo.inspection_id, "pdu")
    finally:
        hub.close()
    assert window.inspection is not None
    qs = window.workspace.question_set(window.inspection)
    assert panel.summary_model.rowCount() == len(rows) > 3

    def line(r: hubs.SummaryRow) -> str:
        question = ("" if r.key_question else "    ") + f"{r.question_id}  "
        question += qs.question(r.question_id).text
        percent = NO_CASES if r.percent is None else f"{r.percent:.1f}%"
        counts = (r.relevant, r.yes, r.no, r.not_applicable, r.did_not_apply, r.not_answered)
        return "\t".join([r.name, question, *map(str, counts), percent]) + "\n"

    # The set does not rate: the Rating column is hidden, and so left out.
    header = "PDU\tQuestion\tRelevant\tYes\tNo\tN/A\tDid not apply\tNot answered\t% Yes\n"
    row = next(i for i, r in enumerate(rows) if not r.key_question and r.percent is not None)
    click_row(qtbot, view, row)
    assert press_copy(qtbot, view) == header + line(rows[row])

    # The next row by keyboard, then Copy from the context menu: the same, for that row.
    qtbot.keyClick(view, Qt.Key.Key_Down)
    action = copy_action(view)
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert action in view.actions() and action.text().replace("&", "") == "Copy"
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.Copy)
    QApplication.clipboard().setText("")
    action.trigger()
    assert clipboard() == header + line(rows[row + 1])

    # The whole region, pooled: its own first header.
    panel.scope_combo.setCurrentIndex(panel.scope_combo.findData("region"))
    view.selectRow(0)
    copied = press_copy(qtbot, view)
    assert copied.startswith("Region\tQuestion\t") and copied.count("\n") == 2


# -- the case list -------------------------------------------------------------------------------


def test_ctrl_c_on_the_case_list_follows_its_sorting(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    team = build_team(tmp_path / "team")
    ab = team.laptops[AB]
    a2 = team.case(AB, "A2")
    qs = ab.ws.question_set(ab.ws.inspection(team.inspection_id))
    question = next(q.id for q in qs.questions if "yes" in (q.allowed_values() or ()))
    ab.ws.record_answer(a2, question, "yes")
    progress = {r.reference: r for r in ab.ws.case_rows(team.inspection_id)}
    inspection_id = team.inspection_id
    team.close()
    assert set(progress) == {"A1", "A2"}

    window = open_window(tmp_path / "team" / "ab", select=inspection_id)
    cases = window.case_list
    view = cases.view
    # The columns in the order the list shows them (case_list.SHOWN_ORDER).
    header = "Reference\tStatus\tProgress\tPDU\tAssessor\tTo do\tVariant\n"

    def line(ref: str, status: CaseStatus) -> str:
        r = progress[ref]
        return (
            f"{ref}\t{status.label}\t{r.answered} / {r.applicable}\tPlymouth\tAB\t\t{r.variant}\n"
        )

    assert progress["A2"].answered == 1 and progress["A1"].answered == 0
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # A2 first now
    click_row(qtbot, view, 0)
    assert press_copy(qtbot, view) == header + line("A2", CaseStatus.IN_PROGRESS)
    # Nothing selected: the current row.
    view.clearSelection()
    assert view.currentIndex().row() == 0
    assert press_copy(qtbot, view) == header + line("A2", CaseStatus.IN_PROGRESS)

    # Sorted the other way: the row at the top is A1 now.
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    click_row(qtbot, view, 0)
    assert press_copy(qtbot, view) == header + line("A1", CaseStatus.NOT_STARTED)


# -- several rows ----------------------------------------------------------------------------


def test_several_rows_copy_in_the_order_the_table_shows_them(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    team = build_team(tmp_path / "team")
    inspection_id = team.inspection_id
    team.close()
    window = open_window(tmp_path / "team" / "lead", select=inspection_id, tab="team_lead")
    view = window.team_lead.cases_view
    refs = [view.model().index(i, 0).data() for i in range(view.model().rowCount())]
    assert refs == ["A1", "A2", "C1", "C2"]
    click_row(qtbot, view, 3)  # C2 first, then A2 added
    click_row(qtbot, view, 1, CTRL)
    status = CaseStatus.NOT_STARTED.label
    assert press_copy(qtbot, view) == (
        f"Reference\tPDU\tAssessor\tStatus\nA2\tPlymouth\tAB\t{status}\n"
        f"C2\tPlymouth\tCD\t{status}\n"
    )


def test_cells_with_tabs_and_line_breaks_sorted_and_hidden_columns(qtbot: QtBot) -> None:
    records = [("b", "two\tparts", "x"), ("a", "line one\r\nline two", "y"), ("c", "", "z")]
    model = RecordTableModel([
        ("Name", lambda r: r[0]), ("Note", lambda r: r[1]), ("Hidden", lambda r: r[2]),
    ])  # fmt: skip
    model.set_rows(records)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    view = record_view(proxy, "Notes", multi=True)
    qtbot.addWidget(view)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # c, b, a
    view.setColumnHidden(2, True)
    view.horizontalHeader().moveSection(1, 0)  # Note shown before Name
    view.show()
    assert press_copy(qtbot, view) == ""  # nothing selected, no current row: left alone
    view.selectAll()
    assert press_copy(qtbot, view) == ("Note\tName\n\tc\ntwo parts\tb\nline one line two\ta\n")


# -- every table -----------------------------------------------------------------------------


def test_every_table_of_an_opened_window_copies(
    qtbot: QtBot, open_window: OpenWindow, demos: Demos, tmp_path: Path
) -> None:
    demo = demos.copy(4, tmp_path / "demo")
    window = open_window(demo.lead, shared=demo.shared, select=demo.inspection_id, tab="hub_panel")
    merge_in(qtbot, window)
    for i in range(window.tabs.count()):  # each tab read once, as the team lead would
        window.tabs.setCurrentIndex(i)
        idle(qtbot, window)
    window.tabs.setCurrentWidget(window.hub_panel)
    idle(qtbot, window)
    panel = window.hub_panel
    panel.summary_view.setFocus()
    panel.summary_view.selectRow(0)
    qtbot.keyClick(panel.summary_view, Qt.Key.Key_Return)  # the drill-down's table too
    qtbot.waitUntil(lambda: isinstance(panel.drill_dialog, DrillDownDialog), timeout=10_000)
    idle(qtbot, window)
    window.show_snapshots()  # and the snapshots dialog's

    views = window.findChildren(QTableView)
    names = sorted(v.accessibleName() for v in views)
    for expected in (
        "Cases",
        "Figures by question",
        "Packages merged",
        "Outbox",
        "Cases and their outcomes",
        "Snapshots, newest first",
        "Cases to print",
    ):
        assert expected in names, names  # fmt: skip
    assert len(views) >= 18, names
    copy_key = QKeySequence(QKeySequence.StandardKey.Copy)
    for view in views:
        action = copy_action(view)
        assert action.shortcut() == copy_key, view.accessibleName()
        assert action.shortcutContext() == Qt.ShortcutContext.WidgetShortcut
        assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu

    # The key works on a table of a dialog as well.
    drill = panel.drill_dialog
    assert isinstance(drill, DrillDownDialog) and drill.model.rowCount() > 0
    drill.view.selectRow(0)
    copied = press_copy(qtbot, drill.view)
    assert copied.startswith("Case\t") and copied.count("\n") == 2
    drill.close()


def test_every_table_made_outside_record_view_is_given_the_copy() -> None:
    """A table view built by hand (not by record_view) calls enable_copy in the same module."""
    made = re.compile(r"\b(QTableView|QTableWidget)\(")
    for path in sorted((ROOT / "probdesk" / "ui").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name == "tables.py" and path.parent.name == "kit":
            continue
        if made.search(text):
            assert "enable_copy(" in text, f"{path.relative_to(ROOT)} makes a table without it"
