"""The GUI tier: real widgets on Qt's offscreen platform (tests/conftest.py sets it).

Every GUI test records message boxes instead of showing them and fails on a modal dialog no
script drives (tests/support/guikit.py); `open_window` builds a main window on a data folder.
The tier's marker (`gui`) comes from the folder, and pyproject.toml's `qt_log_ignore` drops the
one warning the offscreen platform always gives.
"""

from __future__ import annotations

import pytest
from guikit import Box, open_window, record_boxes  # noqa: F401  (fixture: open_window)


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[Box]:
    """The message boxes a test raised, as kind, title and text (never shown)."""
    return record_boxes(monkeypatch)
