"""The main window and question-set browser, driven offscreen with pytest-qt."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from probdesk import logsetup
from probdesk.errors import ProbdeskError
from probdesk.paths import Paths
from probdesk.ui import crash
from probdesk.ui.app import build_main_window
from probdesk.ui.main_window import MainWindow

EXTRA = """\
format: 1
id: extra
version: "0.1"
title: Extra set
facts:
  - id: da
    label: Domestic abuse
    type: yes_no
variants:
  - id: main
    label: Main
sections:
  - id: s1
    title: Only section
    key_question:
      id: K1
      text: Is the work good enough?
      answer: yes_no
"""


@pytest.fixture
def paths(tmp_data_dir: Path) -> Paths:
    return Paths.resolve(tmp_data_dir)


def _closed(window: MainWindow) -> None:
    window.close()
    if window.workspace is not None:
        window.workspace.close()


@pytest.fixture
def window(qtbot: QtBot, paths: Paths) -> Iterator[MainWindow]:
    w = build_main_window(paths)
    qtbot.addWidget(w)
    yield w
    _closed(w)


def walk(model: Any, parent: QModelIndex | None = None) -> Iterator[QModelIndex]:
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        yield index
        yield from walk(model, index)


def find(window: MainWindow, prefix: str) -> QModelIndex:
    hits = [i for i in walk(window.browser.model) if str(i.data()).startswith(prefix)]
    assert hits, prefix
    return hits[0]


# -- the browser -------------------------------------------------------------------------------


BUNDLED = 4  # DIPP, PDU core, and the regional inspection's unpaid work and victim contact


def test_the_tree_holds_every_bundled_set(window: MainWindow) -> None:
    model = window.browser.model
    titles = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert len(titles) == BUNDLED
    assert any(t.startswith("Dynamic inspection of public protection") for t in titles)
    assert any(t.startswith("PDU inspection, case-based standards") for t in titles)
    assert any("unpaid work" in t for t in titles)
    assert any("victim contact" in t.casefold() for t in titles)
    assert window.browser.tree.model() is model


def test_the_model_is_a_well_behaved_qt_model(window: MainWindow, qtmodeltester: Any) -> None:
    qtmodeltester.check(window.browser.model)


def test_selecting_a_conditional_question_shows_its_details(window: MainWindow) -> None:
    index = find(window, "C1.5  ")
    assert str(index.data()).endswith("(conditional)")
    window.browser.tree.setCurrentIndex(index)
    text = window.browser.detail.toPlainText()
    assert "Was the domestic abuse information received from the police?" in text
    assert "Applies when Domestic abuse indicated is 'Yes' or 'Not known'" in text
    assert "the answer to C1.4 is 'Yes'" in text
    assert "Guidance" in text and "Applies only where a request was made." in text
    assert "Evidence sources" in text and "Police domestic abuse call-out response" in text


def test_selecting_an_unconditional_question(window: MainWindow) -> None:
    window.browser.tree.setCurrentIndex(find(window, "C1.1  "))
    text = window.browser.detail.toPlainText()
    assert "Applies to every case of its variant." in text
    assert "Applies when" not in text


def test_open_question_set_adds_it(window: MainWindow, tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(EXTRA, encoding="utf-8")
    qs = window.open_question_set(str(extra))
    assert qs is not None and qs.id == "extra"
    model = window.browser.model
    assert model.rowCount() == BUNDLED + 1
    assert model.index(BUNDLED, 0).data() == "Extra set (0.1)"
    assert window.statusBar().currentMessage() == "Loaded Extra set (0.1)"
    window.open_question_set(str(extra))  # the same content again replaces, not duplicates
    assert window.browser.model.rowCount() == BUNDLED + 1


def test_open_question_set_refuses_a_bad_file(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warned: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a: warned.append(a)))
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXTRA.replace("answer: yes_no", "answer: maybe"), encoding="utf-8")
    assert window.open_question_set(str(bad)) is None
    assert window.browser.model.rowCount() == BUNDLED
    assert len(warned) == 1
    text = warned[0][2]
    assert f"{bad}: 1 problem in the question set" in text
    assert f"{bad}:18:15: sections[0].key_question.answer: 'maybe' is not one of" in text


# -- settings ----------------------------------------------------------------------------------


def test_geometry_is_saved_on_close_and_restored(qtbot: QtBot, paths: Paths) -> None:
    first = build_main_window(paths)
    qtbot.addWidget(first)
    first.show()
    # The offscreen screen is 800 pixels wide and the window needs about that much, so the
    # width is clamped on restore: check the height and the position, which are not.
    first.resize(1000, 517)
    first.move(23, 31)
    qtbot.waitUntil(lambda: first.height() == 517 and first.pos().y() == 31)
    before = first.geometry()  # the client area, inside the (offscreen) frame
    _closed(first)
    ini = paths.config / "probdesk.ini"
    assert ini.is_file()
    saved = QSettings(str(ini), QSettings.Format.IniFormat).value("main/geometry")
    assert isinstance(saved, QByteArray) and not saved.isEmpty()
    assert "[main]" in ini.read_text("utf-8")

    second = build_main_window(paths)
    qtbot.addWidget(second)
    try:
        assert second.height() == 517  # not the default 860
        assert second.geometry().y() == before.y()
    finally:
        _closed(second)


# -- accessibility -----------------------------------------------------------------------------


def test_widgets_that_matter_have_accessible_names(window: MainWindow) -> None:
    named: list[QWidget] = [window, window.browser.tree, window.browser.detail]
    for widget in named:
        assert widget.accessibleName().strip(), widget
    assert window.browser.tree.accessibleName() == "Question sets"
    assert window.browser.detail.accessibleName() == "Question details"


def test_every_menu_action_has_words(window: MainWindow) -> None:
    menus = [a.menu() for a in window.menuBar().actions()]
    assert all(m is not None for m in menus)
    actions = [a for m in menus for a in m.actions() if not a.isSeparator()]  # type: ignore[union-attr]
    assert window.open_action in actions
    for action in actions:
        assert action.text().replace("&", "").strip(), action
    assert not window.open_action.shortcut().isEmpty()


# -- crash handling ----------------------------------------------------------------------------


def test_the_crash_dialog_copies_its_details(qtbot: QtBot) -> None:
    details = "Traceback (most recent call last):\n  ...\nRuntimeError: boom\n"
    dialog = crash.CrashDialog(details, "/somewhere/probdesk.log")
    qtbot.addWidget(dialog)
    assert dialog.copy_button.accessibleName()
    assert dialog.details.accessibleName()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == details


@pytest.fixture
def hook_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """crash.install replaces sys.excepthook: the test's own is put back after it (the log
    handler logsetup.configure adds goes with conftest's _probdesk_logging_restored)."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)


