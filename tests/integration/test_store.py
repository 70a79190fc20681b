"""The local store: PRAGMAs, schema and migrations, damaged and unsafe data folders, write
failures, the audit chain, and what repositories hand out."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import rawdb
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cli_support import run
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from probdesk.domain.records import CaseStatus, GroupAttendance, MeetingKind
from probdesk.errors import EnvironmentProblem
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
from probdesk.store import database, location
from probdesk.store.database import (
    DB_NAME,
    StoreWriteError,
    current_revision,
    head_revision,
    make_engine,
    open_store,
)
from probdesk.store.location import UnsafeDataLocation, is_network_path, sync_service
from probdesk.store.models import Base

ROOT = Path(__file__).resolve().parents[2]
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMA_FIXTURES = sorted(FIXTURES.glob("schema-*.sqlite"))

FACTS = {
    "sentence_type": "licence",
    "contact_suspended": "no",
    "rosh_level": "high",
    "domestic_abuse": "yes",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
    "tier": "B2",
    "practitioner_grade": "po",
}
EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,
    "foreign_keys": 1,
    "busy_timeout": 5000,
}


def pragmas(run: Callable[[str], object]) -> dict[str, object]:
    """The four PRAGMAs as seen through `run(sql) -> scalar`."""
    return {name: run(f"PRAGMA {name}") for name in EXPECTED_PRAGMAS}


def workspace_with_case(data_dir: Path) -> tuple[Workspace, str, str]:
    ws = Workspace.open(Paths.resolve(data_dir))
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    case = ws.add_case(inspection.id, "CRN-0001", FACTS)
    return ws, inspection.id, case.id


def quick_check(db: Path) -> str:
    conn = rawdb.connect(db, read_only=True)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    except rawdb.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


# -- engine and schema ------------------------------------------------------------------------


def test_engine_pragmas_are_in_force_on_every_connection(tmp_data_dir: Path) -> None:
    store = open_store(tmp_data_dir)
    try:
        # Two DBAPI connections open at once.
        a, b = store.engine.raw_connection(), store.engine.raw_connection()
        try:
            assert a.dbapi_connection is not b.dbapi_connection
            for conn in (a, b):
                cur = conn.cursor()
                assert pragmas(lambda sql, cur=cur: cur.execute(sql).fetchone()[0]) == (
                    EXPECTED_PRAGMAS
                )
                cur.close()
        finally:
            a.close()
            b.close()
        # New connections after the pool was emptied get them too.
        store.engine.dispose()
        with store.engine.connect() as c:
            assert pragmas(lambda sql: c.exec_driver_sql(sql).scalar()) == EXPECTED_PRAGMAS
        # And the sessions that the repositories use.
        with store.unit_of_work() as uow:
            got = pragmas(lambda sql: uow.session.execute(text(sql)).scalar())
        assert got == EXPECTED_PRAGMAS
    finally:
        store.dispose()

    # The factory itself, on a database it did not create.
    other = tmp_data_dir / "other.sqlite"
    rawdb.connect(other).close()
    engine = make_engine(other, None)
    try:
        with engine.connect() as c:
            assert pragmas(lambda sql: c.exec_driver_sql(sql).scalar()) == EXPECTED_PRAGMAS
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(tmp_data_dir: Path) -> None:
    store = open_store(tmp_data_dir)
    try:
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO answer_event (id, case_id, question_id, value, note, device_id, seq,"
                " hlc, qs_id, qs_version, recorded_at) VALUES ('e', 'no-such-case', 'C1', "
                "'\"yes\"', '', 'd', 1, 'h', 'q', 'v', '2025-01-01 00:00:00.000000')"
            )
    finally:
        store.dispose()


def test_open_store_creates_the_schema_at_head(tmp_data_dir: Path) -> None:
    store = open_store(tmp_data_dir)
    try:
        assert store.path == tmp_data_dir / DB_NAME
        assert store.notices == []
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            tables = {
                r[0]
                for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            # The migrations build exactly what the models describe.
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert tables == {*Base.metadata.tables, "alembic_version"}
        assert store.integrity_check() == "ok"
    finally:
        store.dispose()
    assert not (tmp_data_dir / "backups").exists()  # nothing to back up on a new store

    # Opening again at head neither migrates nor backs up.
    store = open_store(tmp_data_dir)
    store.dispose()
    assert not (tmp_data_dir / "backups").exists()


# -- released schemas upgrade -----------------------------------------------------------------


def test_the_known_revisions_match_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(database._alembic_config())
    in_order = tuple(reversed([r.revision for r in scripts.walk_revisions()]))
    assert in_order == database.KNOWN_REVISIONS
    assert database.HEAD_REVISION == head_revision() == in_order[-1]


def test_every_released_schema_has_a_fixture() -> None:
    """Every schema before head has shipped: keep a database of it (make_fixture_dbs.py)."""
    assert SCHEMA_FIXTURES, "no fixture databases"
    have = {p.stem.removeprefix("schema-") for p in SCHEMA_FIXTURES}
    missing = [r for r in database.KNOWN_REVISIONS[:-1] if r not in have]
    assert not missing, f"add tests/fixtures/schema-REV.sqlite for {missing}"


def _raw_rows(db: Path, columns: dict[str, list[str]]) -> dict[str, list[tuple[object, ...]]]:
    """The rows of each table (only the given columns), sorted."""
    conn = rawdb.connect(db, read_only=True)
    try:
        out = {}
        for table, cols in columns.items():
            names = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(f'SELECT {names} FROM "{table}"').fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def _columns(db: Path) -> dict[str, list[str]]:
    conn = rawdb.connect(db, read_only=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
            )
        ]
        return {t: [c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        conn.close()


def _current_from_raw(events: list[tuple[object, ...]]) -> dict[tuple[str, str], object]:
    """Current answers straight from answer_event rows (newest unreplaced event per question)."""
    import json

    replaced = {e[8] for e in events if e[8]}
    best: dict[tuple[str, str], tuple[str, object]] = {}
    for e in events:
        if e[0] in replaced:
            continue
        key = (str(e[1]), str(e[2]))
        hlc = str(e[7])
        if key not in best or hlc > best[key][0]:
            best[key] = (hlc, json.loads(str(e[3])))
    return {k: v for k, (_, v) in best.items() if v is not None}


@pytest.mark.parametrize("fixture", SCHEMA_FIXTURES, ids=lambda p: p.stem)
def test_a_released_schema_upgrades_with_its_data(fixture: Path, tmp_data_dir: Path) -> None:
    revision = fixture.stem.removeprefix("schema-")
    tmp_data_dir.mkdir(parents=True)
    db = tmp_data_dir / DB_NAME
    shutil.copyfile(fixture, db)
    columns = _columns(db)
    before = _raw_rows(db, columns)
    assert before["answer_event"], "the fixture should hold answers"

    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        [encrypted] = ws.notices  # a release before encryption at rest: encrypted once
        assert "now encrypted at rest" in encrypted
        assert current_revision(ws.store.engine) == head_revision()
        assert ws.store.integrity_check() == "ok"
        # Every row of every table that existed is still there, unchanged.
        after = _raw_rows(db, columns)
        for table, rows in before.items():
            if table == "audit_log":  # one entry more: signing starts (probdesk.store.chains)
                assert after[table][: len(rows)] == rows, table
                [signing] = after[table][len(rows) :]
                assert "sign_chains" in signing
            elif table == "signed_head":  # none before: signed at this first opening
                assert rows == [] and len(after[table]) == 2, after[table]
            elif table == "device":  # and its anchor moves on to that entry
                kept = [i for i, c in enumerate(columns[table]) if not c.startswith("audit_")]
                assert [[r[i] for i in kept] for r in after[table]] == [
                    [r[i] for i in kept] for r in rows
                ], table
            else:
                assert after[table] == rows, table
        # And the workspace sees the same current answers as the raw events say.
        expected = _current_from_raw(before["answer_event"])
        seen: dict[tuple[str, str], object] = {}
        for inspection in ws.inspections():
            for case in ws.cases(inspection.id):
                for qid, value in ws.case_state(case.id).answers.items():
                    seen[case.id, qid] = value
        assert {k: (list(v) if isinstance(v, tuple) else v) for k, v in seen.items()} == expected
        assert ws.audit_problems() == []
        assert ws.verify() == []  # its chains signed at this first opening, as they are

        # The upgraded store takes new work, in the tables of later revisions too.
        device = ws.device()
        inspection = ws.inspections()[0]
        case = ws.cases(inspection.id)[0]
        event = ws.record_answer(case.id, "C1.2" if case.variant == "core" else "A1.2", "yes")
        assert event is not None and event.seq == device.last_seq + 1
        assert event.hlc > device.last_hlc
        meeting = ws.save_meeting(
            inspection.id, MeetingKind.MEETING, date(2025, 3, 5), "Leaders",
            [GroupAttendance("senior_leaders", 2)], ["N1"],
        )  # fmt: skip
        assert meeting in ws.meetings(inspection.id)
    finally:
        ws.close()

    # A backup of the old file, at its old revision, was taken before migrating.
    backups = sorted((tmp_data_dir / "backups").glob("*.sqlite"))
    assert len(backups) == 1
    assert backups[0].name.startswith(f"probdesk-{revision}-")
    conn = rawdb.connect(backups[0], read_only=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == revision
    finally:
        conn.close()
    assert _raw_rows(backups[0], columns) == before

    # Opening the upgraded store again does not migrate or back up again.
    Workspace.open(Paths.resolve(tmp_data_dir)).close()
    assert len(list((tmp_data_dir / "backups").glob("*.sqlite"))) == 1


@pytest.mark.parametrize("revision", ["0001", "0002", "0003"])
def test_fixture_content_through_todays_workspace(tmp_data_dir: Path, revision: str) -> None:
    """The known content of the fixtures (see make_fixture_dbs.py), read after upgrading."""
    tmp_data_dir.mkdir(parents=True)
    shutil.copyfile(FIXTURES / f"schema-{revision}.sqlite", tmp_data_dir / DB_NAME)
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        (inspection,) = ws.inspections()
        assert (inspection.region, inspection.pdu) == ("North West", "Manchester North")
        assert inspection.fieldwork_start == date(2025, 3, 3)
        cases = {c.reference: c for c in ws.cases(inspection.id)}
        assert sorted(cases) == ["CRN-A100", "CRN-A101"]
        core = ws.case_state(cases["CRN-A100"].id)
        assert core.case.variant == "core" and core.case.status is CaseStatus.IN_PROGRESS
        assert core.answers == {"C1": "no", "C1.1": "yes", "C1.4": "yes"}
        assert core.notes == {
            "C1": "Risk to new partner not analysed.",
            "C1.4": "Request sent on 4 March.",
        }
        assert "C1.5" in core.applicable  # C1.4 = yes switches C1.5 on
        adjusted = ws.case_state(cases["CRN-A101"].id)
        assert adjusted.case.variant == "adjusted"
        assert adjusted.answers == {"A1": "yes", "A1.1": "no", "A2.2": "na"}
        history = ws.history(cases["CRN-A100"].id, "C1")
        assert [(h.old_value, h.new_value, h.recorded_by) for h in history] == [
            (None, "yes", "AB"),
            ("yes", "no", "AB"),
        ]
        with ws.store.unit_of_work() as uow:
            actions = [(e.action, e.entity) for e in uow.audit.entries()]
        assert actions[:4] == [
            ("set_identity", "device"),
            ("create", "inspection"),
            ("create", "case"),
            ("create", "case"),
        ]
        assert actions[-1] == ("sign_chains", "device")  # the first opening signs the chains
        if revision == "0001":
            assert ws.unexported_count() == 9 and len(actions) == 5
            assert ws.meetings(inspection.id) == []
        else:
            assert ws.unexported_count() == 13 and actions[4:-1] == [("create", "meeting")]
            (meeting,) = ws.meetings(inspection.id)
            assert meeting.kind is MeetingKind.FOCUS_GROUP
            assert meeting.groups == (GroupAttendance("practitioners_po", 6),)
            assert meeting.questions == ("N3", "N5")
            assert ws.meeting_notes(meeting.id) == {
                "N3": "Caseloads around 60; PQiPs hold high RoSH cases.",
                "N5": "Domestic abuse training in induction only.",
            }
    finally:
        ws.close()


def test_database_from_a_newer_probdesk_is_refused_clearly(tmp_data_dir: Path) -> None:
    open_store(tmp_data_dir).dispose()
    conn = rawdb.connect(tmp_data_dir / DB_NAME)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    with pytest.raises(EnvironmentProblem, match="newer"):
        open_store(tmp_data_dir)
    assert not (tmp_data_dir / "backups").exists()


# -- damaged databases ------------------------------------------------------------------------


def _assert_moved_aside(data_dir: Path, damaged_bytes: bytes) -> None:
    store = open_store(data_dir)
    try:
        moved = sorted(data_dir.glob(f"{DB_NAME}.damaged-*[0-9]"))  # not its -wal or -shm
        assert len(moved) == 1, moved
        assert moved[0].read_bytes() == damaged_bytes  # kept, unchanged
        assert len(store.notices) == 1
        assert str(moved[0]) in store.notices[0]
        assert "moved aside" in store.notices[0]
        # The new store is healthy, at head, and works.
        assert current_revision(store.engine) == head_revision()
        assert store.integrity_check() == "ok"
        ws = Workspace(store)
        inspection = ws.create_inspection(
            "Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4), QUESTION_SET
        )
        case = ws.add_case(inspection.id, "CRN-NEW", FACTS)
        ws.record_answer(case.id, "C1", "yes")
        assert ws.case_state(case.id).answers == {"C1": "yes"}
    finally:
        store.dispose()
    assert moved[0].read_bytes() == damaged_bytes


@pytest.mark.logs_warnings
def test_a_file_of_garbage_is_moved_aside(tmp_data_dir: Path) -> None:
    tmp_data_dir.mkdir(parents=True)
    garbage = bytes((i * 131 + 7) % 256 for i in range(20_000))
    (tmp_data_dir / DB_NAME).write_bytes(garbage)
    _assert_moved_aside(tmp_data_dir, garbage)


@pytest.mark.parametrize("how", ["deleted", "moved", "replaced"])
def test_no_save_is_acknowledged_once_the_data_folder_is_gone(tmp_path: Path, how: str) -> None:
    """The data folder deleted, moved or swapped while probdesk runs: SQLite would go on
    writing into a file nobody can open again, and every save was still acknowledged. Each
    later save now fails with a message that says so (the change stays on screen)."""
    data = tmp_path / "data"
    ws, _inspection_id, case_id = workspace_with_case(data)
    try:
        ws.record_answer(case_id, "C1", "yes")  # saved, as usual
        if how == "deleted":
            shutil.rmtree(data)
        elif how == "moved":
            data.rename(tmp_path / "elsewhere")
        else:
            (data / DB_NAME).rename(data / "old.sqlite")
            shutil.copyfile(data / "old.sqlite", data / DB_NAME)
        for q in ("C2", "C3"):
            with pytest.raises(StoreWriteError, match="is gone: its folder was deleted, moved"):
                ws.record_answer(case_id, q, "no")
    finally:
        ws.close()


CRASH = """
import json, os, signal, sys
from datetime import date
from pathlib import Path
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
ws = Workspace.open(Paths.resolve(sys.argv[1]))
insp = ws.create_inspection("Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4), sys.argv[2])
case = ws.add_case(insp.id, "CRN-0001", json.loads(sys.argv[3]))
for q in ("C1", "C2", "C3"):
    ws.record_answer(case.id, q, "yes")
os.kill(os.getpid(), signal.SIGKILL)  # a crash: nothing is closed
"""


@pytest.mark.logs_warnings
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("wal", ["kept", "deleted", "damaged"])
def test_a_write_ahead_log_lost_after_a_crash_is_reported(tmp_path: Path, wal: str) -> None:
    """After a crash SQLite's -wal holds the latest saves; deleting it (by hand, or a cleaning
    tool) lost them without a word. Now the next start says so."""
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(data), str(QUESTION_SET), json.dumps(FACTS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr
    log_file = Path(f"{data / DB_NAME}-wal")
    assert log_file.exists() and list(data.glob(f"{DB_NAME}.open-*"))
    if wal == "deleted":
        log_file.unlink()
        Path(f"{data / DB_NAME}-shm").unlink(missing_ok=True)
    if wal == "damaged":  # one flipped byte in the last frame: SQLite drops it, silently
        log = bytearray(log_file.read_bytes())
        log[-100] ^= 0xFF
        log_file.write_bytes(bytes(log))
        Path(f"{data / DB_NAME}-shm").unlink(missing_ok=True)
    store = open_store(data)
    try:
        if wal == "deleted":
            [notice] = store.notices
            assert "not closed properly" in notice and "probdesk.sqlite-wal" in notice
            assert "restore the newest snapshot" in notice
        elif wal == "damaged":
            [notice] = store.notices
            assert "no longer holds every change it saved" in notice
            assert "change(s) saved shortly before then are missing" in notice
        else:
            assert store.notices == []
            ws = Workspace(store)
            [case] = ws.cases(ws.inspections()[0].id)
            assert ws.case_state(case.id).answers == {"C1": "yes", "C2": "yes", "C3": "yes"}
    finally:
        store.dispose()
    assert sorted(p.name for p in data.glob(f"{DB_NAME}.open-*")) == []  # a clean stop now
    again = open_store(data)  # and nothing more to say the time after
    try:
        assert again.notices == []
    finally:
        again.dispose()


def test_a_process_that_ends_without_closing_the_store_raises_no_false_alarm(
    tmp_path: Path,
) -> None:
    """Ending normally without closing the store is a clean stop too: SQLite closes its
    connections and removes the -wal, and the marker goes with the process."""
    data = tmp_path / "data"
    script = CRASH.replace("os.kill(os.getpid(), signal.SIGKILL)", "print('done')")
    done = subprocess.run(
        [sys.executable, "-c", script, str(data), str(QUESTION_SET), json.dumps(FACTS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(data.glob(f"{DB_NAME}.open-*")) == []
    store = open_store(data)
    try:
        assert store.notices == []
    finally:
        store.dispose()


@pytest.mark.logs_warnings  # the command says it too: moved aside
def test_an_empty_file_where_the_database_was_is_moved_aside_and_said(
    tmp_data_dir: Path,
) -> None:
    """A zero-length file (a sync tool's placeholder, a failed copy) used to be opened as a new,
    empty database: every case gone, no notice. It is moved aside and the user told, on the
    command line too."""
    ws, _inspection_id, _ = workspace_with_case(tmp_data_dir)
    ws.close()
    (tmp_data_dir / DB_NAME).write_bytes(b"")
    done = run("--data-dir", tmp_data_dir, "keys")
    assert done.returncode == 0, done.stderr
    assert "moved aside" in done.stderr and "the file is empty (0 bytes)" in done.stderr
    [moved] = sorted(tmp_data_dir.glob(f"{DB_NAME}.damaged-*[0-9]"))
    assert moved.read_bytes() == b"" and str(moved) in done.stderr


@pytest.mark.logs_warnings
def test_a_database_with_a_corrupted_page_is_moved_aside(tmp_data_dir: Path) -> None:
    ws, inspection_id, _ = workspace_with_case(tmp_data_dir)
    for n in range(40):
        case = ws.add_case(inspection_id, f"CRN-{n + 100:04d}", FACTS)
        for qid in ("C1", "C2", "C3", "C4"):
            ws.record_answer(case.id, qid, "yes", note=f"evidence for {qid} " + "x" * 60)
    ws.close()
    db = tmp_data_dir / DB_NAME
    assert not Path(f"{db}-wal").exists()
    conn = rawdb.connect(db)
    page_size, page_count = (
        int(conn.execute(f"PRAGMA {p}").fetchone()[0]) for p in ("page_size", "page_count")
    )
    conn.close()
    assert page_count >= 20
    data = bytearray(db.read_bytes())
    start = (page_count // 2) * page_size  # a page in the middle of the file
    data[start : start + page_size] = bytes((i * 37 + 11) % 256 for i in range(page_size))
    db.write_bytes(bytes(data))
    assert quick_check(db) != "ok"  # the damage is real
    _assert_moved_aside(tmp_data_dir, bytes(data))


@pytest.mark.logs_warnings
def test_two_damaged_files_in_the_same_second_are_both_kept(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> FrozenClock:  # type: ignore[override]
            return cls(2025, 3, 3, 9, 0, 0)

    monkeypatch.setattr(database, "datetime", FrozenClock)
    tmp_data_dir.mkdir(parents=True)
    db = tmp_data_dir / DB_NAME
    db.write_bytes(b"first damaged file " * 100)
    open_store(tmp_data_dir).dispose()
    db.unlink()
    db.write_bytes(b"second damaged file " * 100)
    open_store(tmp_data_dir).dispose()
    kept = {p.read_bytes()[:12] for p in tmp_data_dir.glob(f"{DB_NAME}.damaged-*[0-9]")}
    assert kept == {b"first damage", b"second damag"}


# -- data folder location ---------------------------------------------------------------------

SYNCED = [
    ("OneDrive - Org/probdesk", "OneDrive"),
    ("OneDrive/Documents/probdesk", "OneDrive"),
    ("Dropbox/x", "Dropbox"),
    ("Dropbox (Org)/probdesk", "Dropbox"),
    ("Google Drive/My Drive/probdesk", "Google Drive"),
    ("GoogleDrive/probdesk", "Google Drive"),
    ("iCloud Drive/probdesk", "iCloud Drive"),
    ("Library/Mobile Documents/com~apple~CloudDocs/probdesk", "iCloud Drive"),
]


@pytest.mark.parametrize(("relative", "service"), SYNCED, ids=[s[0] for s in SYNCED])
def test_a_data_folder_in_a_synced_folder_is_refused(
    tmp_path: Path, relative: str, service: str
) -> None:
    base = tmp_path / "home"
    base.mkdir()
    data_dir = base / relative
    assert sync_service(data_dir) == service
    with pytest.raises(UnsafeDataLocation) as refused:
        open_store(data_dir)
    assert service in str(refused.value)
    assert "--data-dir" in str(refused.value)
    with pytest.raises(UnsafeDataLocation, match=service):
        Workspace.open(Paths.resolve(data_dir))
    assert list(base.iterdir()) == []  # nothing was created

    ws = Workspace.open(Paths.resolve(data_dir), allow_unsafe_location=True)
    try:
        assert (data_dir / DB_NAME).exists()
        assert ws.inspections() == []
    finally:
        ws.close()


@pytest.mark.parametrize(
    "relative", ["Documents/probdesk", "Dropboxes/probdesk", "onedrive_notes/probdesk", "drive"]
)
def test_ordinary_folders_are_not_taken_for_synced_ones(tmp_path: Path, relative: str) -> None:
    assert sync_service(tmp_path / relative) is None
    open_store(tmp_path / relative).dispose()


def test_is_network_path_reads_the_mounts_table(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda1 / ext4 rw,relatime 0 0\n"
        "proc /proc proc rw 0 0\n"
        "fileserver:/export/home /mnt/nfs nfs4 rw,vers=4.2 0 0\n"
        "oldserver:/data /mnt/nfs3 nfs rw 0 0\n"
        "//winserver/share /mnt/smb cifs rw,vers=3.0 0 0\n"
        "//winserver/Team\\040Share /mnt/Team\\040Share cifs rw 0 0\n"
        "/dev/vdb1 /mnt/nfs/local-disk ext4 rw 0 0\n"
        "garbage-line\n"
    )
    assert is_network_path(Path("/mnt/nfs/probdesk"), mounts_file=mounts)
    assert is_network_path(Path("/mnt/nfs"), mounts_file=mounts)
    assert is_network_path(Path("/mnt/nfs3/probdesk"), mounts_file=mounts)
    assert is_network_path(Path("/mnt/smb/inspections/probdesk"), mounts_file=mounts)
    assert is_network_path(Path("/mnt/Team Share/probdesk"), mounts_file=mounts)
    # The longest mount point wins: a local disk mounted inside the NFS share is local.
    assert not is_network_path(Path("/mnt/nfs/local-disk/probdesk"), mounts_file=mounts)
    assert not is_network_path(Path("/mnt/nfsother/probdesk"), mounts_file=mounts)
    assert not is_network_path(Path("/home/inspector/probdesk"), mounts_file=mounts)
    assert not is_network_path(Path("/home/x"), mounts_file=tmp_path / "no-such-file")


@pytest.mark.parametrize("unc", ["\\\\fileserver\\share\\probdesk", "//fileserver/share/probdesk"])
def test_unc_paths_are_network_paths(tmp_path: Path, unc: str) -> None:
    assert is_network_path(Path(unc), mounts_file=tmp_path / "no-such-file")


def test_a_data_folder_on_a_network_drive_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"fileserver:/export {share} nfs4 rw 0 0\n")
    real = location.is_network_path
    monkeypatch.setattr(location, "is_network_path", lambda path: real(path, mounts_file=mounts))
    data_dir = share / "probdesk"
    with pytest.raises(UnsafeDataLocation, match="network drive"):
        open_store(data_dir)
    assert list(share.iterdir()) == []
    open_store(data_dir, allow_unsafe_location=True).dispose()
    assert (data_dir / DB_NAME).exists()


# -- write failures ---------------------------------------------------------------------------


def _answer_state(db: Path) -> tuple[int, int, str]:
    """(answer events, device last_seq, case status) read straight from the file."""
    conn = rawdb.connect(db, read_only=True, timeout=5)
    try:
        events = conn.execute("SELECT count(*) FROM answer_event").fetchone()[0]
        last_seq = conn.execute("SELECT last_seq FROM device").fetchone()[0]
        status = conn.execute('SELECT status FROM "case"').fetchone()[0]
        return int(events), int(last_seq), str(status)
    finally:
        conn.close()


def test_a_locked_database_refuses_the_write_cleanly_then_takes_it(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)  # read when connections are made
    ws, _, case_id = workspace_with_case(tmp_data_dir)
    db = tmp_data_dir / DB_NAME
    try:
        before = _answer_state(db)
        assert before[2] == "not_started"
        locker = rawdb.connect(db, isolation_level=None, timeout=0)
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE device SET assessor = assessor")
        # Reading is not held up by another program's write (WAL, and no lock for reads).
        assert ws.case_state(case_id).answers == {}
        assert [r.id for r in ws.case_rows(ws.case(case_id).inspection_id)] == [case_id]
        started = time.perf_counter()
        with pytest.raises(StoreWriteError) as failed:
            ws.record_answer(case_id, "C1", "yes", note="kept on screen")
        waited = time.perf_counter() - started
        locker.execute("ROLLBACK")
        locker.close()
        message = str(failed.value)
        assert "locked" in message and str(db) in message and "kept on screen" in message
        assert waited >= 0.25  # it waited for the busy timeout before giving up
        assert _answer_state(db) == before  # nothing half-written
        assert ws.case_state(case_id).answers == {}

        # The same call, once the lock is gone, succeeds in the same session.
        event = ws.record_answer(case_id, "C1", "yes", note="kept on screen")
        assert event is not None and event.seq == before[1] + 1
        # the answer and the case's move to in progress are one change (one sequence number)
        assert _answer_state(db) == (before[0] + 1, before[1] + 1, "in_progress")
    finally:
        ws.close()
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        state = ws.case_state(case_id)
        assert state.answers == {"C1": "yes"} and state.notes == {"C1": "kept on screen"}
    finally:
        ws.close()


def test_a_write_waits_for_a_short_lock(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock goes after 0.3 s; a busy timeout far beyond that, so that a slow or loaded
    # machine (the releasing thread late to run) still sees the write wait and then succeed.
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 120_000)  # read when connections are made
    ws, _, case_id = workspace_with_case(tmp_data_dir)
    try:
        locker = rawdb.connect(
            tmp_data_dir / DB_NAME, isolation_level=None, timeout=0, check_same_thread=False
        )
        locker.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(0.3, lambda: locker.execute("ROLLBACK"))
        release.start()
        try:
            assert ws.record_answer(case_id, "C1", "no") is not None
        finally:
            release.join()
            locker.close()
        assert ws.case_state(case_id).answers == {"C1": "no"}
    finally:
        ws.close()


def test_a_database_locked_by_another_program_is_not_moved_aside(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    ws, _, _ = workspace_with_case(tmp_data_dir)
    ws.close()
    holder = rawdb.connect(tmp_data_dir / DB_NAME, isolation_level=None, timeout=0)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE device SET assessor = 'held'")
        try:
            open_store(tmp_data_dir).dispose()
        except StoreWriteError as exc:
            assert "locked" in str(exc)
        assert list(tmp_data_dir.glob(f"{DB_NAME}.damaged-*")) == []
    finally:
        holder.close()


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders unwritable: chmod as a user, the immutable attribute as root."""
    as_root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
    done: list[Path] = []
    try:
        for p in paths:
            if as_root:
                if shutil.which("chattr") is None:
                    pytest.skip("running as root without chattr: cannot make a file read-only")
                if subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode:
                    pytest.skip("running as root and chattr +i is not allowed here")
            else:
                p.chmod(0o555 if p.is_dir() else 0o444)
            done.append(p)
        target = next(p for p in paths if p.is_file())
        try:
            with target.open("ab"):
                pass
        except OSError:
            pass
        else:
            pytest.skip("this user can write read-only files")
        yield
    finally:
        for p in reversed(done):
            if as_root:
                subprocess.run(["chattr", "-i", str(p)], check=True)
            else:
                p.chmod(0o755 if p.is_dir() else 0o644)


def test_a_read_only_database_refuses_the_write_cleanly(tmp_data_dir: Path) -> None:
    ws, _, case_id = workspace_with_case(tmp_data_dir)
    ws.record_answer(case_id, "C1", "yes")
    ws.close()
    db = tmp_data_dir / DB_NAME
    before = _answer_state(db)
    with read_only(db):
        ws = Workspace.open(Paths.resolve(tmp_data_dir))
        try:
            assert ws.notices == []
            assert ws.case_state(case_id).answers == {"C1": "yes"}  # still readable
            with pytest.raises(StoreWriteError, match="cannot be written") as failed:
                ws.record_answer(case_id, "C1.1", "no")
            assert str(db) in str(failed.value)
        finally:
            ws.close()
        assert _answer_state(db) == before  # nothing half-written
    assert list(tmp_data_dir.glob(f"{DB_NAME}.damaged-*")) == []
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        assert ws.record_answer(case_id, "C1.1", "no") is not None
        assert ws.case_state(case_id).answers == {"C1": "yes", "C1.1": "no"}
    finally:
        ws.close()


def test_a_read_only_database_takes_the_write_once_writable_again(tmp_data_dir: Path) -> None:
    ws, _, case_id = workspace_with_case(tmp_data_dir)
    ws.close()
    with read_only(tmp_data_dir / DB_NAME):
        ws = Workspace.open(Paths.resolve(tmp_data_dir))
        with pytest.raises(StoreWriteError):
            ws.record_answer(case_id, "C1", "yes")
    try:
        assert ws.record_answer(case_id, "C1", "yes") is not None
    finally:
        ws.close()


def test_a_read_only_data_folder_is_reported_not_treated_as_damage(tmp_data_dir: Path) -> None:
    ws, _, case_id = workspace_with_case(tmp_data_dir)
    ws.close()
    db = tmp_data_dir / DB_NAME
    with read_only(db, tmp_data_dir):
        try:
            ws = Workspace.open(Paths.resolve(tmp_data_dir))
        except EnvironmentProblem as exc:
            assert "read-only" in str(exc) or "cannot be written" in str(exc)
        else:
            try:
                with pytest.raises(StoreWriteError):
                    ws.record_answer(case_id, "C1", "yes")
            finally:
                ws.close()
    assert db.exists()
    assert list(tmp_data_dir.glob(f"{DB_NAME}.damaged-*")) == []


# -- audit chain ------------------------------------------------------------------------------


def _audited_workspace(data_dir: Path) -> tuple[Workspace, str]:
    ws = Workspace.open(Paths.resolve(data_dir))
    ws.set_identity("AB", "inspector")
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    case = ws.add_case(inspection.id, "CRN-0001", FACTS)
    for qid in ("C1", "C2", "C3", "C4"):
        ws.record_answer(case.id, qid, "yes", note="SECRET-NOTE-TEXT about the person")
    ws.update_facts(case.id, {**FACTS, "rosh_level": "medium"})
    ws.submit(case.id)
    ws.reopen(case.id)
    ws.save_meeting(
        inspection.id, MeetingKind.FOCUS_GROUP, date(2025, 3, 4), "POs",
        [GroupAttendance("practitioners_po", 5)], ["N3"],
    )  # fmt: skip
    return ws, case.id


def test_actions_are_recorded_in_a_verified_chain(tmp_data_dir: Path) -> None:
    ws, case_id = _audited_workspace(tmp_data_dir)
    try:
        with ws.store.unit_of_work() as uow:
            entries = uow.audit.entries()
            for_case = uow.audit.entries(case_id)
        assert [(e.action, e.entity) for e in entries] == [
            ("sign_chains", "device"),  # a new store: its chains are signed from the start
            ("set_identity", "device"),
            ("create", "inspection"),
            ("create", "case"),
            ("change_facts", "case"),
            ("submit", "case"),
            ("reopen", "case"),
            ("create", "meeting"),
        ]
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert all(e.actor == "AB" and e.device_id == ws.device_id for e in entries[2:])
        assert [e.detail for e in for_case if e.action in ("submit", "reopen")] == [
            "in_progress->submitted",
            "submitted->in_progress",
        ]
        assert all("SECRET" not in e.detail for e in entries)  # ids and codes, never notes
        assert ws.audit_problems() == []
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE audit_log SET detail = 'submitted->approved' WHERE seq = 5", [5]),
        ("UPDATE audit_log SET actor = 'XY' WHERE seq = 3", [3]),
        ("UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE seq = 2", [2]),
        ("DELETE FROM audit_log WHERE seq = 4", [5]),
        ("DELETE FROM audit_log WHERE seq = 1", [2]),
        ("DELETE FROM audit_log WHERE seq >= (SELECT MAX(seq) - 1 FROM audit_log)", None),
    ],
    ids=[
        "edited-detail",
        "edited-actor",
        "edited-time",
        "deleted-row",
        "deleted-first-row",
        "deleted-last-rows",
    ],
)
def test_the_audit_chain_detects_tampering(
    tmp_data_dir: Path, tamper: str, broken: list[int] | None
) -> None:
    ws, _ = _audited_workspace(tmp_data_dir)
    try:
        assert ws.audit_problems() == []
        conn = rawdb.connect(tmp_data_dir / DB_NAME)
        last = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
        conn.execute(tamper)
        conn.commit()
        conn.close()
        # Removing the newest rows leaves a valid chain: the device's anchor tells.
        assert ws.audit_problems() == (broken if broken is not None else [last - 1])
    finally:
        ws.close()


