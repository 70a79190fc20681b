"""No case content outside the stores (issue "Case data protected at rest", item 2): a demo
run, then a folder of case summaries, an export, a snapshot and a crash; every file they wrote
is scanned for every case reference and note of the run.

Found only where they belong: inside encrypted packages (never in a package's plaintext
manifest), and inside the reports and exports a user asked for (their content, never their
file names). The SQLite stores (laptop databases and their write-ahead logs, the hub,
snapshots, backups) are scanned like every other file: they are encrypted at rest, so no
reference or note shows in them either.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cli_support
import pytest
import rawdb
from cli_support import Ran

ASKED_FOR = (".pdf", ".csv", ".xlsx")  # a report or an export: its content is the point


def run(*args: str | Path) -> Ran:
    done = cli_support.run(*args)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    out = tmp_path_factory.mktemp("scan") / "demo"
    run("demo", "--out", out)
    hub_url = f"sqlite:///{out / 'hub.sqlite'}"
    hub = rawdb.hub(hub_url)
    try:
        ids = hub.inspection_ids()
        refs = {c.reference for i in ids for c in hub.cases_of(i)}
        notes = {e.note for i in ids for e in hub.events_of(i) if len(e.note) >= 12}
    finally:
        hub.close()
    assert len(refs) >= 20 and len(notes) >= 5  # the demo's notes come from a few phrases
    lead = out / "lead"
    some = sorted(refs)[:3]
    run("--data-dir", lead, "report", "case", *some, "--folder", "--hub", hub_url,
        "--out", out / "reports" / "cases")  # fmt: skip
    run("--data-dir", lead, "export-data", "--hub", hub_url, "--format", "csv",
        "--with-notes", "--out", out / "exports" / "data.csv")  # fmt: skip
    run("--data-dir", out / "ab", "snapshots", "--take")
    run("--data-dir", lead, "merge", out / "shared", "--hub", hub_url)  # logs each package
    return out, refs, notes


def plaintext_of(path: Path) -> list[tuple[str, bytes]]:
    """What of the file anyone can read: a package's manifest and any member that is not the
    encrypted payload; any other file whole."""
    if path.suffix == ".pdpkg":
        with zipfile.ZipFile(path) as z:
            return [(f"{path.name}!{n}", z.read(n)) for n in z.namelist() if n != "payload.bin"]
    return [(path.name, path.read_bytes())]


def test_case_references_and_notes_are_only_inside_stores_packages_and_asked_for_files(
    world: tuple[Path, set[str], set[str]],
) -> None:
    out, refs, notes = world
    scanned = named = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = str(path.relative_to(out))
        for ref in refs:
            assert ref not in rel, f"{rel}: a case reference in a file name"
        named += 1
        if path.suffix in ASKED_FOR:
            continue
        for where, data in plaintext_of(path):
            text = data.decode("utf-8", errors="replace")
            for ref in refs:
                assert ref not in text, f"{rel} ({where}): case reference {ref} in plain text"
            for note in notes:
                assert note not in text, f"{rel} ({where}): a note's text in plain text"
            scanned += 1
    assert named >= 40 and scanned >= 25  # keys, logs, manifests, receipts, codes, config
    stores = [p for p in out.rglob("*.sqlite*") if p.is_file()]
    assert len(stores) >= 6  # four laptops' databases, the hub, a snapshot: all scanned
    logs = list(out.rglob("*.log"))
    assert logs and any(p.stat().st_size > 0 for p in logs)  # the logs were there to scan


def test_the_asked_for_files_do_hold_the_content_and_the_manifests_say_no_more_than_counts(
    world: tuple[Path, set[str], set[str]],
) -> None:
    """The scan is not blind: the references are in the reports and the export, and the
    packages' manifests carry counts and ids, not content."""
    out, refs, _notes = world
    export = (out / "exports" / "data.csv").read_text("utf-8-sig")
    assert sum(ref in export for ref in refs) == len(refs)
    cases = sorted((out / "reports" / "cases").glob("*.pdf"))
    assert [p.name for p in cases] == ["case-001.pdf", "case-002.pdf", "case-003.pdf"]
    package = next((out / "shared").glob("pd-events-*.pdpkg"))
    with zipfile.ZipFile(package) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["counts"]["answers"] > 0  # counts, and no reference (the scan above)
    assert not any(ref in json.dumps(manifest) for ref in refs)