@pytest.mark.usefixtures("hook_restored")
def test_an_expected_error_shows_a_message_box(
    window: MainWindow, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *args: calls.append(args)))
    opened: list[str] = []
    monkeypatch.setattr(crash.CrashDialog, "exec", lambda self: opened.append("crash") or 0)
    crash.install(paths, window)
    err = ProbdeskError("The file is locked.", details=("x.yaml:1:1: first", "x.yaml:2:1: second"))
    sys.excepthook(type(err), err, None)
    assert len(calls) == 1
    parent, title, text = calls[0]
    assert parent is window
    assert title == "probdesk"
    assert text == "The file is locked.\n\nx.yaml:1:1: first\nx.yaml:2:1: second"
    assert opened == []


@pytest.mark.logs_warnings
@pytest.mark.usefixtures("hook_restored")
def test_a_bug_is_logged_and_shown_in_the_crash_dialog(
    window: MainWindow, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    warned: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a: warned.append(a)))
    shown: list[str] = []

    def fake_exec(self: crash.CrashDialog) -> int:
        shown.append(self.details.toPlainText())
        return 0

    monkeypatch.setattr(crash.CrashDialog, "exec", fake_exec)
    logsetup.configure(paths.ensure())
    crash.install(paths, window)
    note = "Seen at home on 3 March; the partner was present"  # what a note might say
    try:
        raise RuntimeError(f"cannot save {note!r}")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert warned == []
    assert len(shown) == 1
    assert shown[0].startswith("Crash report (types and places only")
    assert "builtins.RuntimeError" in shown[0]
    assert "gui/test_gui_browser.py:" in shown[0]  # where it was raised
    assert "test_a_bug_is_logged_and_shown_in_the_crash_dialog" in shown[0]
    assert "partner" not in shown[0]  # never what it said
    for h in logging.getLogger("probdesk").handlers:
        h.flush()
    logged = paths.log_file.read_text("utf-8")
    assert "ERROR probdesk.crash: unexpected error" in logged
    assert "builtins.RuntimeError" in logged
    assert "partner" not in logged and "cannot save" not in logged