# -- repositories hand out frozen records -----------------------------------------------------


def _assert_frozen_record(value: object) -> None:
    assert dataclasses.is_dataclass(value) and not isinstance(value, type), value
    assert not isinstance(value, Base), f"an ORM object escaped the store: {value!r}"
    first = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, first, "changed")


def test_repositories_return_frozen_records_never_orm_objects(tmp_data_dir: Path) -> None:
    ws, case_id = _audited_workspace(tmp_data_dir)
    try:
        case = ws.case(case_id)
        inspection = ws.inspection(case.inspection_id)
        (meeting,) = ws.meetings(inspection.id)
        ws.record_meeting_note(meeting.id, "N3", "Caseloads are high.")
        with ws.store.unit_of_work() as uow:
            results: list[object] = [
                uow.devices.get(),
                uow.question_sets.get(inspection.qs_hash),
                uow.inspections.get(inspection.id),
                *uow.inspections.newest_first(),
                uow.cases.get(case_id),
                uow.cases.by_reference(inspection.id, "crn-0001"),
                *uow.cases.for_inspection(inspection.id),
                *uow.answers.for_case(case_id),
                *uow.answers.for_question(case_id, "C1"),
                *uow.answers.for_inspection(inspection.id),
                uow.meetings.get(meeting.id),
                *uow.meetings.for_inspection(inspection.id),
                *uow.meetings.notes(meeting.id),
                *uow.meetings.get(meeting.id).groups,  # type: ignore[union-attr]
                *uow.audit.entries(),
            ]
            results.append(ws.change_case(uow, case_id, {"assessor": "AB"}))
            results += uow.case_events.for_cases([case_id])
            uow.session.rollback()
        results += [
            ws.device(),
            ws.case_state(case_id),
            *ws.case_rows(inspection.id),
            *ws.history(case_id, "C1"),
        ]
        assert all(r is not None for r in results)
        for r in results:
            _assert_frozen_record(r)
    finally:
        ws.close()


