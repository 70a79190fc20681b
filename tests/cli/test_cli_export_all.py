"""`probdesk export --to SHARED` with two inspections on the laptop: without --inspection it
exports every inspection with work not yet in a package, one package each, and says so
(#15, item 4); with --inspection, that one only."""

from __future__ import annotations

from pathlib import Path

import scenes
from cli_support import run

from probdesk.packages import reader


def test_export_without_inspection_exports_every_inspection_with_work(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    paths, (plymouth, exeter) = scenes.two_inspections(tmp_path, shared)
    done = run("--data-dir", paths.data, "export", "--to", shared)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 inspections have work not yet exported: one package each")
    assert done.stdout.count("package ") == 3  # the line above and one per inspection
    held = sorted(reader.peek_manifest(p)["inspection_id"] for p in shared.glob("pd-events-*"))
    assert held == sorted([plymouth, exeter])
    # Nothing new: the newest inspection gets a package on request, as before.
    again = run("--data-dir", paths.data, "export", "--to", shared)
    assert again.returncode == 0
    assert "inspections have work" not in again.stdout
    assert again.stdout.count("package ") == 1


def test_export_with_inspection_exports_that_one_only(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    paths, (plymouth, exeter) = scenes.two_inspections(tmp_path, shared)
    done = run("--data-dir", paths.data, "export", "--to", shared, "--inspection", plymouth)
    assert done.returncode == 0, done.stderr
    held = [reader.peek_manifest(p)["inspection_id"] for p in shared.glob("pd-events-*")]
    assert held == [plymouth]
    rest = run("--data-dir", paths.data, "export", "--to", shared)
    assert "inspections have work" not in rest.stdout
    held = sorted(reader.peek_manifest(p)["inspection_id"] for p in shared.glob("pd-events-*"))
    assert held == sorted([plymouth, exeter])
