"""The shared folder the Sync and Team lead tabs both use: its settings key, and why a folder
cannot be it."""

from __future__ import annotations

from pathlib import Path

SHARED_FOLDER_KEY = "sync/shared_folder"


def shared_folder_problem(folder: Path, data: Path) -> str | None:
    """Why `folder` cannot be the shared folder, or None.

    The shared folder only ever holds finished package files: never the live database, so it
    may not be inside the data folder, nor hold it.
    """
    try:
        f, d = folder.expanduser().resolve(), data.expanduser().resolve()
    except OSError as exc:
        return f"{folder} cannot be used: {exc.strerror or exc}."
    if f == d or f.is_relative_to(d):
        return (
            f"{folder} is inside probdesk's own data folder ({data}). Choose the folder your "
            "team shares (a network drive or a synced folder) instead."
        )
    if d.is_relative_to(f):
        return (
            f"probdesk's data folder ({data}) is inside {folder}. The shared folder must never "
            "hold a live database: choose a folder that only the team's packages go into."
        )
    return None
