"""Shared by the GUI tests: message boxes recorded, never shown; a modal dialog fails.

conftest.py makes the fixture available everywhere; a GUI test module turns it on for all its
tests with `pytestmark = pytest.mark.usefixtures("no_modal")`, and a test that wants to see
the boxes takes `no_modal` as an argument.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox


@pytest.fixture
def no_modal(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are recorded as "title: text"; a modal dialog (a nested event loop) that
    no test scripted fails the test."""
    seen: list[str] = []

    def box(_parent: object, title: str, text: str, *_args: object) -> object:
        seen.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(box))

    def exec_(self: QDialog) -> int:
        raise AssertionError(f"unexpected modal dialog {type(self).__name__}")

    monkeypatch.setattr(QDialog, "exec", exec_)
    return seen
