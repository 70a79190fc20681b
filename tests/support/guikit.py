"""Shared by the GUI tests: message boxes recorded, scripted dialogs, windows on real folders.

tests/gui/conftest.py turns the recorder on for every GUI test (the `boxes` fixture: a test
that wants to see the boxes takes it as an argument) and offers `open_window`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from probdesk.paths import Paths
from probdesk.services.figures import SummaryRow
from probdesk.ui.app import build_main_window
from probdesk.ui.cases.question_widgets import YesNoWidget
from probdesk.ui.hub.models import NO_CASES, PERCENT_ROLE
from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY
from probdesk.ui.main_window import MainWindow

# -- message boxes and modal dialogs ----------------------------------------------------------


@dataclass
class Box:
    kind: str  # warning, critical, information, about, question
    title: str
    text: str

    def __str__(self) -> str:
        return f"{self.title}: {self.text}"


def record_boxes(monkeypatch: pytest.MonkeyPatch) -> list[Box]:
    """Message boxes are recorded, never shown (a question is answered Yes); a modal dialog
    (a nested event loop) that no test scripted with `drive` fails the test."""
    seen: list[Box] = []

    def recorder(kind: str, answer: object) -> Any:
        def box(_parent: object, title: str, text: str, *_args: object) -> object:
            seen.append(Box(kind, title, text))
            return answer

        return staticmethod(box)

    ok = QMessageBox.StandardButton.Ok
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind, ok))
    monkeypatch.setattr(QMessageBox, "about", recorder("about", None))
    monkeypatch.setattr(
        QMessageBox, "question", recorder("question", QMessageBox.StandardButton.Yes)
    )

    def exec_(self: QDialog) -> int:
        raise AssertionError(f"unexpected modal dialog {type(self).__name__}")

    monkeypatch.setattr(QDialog, "exec", exec_)
    return seen


@dataclass
class Driven:
    """What `drive` saw: the dialogs opened, and the scripts not yet run."""

    opened: list[Any]
    pending: list[Callable[[Any], None]]


def drive(
    monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], *scripts: Callable[[Any], None]
) -> Driven:
    """Each exec() of `cls` shows the dialog and runs the next script on it; a dialog still
    open afterwards (it refused its input) is cancelled. One more exec() than there are
    scripts fails the test."""
    driven = Driven([], list(scripts))

    def exec_(self: QDialog) -> int:
        assert driven.pending, f"{cls.__name__} opened more often than the test expected"
        driven.opened.append(self)
        self.show()
        try:
            driven.pending.pop(0)(self)
        finally:
            if self.isVisible():
                self.reject()
        return self.result()

    monkeypatch.setattr(cls, "exec", exec_)
    return driven


def press_ok(dialog: Any) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def refused(dialog: Any, *fragments: str) -> str:
    """The dialog stayed open and shows a problem containing every fragment."""
    assert dialog.isVisible(), "the dialog closed although its input was refused"
    assert dialog.error.isVisible()
    text = str(dialog.error.text())
    for f in fragments:
        assert f in text, (f, text)
    return text


# -- windows ------------------------------------------------------------------------------------


class OpenWindow(Protocol):
    def __call__(
        self,
        data: Path,
        *,
        shared: Path | None = None,
        select: str | None = None,
        tab: str | None = None,
        size: tuple[int, int] | None = None,
        active: bool = False,
    ) -> MainWindow: ...


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[OpenWindow]:
    """open_window(data): a main window shown on the data folder `data` (one folder per
    laptop); `shared` sets its shared folder, `select` chooses an inspection, `tab` names the
    tab to show (an attribute of the window: "hub_panel", "team_lead"...). After the test each
    window finishes its operation, closes (and with it the hub it holds) and closes its
    workspace; pytest-qt closes windows before fixtures are torn down, so a closing window can
    still save into its open workspace."""
    windows: list[MainWindow] = []

    def make(
        data: Path,
        *,
        shared: Path | None = None,
        select: str | None = None,
        tab: str | None = None,
        size: tuple[int, int] | None = None,
        active: bool = False,
    ) -> MainWindow:
        w = build_main_window(Paths.resolve(data))
        qtbot.addWidget(w)
        windows.append(w)
        if size is not None:
            w.resize(*size)
        w.show()
        if active:
            w.activateWindow()
            qtbot.waitUntil(w.isActiveWindow)
        if shared is not None:
            w.settings.setValue(SHARED_FOLDER_KEY, str(shared))
        if select is not None:
            w.reload_inspections(select=select)
            assert w.inspection is not None and w.inspection.id == select
        if tab is not None:
            w.tabs.setCurrentWidget(getattr(w, tab))
        return w

    yield make
    for w in windows:
        w.runner.wait()
        if w.isVisible():
            w.close()
        w.workspace.close()


def idle(qtbot: QtBot, window: MainWindow, timeout: int = 15_000) -> None:
    """Wait until the window's runner has finished and handled its operation."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=timeout)
    assert not window.runner.dialog.isVisible()


def done_with(window: MainWindow) -> None:
    """Close a window within the test (a laptop shut), as the fixture would afterwards."""
    window.runner.wait()
    window.close()
    window.workspace.close()


# -- what a window shows ------------------------------------------------------------------------


def cells(model: Any, row: int) -> list[str]:
    """A table row as shown: each column's text, "" where a cell shows nothing."""
    out = []
    for c in range(model.columnCount()):
        value = model.index(row, c).data()
        out.append("" if value is None else str(value))
    return out


Figures = tuple[str, ...]


def number_cells(model: Any, row: int) -> Figures:
    """A row of the Hub tab's figures: name, relevant, yes, no, n/a, did not apply, not
    answered, percent shown, percent behind the bar."""
    c = cells(model, row)
    pct = model.PERCENT
    return (*c[0:1], *c[2 : pct + 1], str(model.index(row, pct).data(PERCENT_ROLE)))


def expected_cells(r: SummaryRow) -> Figures:
    """What number_cells should read for the service's row `r`."""
    pct = NO_CASES if r.percent is None else f"{r.percent:.1f}%"
    return (r.name, str(r.relevant), str(r.yes), str(r.no), str(r.not_applicable),
            str(r.did_not_apply), str(r.not_answered), pct, str(r.percent))  # fmt: skip


INTERACTIVE = (
    QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView, QSpinBox,
    QDateEdit, YesNoWidget,
)  # fmt: skip
# Qt's own parts of a compound widget (a spin box's line edit, a table's headers and corner
# button, a line edit's clear button) are reached through the compound widget's accessibility.
COMPOUND = (QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit)


def unnamed(top: QWidget) -> list[str]:
    """Visible controls under `top` without an accessible name, each with where it is."""
    out = []
    for w in top.findChildren(QWidget):
        if not isinstance(w, INTERACTIVE) or not w.isVisibleTo(top):
            continue
        parent, part_of_compound = w.parentWidget(), False
        while parent is not None and parent is not top:
            part_of_compound = part_of_compound or isinstance(parent, COMPOUND)
            parent = parent.parentWidget()
        if part_of_compound or w.accessibleName().strip():
            continue
        where = w.parentWidget()
        while where is not None and not where.accessibleName():
            where = where.parentWidget()
        place = f" in '{where.accessibleName()}'" if where is not None else ""
        text = f" text={w.text()!r}" if isinstance(w, QAbstractButton) else ""
        out.append(f"{type(w).__name__}(objectName={w.objectName()!r}{text}){place}")
    return out
