"""Start-up: the window shows before the data opens, and a failure to open it is clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rawdb
from guikit import Box, drive
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from scenes import PDU_CORE, TEAM_FACTS

from probdesk.paths import Paths
from probdesk.ui.app import open_data, show_main_window


def test_the_window_can_close_before_the_data_is_open(qtbot: QtBot, tmp_path: Path) -> None:
    window = show_main_window(Paths.resolve(tmp_path / "data"))
    qtbot.addWidget(window)
    assert window.isVisible() and not window.views_built
    assert window.statusBar().currentMessage() == "Opening your data…"
    window.close()  # nothing to save, nothing to crash on
    assert not window.isVisible()
    assert (tmp_path / "data" / "config" / "probdesk.ini").exists()


def test_a_data_folder_that_cannot_be_used_is_explained_and_nothing_opens(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    paths = Paths.resolve(tmp_path / "OneDrive - Example" / "probdesk")
    window = show_main_window(paths)
    qtbot.addWidget(window)
    assert open_data(window, paths) is False
    assert shown and "OneDrive" in shown[0]
    assert not window.views_built
    assert not (paths.data / "probdesk.sqlite").exists()
    window.close()


def test_opening_the_data_fills_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "data")
    window = show_main_window(paths)
    qtbot.addWidget(window)
    assert open_data(window, paths) is True
    assert window.views_built and window.tabs.count() >= 4
    assert window.statusBar().currentMessage() == ""
    window.close()
    window.workspace.close()


def _index_out_of_step(db: Path) -> None:
    """Damage the quick check at start-up does not see: an index whose entries no longer
    match its table (the full check does)."""
    conn = rawdb.connect(db)
    try:
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute(
            'UPDATE sqlite_master SET sql=\'CREATE INDEX ix_case_inspection_id ON "case" '
            "(reference)' WHERE name='ix_case_inspection_id'"
        )
        conn.commit()
    finally:
        conn.close()


@pytest.mark.logs_warnings
def test_the_check_after_start_up_says_when_answers_were_changed_outside_probdesk(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tamper evidence in the window: the background check also folds the chains again."""
    import json
    from datetime import date

    import rawdb

    from probdesk.services.workspace import Workspace

    paths = Paths.resolve(tmp_path / "data")
    ws = Workspace.open(paths.ensure())
    insp = ws.create_inspection("Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4), PDU_CORE)
    case = ws.add_case(insp.id, "CRN-0001", TEAM_FACTS)
    ws.record_answer(case.id, "2.1.1", "yes")
    ws.close()
    conn = rawdb.connect(paths.data / "probdesk.sqlite")
    conn.execute("UPDATE answer_event SET value = ?", (json.dumps("no"),))
    conn.commit()
    conn.close()
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    window = show_main_window(paths)
    qtbot.addWidget(window)
    monkeypatch.setattr(window, "check_data_later", lambda *a: None)
    assert open_data(window, paths) is True
    assert window.check_data()
    assert window.runner.wait()
    assert window.data_check == "ok"
    [finding] = window.tamper_findings
    assert "Cardiff" in finding and "edited" in finding
    assert len(warned) == 1 and "does not match what this laptop signed" in warned[0]
    assert "CRN-0001" not in warned[0]
    window.close()
    window.workspace.close()


@pytest.mark.logs_warnings
@pytest.mark.parametrize("damaged", [False, True])
def test_the_full_check_runs_after_start_up_and_says_what_the_quick_one_missed(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damaged: bool
) -> None:
    from datetime import date

    from probdesk.services.workspace import Workspace

    paths = Paths.resolve(tmp_path / "data")
    ws = Workspace.open(paths.ensure())
    insp = ws.create_inspection("Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4), PDU_CORE)
    ws.add_case(insp.id, "CRN-0001", TEAM_FACTS)
    ws.close()
    if damaged:
        _index_out_of_step(paths.data / "probdesk.sqlite")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    window = show_main_window(paths)
    qtbot.addWidget(window)
    checks: list[int] = []
    monkeypatch.setattr(window, "check_data_later", lambda *a: checks.append(1))
    assert open_data(window, paths) is True
    assert checks == [1]  # scheduled, after start-up
    assert window.check_data()
    assert window.runner.wait()
    if damaged:
        assert window.data_check == "row 1 missing from index ix_case_inspection_id"
        assert len(warned) == 1 and "File > Snapshots" in warned[0]
        assert "row 1 missing from index" in warned[0]
    else:
        assert window.data_check == "ok" and warned == []
    window.close()
    window.workspace.close()


def test_without_a_key_store_the_window_asks_for_the_data_passphrase(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, boxes: list[Box]
) -> None:
    """A computer with no key store: the window asks for a passphrase to choose (twice,
    strong), then, at the next start, for that passphrase; a weak one is refused in the
    dialog, saying why; Cancel leaves the data locked and says so."""
    import keyring
    from keyring.backends import fail

    from probdesk.store import datakey
    from probdesk.ui.kit.passphrase import PassphraseDialog

    seen: list[str] = []

    def typing(*typed: tuple[str, str]) -> Callable[[PassphraseDialog], None]:
        """Each (passphrase, again) in turn, then OK; what the dialog says to each is kept.
        With nothing typed the dialog is cancelled."""

        def script(dialog: PassphraseDialog) -> None:
            for first, again in typed:
                dialog.passphrase.setText(first)
                dialog.again.setText(again)
                dialog.buttons.accepted.emit()
                if dialog.isVisible() and dialog.error.isVisible():
                    seen.append(dialog.error.text())

        return script

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        strong = "kettle orbit marsh violin"
        driven = drive(
            monkeypatch,
            PassphraseDialog,
            typing(("aaaaaaaaaa", "aaaaaaaaaa"), (strong, "kettle orbit marsh"), (strong, strong)),
            typing((strong, "")),
            typing(),  # Cancel
        )
        paths = Paths.resolve(tmp_path / "data")
        window = show_main_window(paths)
        qtbot.addWidget(window)
        assert open_data(window, paths) is True
        assert any("too easy to guess" in s for s in seen)
        assert any("differ" in s for s in seen)
        window.close()
        window.workspace.close()

        datakey.forget()  # the next start
        window = show_main_window(paths)
        qtbot.addWidget(window)
        assert open_data(window, paths) is True
        window.close()
        window.workspace.close()

        datakey.forget()
        window = show_main_window(paths)
        qtbot.addWidget(window)
        assert open_data(window, paths) is False  # Cancel
        assert driven.pending == [] and len(driven.opened) == 3
        assert boxes and boxes[-1].kind == "critical" and "locked" in boxes[-1].text
        window.close()
    finally:
        keyring.set_keyring(before)
