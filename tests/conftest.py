"""Shared test set-up: offscreen Qt, a throwaway data folder, hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from pg import pg_server, pg_url  # noqa: F401  (fixtures: a throwaway PostgreSQL server)

# Before pytest-qt (or anything else) creates a QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

settings.register_profile("ci", deadline=None, derandomize=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

from guikit import no_modal  # noqa: E402, F401  (fixture: message boxes recorded, no modal)


@pytest.fixture(autouse=True)
def _offscreen_qt() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