def test_a_broken_constraint_is_a_bug_not_a_save_failure(tmp_data_dir: Path) -> None:
    """A constraint violation reaches the crash handler; it is never "kept on screen"."""
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        with pytest.raises(IntegrityError), ws.store.unit_of_work() as uow:
            uow.session.execute(text("INSERT INTO device (id) VALUES (NULL)"))
    finally:
        ws.close()


def test_a_link_into_a_synced_folder_is_refused(tmp_path: Path) -> None:
    synced = tmp_path / "Dropbox" / "probdesk"
    synced.mkdir(parents=True)
    link = tmp_path / "data"
    link.symlink_to(synced, target_is_directory=True)
    with pytest.raises(UnsafeDataLocation, match="Dropbox"):
        location.check_data_dir(link)


def test_a_comment_from_before_0008_arrives_open_on_the_to_do_list(tmp_data_dir: Path) -> None:
    """0008 lets the assessor mark comments done: a comment kept under 0007 is still open."""
    tmp_data_dir.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "schema-0007.sqlite", tmp_data_dir / DB_NAME)
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        (inspection,) = ws.inspections()
        rows = {r.reference: r for r in ws.case_rows(inspection.id)}
        assert (rows["CRN-A100"].to_do, rows["CRN-A101"].to_do) == (1, 0)
        with ws.store.unit_of_work() as uow:
            [comment] = uow.packages.comments(inspection.id)
            assert comment.text == "Fictional: check the risk assessment date."
            assert comment.done_at is None
            assert uow.packages.mark_comments_done(rows["CRN-A100"].id, datetime(2026, 1, 1)) == 1
        rows = {r.reference: r for r in ws.case_rows(inspection.id)}
        assert rows["CRN-A100"].to_do == 0
    finally:
        ws.close()


def test_a_comment_from_before_0009_is_about_the_whole_case(tmp_data_dir: Path) -> None:
    """0009 lets a comment name one question: comments kept under 0008 keep their done mark
    and are about the whole case."""
    tmp_data_dir.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "schema-0008.sqlite", tmp_data_dir / DB_NAME)
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    try:
        (inspection,) = ws.inspections()
        rows = {r.reference: r for r in ws.case_rows(inspection.id)}
        assert (rows["CRN-A100"].to_do, rows["CRN-A101"].to_do) == (0, 1)
        with ws.store.unit_of_work() as uow:
            done, still_open = uow.packages.comments(inspection.id)
        assert done.done_at == datetime(2025, 3, 5, 11, 0) and still_open.done_at is None
        assert still_open.text == "Fictional: is the contact suspension recorded?"
        assert (done.question_id, still_open.question_id) == (None, None)
    finally:
        ws.close()
