"""Any palette (#17, part 6): under a dark palette every tab of the team lead's window (each
Hub page too), and the case form with a comment from the lead, shows its text at a contrast
of at least 4.5:1 against what is behind it: labels and buttons (by their palette, which
style sheets set), colours written into rich text, and the cells of every table.

Under the light palette the same checks hold (the colours the window had before)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from demos import Demos
from guikit import OpenWindow, idle
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QTextBrowser,
    QWidget,
)
from pytestqt.qtbot import QtBot

from probdesk.ui.kit.colours import BANDS, TONES, contrast, dark
from probdesk.ui.main_window import MainWindow

LEAST = 4.5
COLOUR = re.compile(r"color:\s*(#[0-9a-fA-F]{6})")


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#202124"), QColor("#17181a"), QColor("#e8eaed")
    for role, c in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor("#26282b")),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, QColor("#2b2d30")),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, QColor("#3d6fb4")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.PlaceholderText, QColor("#9aa0a6")),
    ):  # fmt: skip
        p.setColor(role, c)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):  # fmt: skip
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8e9297"))
    return p


@pytest.fixture
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    if request.param == "dark":
        app.setPalette(dark_palette())
    yield request.param
    app.setPalette(before)


def background(w: QWidget) -> QColor:
    return w.palette().color(w.backgroundRole())


def problems_in(root: QWidget) -> list[str]:
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        bg = background(w)
        # (a disabled control is exempt, as in WCAG 1.4.3; its text is checked when enabled)
        if isinstance(w, QLabel | QAbstractButton) and w.text().strip() and w.isEnabled():
            fg = w.palette().color(w.foregroundRole())
            if contrast(fg, bg) < LEAST:
                out.append(f"{type(w).__name__} {w.text()[:40]!r}: {contrast(fg, bg):.2f}")
        html = ""
        if isinstance(w, QLabel):
            html = w.text()
        elif isinstance(w, QTextBrowser):
            html = w.toHtml()
        for found in COLOUR.findall(html):
            if contrast(QColor(found), bg) < LEAST:
                out.append(f"{type(w).__name__} text in {found}: {contrast(QColor(found), bg):.2f}")
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            out += cell_problems(w)
    return out


def cell_problems(view: QAbstractItemView) -> list[str]:
    model = view.model()
    out = []
    base, text = (
        view.palette().color(QPalette.ColorRole.Base),
        view.palette().color(QPalette.ColorRole.Text),
    )
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # a list model keeps columnCount private: one column
        columns = 1
    for row in range(min(model.rowCount(QModelIndex()), 40)):
        for col in range(columns):
            index = model.index(row, col)
            if not index.data():
                continue
            fg_brush, bg_brush = (index.data(Qt.ItemDataRole.ForegroundRole),
                                  index.data(Qt.ItemDataRole.BackgroundRole))  # fmt: skip
            fg = fg_brush.color() if isinstance(fg_brush, QBrush) else fg_brush or text
            bg = bg_brush.color() if isinstance(bg_brush, QBrush) else bg_brush or base
            if isinstance(fg, QColor) and isinstance(bg, QColor) and contrast(fg, bg) < LEAST:
                out.append(
                    f"cell {str(index.data())[:30]!r}: {contrast(fg, bg):.2f} "
                    f"({fg.name()} on {bg.name()})"
                )
    return out


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("palette") / "demo"
    demos.copy(4, out)
    return out


def visit(qtbot: QtBot, window: MainWindow) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        idle(qtbot, window)
        page = window.tabs.widget(i)
        name = window.tabs.tabText(i).replace("&", "")
        if page is window.hub_panel:
            for n in range(5):
                window.hub_panel.show_page(n)
                if got := problems_in(page):
                    found[f"{name}/{n}"] = got
            continue
        if got := problems_in(page):
            found[name] = got
    return found


@pytest.mark.parametrize("palette", ["dark", "light"], indirect=True)
def test_every_tab_reads_at_4_5_to_1(
    qtbot: QtBot, open_window: OpenWindow, demo: Path, palette: str
) -> None:
    assert dark() is (palette == "dark")
    lead = open_window(demo / "lead", shared=demo / "shared", size=(1366, 768))
    idle(qtbot, lead)
    assert lead.hub_panel.merge_shared()
    qtbot.waitUntil(lambda: not lead.runner.busy, timeout=30_000)
    idle(qtbot, lead)
    assert lead.hub_panel.summary_model.rowCount() > 0  # figures, ratings and bars to read
    found = visit(qtbot, lead)
    assert found == {}, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in sorted(set(vs)))


@pytest.mark.parametrize("palette", ["dark"], indirect=True)
def test_the_case_form_with_a_comment_reads_under_a_dark_palette(
    qtbot: QtBot, open_window: OpenWindow, demo: Path, palette: str
) -> None:
    from datetime import datetime

    from probdesk.domain.records import Comment

    window = open_window(demo / "ab", size=(1366, 768))
    idle(qtbot, window)
    assert window.inspection is not None
    case = window.workspace.cases(window.inspection.id)[0]
    form = window.case_form
    form.comments_for = lambda _i, _c: [
        Comment("c1", window.inspection.id, case.id, "TL", "Is C1 right?", datetime(2026, 11, 3),
                "p1", question_id="C1")
    ]  # fmt: skip
    window.case_list.select(case.id)
    idle(qtbot, window)
    assert form.comments.isVisibleTo(window)
    assert problems_in(form) == []


def test_every_named_colour_reads_on_its_own_palette() -> None:
    light_bg, dark_bg = QColor("#ffffff"), QColor("#202124")
    for name in ("problem", "warning", "muted", "strong"):
        light, on_dark = TONES[name]
        assert contrast(QColor(light), light_bg) >= LEAST, name
        assert contrast(QColor(on_dark), dark_bg) >= LEAST, name
    for fg_name, bg_name in (("note_fg", "note_bg"), ("info_fg", "info_bg"),
                             ("alarm_fg", "alarm_bg"), ("caution_fg", "caution_bg")):  # fmt: skip
        for side in (0, 1):
            fg, bg = QColor(TONES[fg_name][side]), QColor(TONES[bg_name][side])
            assert contrast(fg, bg) >= LEAST, (fg_name, side)
    for light, on_dark in BANDS:
        assert contrast(QColor(light[0]), QColor(light[1])) >= LEAST
        assert contrast(QColor(on_dark[0]), QColor(on_dark[1])) >= LEAST
