"""Where the files shipped with probdesk live: the source tree, or the PyInstaller bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def root() -> Path:
    """The folder holding `question_sets/` and `resources/`."""
    override = os.environ.get("PROBDESK_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def question_sets_dir() -> Path:
    return root() / "question_sets"


def schema_path() -> Path:
    return question_sets_dir() / "schema" / "question-set.schema.json"


def resources_dir() -> Path:
    return root() / "resources"


def bundled_question_sets() -> list[Path]:
    return sorted(question_sets_dir().glob("*.yaml"))
