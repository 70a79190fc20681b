"""The operation runner gives the keyboard back: after its progress dialog the window is active
and the widget that had focus has it again (no dead keys after a long operation)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from probdesk.errors import InputError
from probdesk.paths import Paths
from probdesk.ui.app import build_main_window
from probdesk.ui.kit import runner as runner_module
from probdesk.ui.kit.changes import Changes
from probdesk.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = build_main_window(Paths.resolve(tmp_path / "laptop"))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.runner.wait()
    w.workspace.close()


def _long_job(release: threading.Event) -> Callable[[object, Callable[[], bool]], str]:
    def work(_progress: object, cancelled: Callable[[], bool]) -> str:
        while not release.is_set() and not cancelled():
            threading.Event().wait(0.01)
        return "done"

    return work


def test_focus_comes_back_after_the_progress_dialog(qtbot: QtBot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.cases_splitter)  # a fresh laptop opens on Welcome
    fields = [f for f in window.findChildren(QLineEdit) if f.isVisible() and f.isEnabled()]
    assert fields, "the window shows a text field to hold the focus"
    field = fields[0]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)

    release = threading.Event()
    done: list[str] = []
    assert window.runner.run("Long", _long_job(release), done.append)
    # the dialog shows once the work outlasts the delay, and takes the keyboard
    qtbot.waitUntil(window.runner.dialog.isVisible, timeout=10_000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window.runner.dialog)
    release.set()
    qtbot.waitUntil(lambda: done == ["done"])

    assert not window.runner.dialog.isVisible()
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is field


def test_a_quick_job_shows_no_dialog_and_leaves_focus_alone(
    qtbot: QtBot, window: MainWindow
) -> None:
    # however slow the machine, a job that ends before the delay never shows the dialog
    window.runner._show_timer.setInterval(60_000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    done: list[int] = []
    assert window.runner.run("Quick", lambda _p, _c: 7, done.append)
    qtbot.waitUntil(lambda: done == [7])
    assert not window.runner.dialog.isVisible() and window.isActiveWindow()
    assert runner_module.SHOW_AFTER_MS == 400


def test_no_garbage_collection_runs_while_work_is_on_its_thread(window: MainWindow) -> None:
    """A collection started on the worker thread could free the GUI thread's Qt objects there
    (a segfault in "Garbage-collecting" was seen under a runner's work): collection is held
    while work runs, and back once it is over."""
    import gc

    assert gc.isenabled()
    during: list[bool] = []
    assert window.runner.run(
        "Holding", lambda _p, _c: during.append(gc.isenabled()), lambda _v: None
    )
    assert window.runner.wait()
    assert during == [False] and gc.isenabled()


def test_an_expected_failure_is_said_in_a_message_box(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no handler of its own, an expected failure is a warning with its details (the
    kit's show_problem: the runner reaches into no tab for it)."""
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))

    def fail(_p: object, _c: object) -> None:
        raise InputError("The shared folder is not there.", details=("Choose it again.",))

    assert window.runner.run("Failing", fail, lambda _r: None)
    qtbot.waitUntil(lambda: bool(warned))
    assert warned == ["The shared folder is not there.\n\nChoose it again."]


def test_what_an_operation_changed_is_broadcast_done_or_failed_before_it_finishes(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Views read again by the kinds of data an operation names, never by its title; a failed
    operation still says what it may have changed (a merge may stop half-way)."""
    heard: list[object] = []
    window.runner.changed.connect(lambda c: heard.append(c))
    window.runner.finished.connect(lambda title: heard.append(title))

    assert window.runner.run("Merging", lambda _p, _c: 3, lambda _r: None,
                             changes=Changes.HUB | Changes.TEAM)  # fmt: skip
    qtbot.waitUntil(lambda: "Merging" in heard)

    def fail(_p: object, _c: object) -> None:
        raise InputError("The shared folder is not there.")

    assert window.runner.run("Copying", fail, lambda _r: None, lambda _e: None,
                             changes=Changes.OUTBOX)  # fmt: skip
    qtbot.waitUntil(lambda: "Copying" in heard)
    assert window.runner.run("Reading", lambda _p, _c: 1, lambda _r: None)
    qtbot.waitUntil(lambda: "Reading" in heard)
    assert heard == [Changes.HUB | Changes.TEAM, "Merging", Changes.OUTBOX, "Copying", "Reading"]


def test_the_hub_views_read_again_after_what_changes_the_hub_and_only_then(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The Hub, Reports and Evidence tabs mark themselves to read the hub again after an
    operation that names the hub among its changes, whatever its title; a read, an export or a
    purge of this laptop's data leaves them as they are."""
    views = (window.hub_panel, window.reports_panel)

    def stale() -> list[bool]:
        return [v._stale for v in views] + [window.evidence._findings_stale]

    def settle() -> None:
        for v in views:
            v._stale = False
        window.evidence._findings_stale = False

    for title, changes, expected in [
        ("Reading the hub's figures", Changes.NONE, False),  # a title that once meant "read"
        ("Exporting your work", Changes.OUTBOX, False),
        ("Opening the setup pack", Changes.INSPECTIONS | Changes.CASES | Changes.TEAM, False),
        ("Building the report", Changes.HUB, True),  # a title that once meant "no change"
        ("Settling a conflict", Changes.HUB, True),
    ]:
        settle()
        assert window.runner.run(title, lambda _p, _c: None, lambda _r: None, changes=changes)
        assert window.runner.wait()  # the result handled, `changed` and `finished` sent
        hub_view = stale()
        # the Hub tab also reads again after its team changes (held laptops); the others not
        assert hub_view[1:] == [expected, expected], title
        assert hub_view[0] == (expected or bool(changes & Changes.TEAM)), title
