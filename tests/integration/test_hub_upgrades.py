"""Hub upgrades: every released hub opens with today's probdesk, keeps its rows and gains
today's schema, once, after a backup of a SQLite file; newer hubs are refused untouched.

The fixtures in tests/fixtures/hubs/ were made by the released code itself
(tests/fixtures/hubs/make_fixtures.py): one small inspection (three cases, two assessors, a
focus group, a conflict, moderation, domain one evidence where the code had them). On
PostgreSQL the same hubs are rebuilt: the schema of the release by its upgrade steps (each
checked against the real fixture on SQLite, below), then the fixture's rows copied in.

probdesk.hub.upgrades is imported inside the tests that use it, so that the 5ec7afc test runs,
and fails at its cause, on the code from before numbered upgrade steps.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    create_engine,
    insert,
    inspect,
    select,
    text,
)

from probdesk.domain import case_events as ce
from probdesk.errors import EnvironmentProblem
from probdesk.hub.store import Hub, engine_url
from probdesk.services import hub as hubs
from probdesk.store import cipher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hubs"
# The released hubs: the commit whose code made the fixture, the steps its hub had.
RELEASED = {"a0552b1": 1, "9006d6c": 2, "8e8b294": 3, "5ec7afc": 4, "b5a2483": 5, "7431dc0": 5}
REGION, PDUS = "South West & Wales", {"Plymouth", "Ynys Môn"}  # the fixtures' inspection
REFERENCES = {"A100001", "A100002", "C100001"}
ATTACHED = b"Fictional staffing figures: 12 POs, 3 vacancies.\n"


def up() -> ModuleType:
    import probdesk.hub.upgrades

    return probdesk.hub.upgrades


def legacy_label(step: int) -> str:
    """hub_meta.schema as probdesk before numbered steps wrote it for a hub of that shape."""
    return "1" if step <= 3 else "2"


# -- databases -----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes new, empty databases: SQLite files, or databases on the throwaway PostgreSQL."""
    if request.param == "sqlite":
        names = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path / f'hub-{next(names)}.sqlite'}"
    server = request.getfixturevalue("pg_server")
    return lambda: str(server.create_database())


@pytest.fixture
def engines() -> Iterator[Callable[[str], Any]]:
    """Plain engines (no Hub) on a URL, disposed at the end."""
    made: list[Any] = []

    def engine(url: str) -> Any:
        parsed = engine_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        # SQLCipher's SQLite, as the hub's: two SQLite libraries on one file in one process
        # do not see each other's locks (POSIX locks are per process), nor checkpoint safely.
        made.append(create_engine(parsed, **({"module": cipher.dbapi} if sqlite else {})))
        return made[-1]

    yield engine
    for e in made:
        e.dispose()


def build_at_step(engine: Any, step: int) -> None:
    """A hub of `step`, as the code of that step left it: its tables, its version rows."""
    upgrades = up()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # as every hub file is (the hub sets it on connecting)
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as conn:
        for s in upgrades.STEPS[:step]:
            s.run(conn)
        if step <= upgrades.LABELLED:  # before numbered steps: a label only
            conn.execute(
                text("INSERT INTO hub_meta VALUES ('schema', :v)"), {"v": legacy_label(step)}
            )
        else:
            upgrades.record(conn, step)


def shape(engine: Any) -> dict[str, Any]:
    """Every table: its columns (type, nullability, default), primary key, indexes, keys."""
    with engine.connect() as conn:
        i = inspect(conn)
        return {
            t: {
                "columns": {
                    c["name"]: (str(c["type"]), c["nullable"], c.get("default"))
                    for c in i.get_columns(t)
                },
                "primary key": i.get_pk_constraint(t)["constrained_columns"],
                "indexes": sorted(
                    (x["name"], tuple(x["column_names"]), bool(x["unique"]))
                    for x in i.get_indexes(t)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in i.get_unique_constraints(t)),
                "foreign keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in i.get_foreign_keys(t)
                ),
            }
            for t in sorted(i.get_table_names())
        }


def fresh_shape(url: str, engines: Callable[[str], Any]) -> dict[str, Any]:
    Hub(url).close()  # a new hub: today's Table definitions
    return shape(engines(url))


def typed_rows(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as SQLAlchemy reads it (dates, date-times, bytes), sorted."""
    md = MetaData()
    md.reflect(conn)
    return {
        t.name: sorted((dict(r._mapping) for r in conn.execute(select(t))), key=repr)
        for t in md.sorted_tables
    }


def raw_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row of every table as SQLite stores it: table -> (columns, sorted rows)."""
    db = sqlite3.connect(path)
    try:
        out = {}
        names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (name,) in names:
            cur = db.execute(f'SELECT * FROM "{name}"')
            out[name] = ([d[0] for d in cur.description], sorted(cur.fetchall(), key=repr))
        return out
    finally:
        db.close()


def dump(path: Path) -> list[str]:
    """The file's schema and rows as SQL (what a copy of it must hold)."""
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def meta(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, value FROM hub_meta").fetchall())
    finally:
        db.close()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


def copy_fixture(commit: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(FIXTURES / f"hub-{commit}.sqlite", folder / "hub.sqlite"))


# -- what a released hub holds, read through today's probdesk ------------------------------------


def check_readable(hub: Hub, rows: dict[str, list[dict[str, Any]]], step: int) -> None:
    """Today's Hub readers and services on an upgraded hub of `step`: every old row is there
    and means what it meant. `rows`: the hub's rows before the upgrade (typed)."""
    [insp] = rows["hub_inspection"]
    iid = insp["id"]
    assert hub.inspection_ids() == [iid]
    got = hub.inspection(iid)
    assert got is not None
    assert {k: getattr(got, k) for k in insp} == insp
    assert got.kind == "pdu"  # every inspection before kinds was a PDU inspection
    assert hub.question_set_text(insp["qs_hash"]) == rows["hub_question_set"][0]["text"]
    assert hub.device_keys() == {d["device_id"]: d["signing_public"] for d in rows["hub_device"]}
    for p in rows["hub_package"]:
        found = hub.package(p["package_id"])
        assert found is not None and asdict(found) == p
    counts = hub.counts()
    for table, n in counts.items():
        assert n == len(rows.get(table, [])), table
    assert {c.id for c in hub.cases_of(iid)} == {c["id"] for c in rows["hub_case"]}
    # each case's state from before case events is now the fold of its base events, the same
    folded = ce.fold(hub.case_events_of(iid))
    for c in rows["hub_case"]:
        state = ce.case_fields(folded.get(c["id"], {}), "not_started")
        assert (state.facts, state.pdu, state.assessor, state.status) == (
            json.loads(c["facts"]), c["pdu"], c["assessor"], c["status"]
        ), c["reference"]  # fmt: skip
    assert sorted((asdict(e) for e in hub.events_of(iid)), key=repr) == rows["hub_event"]
    ms, notes = hub.meetings_of(iid)
    assert [asdict(m) for m in ms] == rows["hub_meeting"]
    assert [asdict(n) for n in notes] == rows["hub_meeting_note"]

    _qs, cases = hubs.load_cases(hub, iid)
    assert {c.reference for c in cases} == REFERENCES
    assert all(c.answers for c in cases), "every case has answers"
    # One case is submitted (A100001, in Plymouth); the provisional figures count them all.
    assert {r.name for r in hubs.summarise(hub, iid, "pdu")} == {"Plymouth"}
    assert {r.name for r in hubs.summarise(hub, iid, "pdu", provisional=True)} == PDUS
    region = hubs.summarise(hub, iid, "region", provisional=True)
    assert {r.name for r in region} == {REGION} and sum(r.yes for r in region) > 0
    progress = {(r.group, r.name): dict(r.by_status) for r in hubs.progress(hub, iid)}
    assert progress[("assessor", "AB")]["submitted"] == 1  # A100001
    [note] = hubs.evidence(hub, iid)
    assert note.note == "The vision is well known to staff."
    assert note.title == "Practitioners focus group" and note.held_on == "2026-11-04"

    open_conflicts = [c for c in hubs.conflicts(hub, iid) if c.kind == "conflict"]
    if step >= 3:  # the team lead settled it
        assert open_conflicts == []
        [settled] = rows["hub_resolution"]
        assert hub.resolution_events_of(iid) == {settled["event_id"]}
        assert hub.superseded_of(iid) == set(json.loads(settled["superseded"]))
    else:
        assert [c.case_ref for c in open_conflicts] == ["A100002"]
        assert hub.resolution_events_of(iid) == set() and hub.superseded_of(iid) == set()

    exported = hubs.export_rows(hub, iid, True)
    decided = {r["case_ref"]: r["moderation"] for r in exported}
    if step >= 2:
        assert [asdict(m) for m in hub.moderation_history(iid)] == sorted(
            rows["hub_moderation"], key=lambda m: (m["at"], m["id"])
        )
        assert decided == {"A100001": "approved", "A100002": "", "C100001": "returned"}
    else:
        assert hub.moderation_history(iid) == []
        assert set(decided.values()) == {""}

    org = hubs.hub_org_state(hub, iid)
    if step >= 4:
        [doc] = org.documents
        assert doc.title == "Staffing figures" and doc.attachment_sha256
        assert hubs.hub_attachment(hub, doc.attachment_sha256) == ATTACHED
        assert [g.text for g in org.gaps] == ["No caseload figures for the last quarter."]
        assert hub.attachment_shas() == {doc.attachment_sha256}
    else:
        assert org.documents == () and org.gaps == () and hub.attachment_shas() == set()


def sqlite_typed_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(f"sqlite:///{path}", module=cipher.dbapi)
    try:
        with engine.connect() as conn:
            return typed_rows(conn)
    finally:
        engine.dispose()


# -- the steps -----------------------------------------------------------------------------------


def test_the_steps_are_numbered_in_order_and_each_says_what_it_adds() -> None:
    upgrades = up()
    assert [s.number for s in upgrades.STEPS] == list(range(1, len(upgrades.STEPS) + 1))
    assert upgrades.LATEST == upgrades.STEPS[-1].number == len(upgrades.STEPS)
    for s in upgrades.STEPS:
        assert s.description.strip() and "\n" not in s.description, s.number


@pytest.mark.parametrize("commit", sorted(RELEASED, key=RELEASED.__getitem__))
def test_the_steps_make_what_each_release_made(
    commit: str, tmp_path: Path, engines: Callable[[str], Any]
) -> None:
    """Steps 1..N on a new SQLite file give exactly the schema the release's own code made."""
    released = shape(engines(f"sqlite:///{copy_fixture(commit, tmp_path / 'released')}"))
    built = engines(f"sqlite:///{tmp_path / 'built.sqlite'}")
    build_at_step(built, RELEASED[commit])
    assert shape(built) == released
    today = fresh_shape(f"sqlite:///{tmp_path / 'today.sqlite'}", engines)
    assert (released == today) == (RELEASED[commit] == up().LATEST)


def test_a_hub_upgraded_from_any_step_has_exactly_the_schema_of_a_new_one(
    new_url: Callable[[], str], engines: Callable[[str], Any]
) -> None:
    """From step 1 (the first release) and from every later step, to the last."""
    upgrades = up()
    today = fresh_shape(new_url(), engines)
    for start in range(1, upgrades.LATEST + 1):
        old_url = new_url()
        build_at_step(engines(old_url), start)
        assert (shape(engines(old_url)) == today) == (start == upgrades.LATEST), start
        hub = Hub(old_url)
        try:
            assert hub.upgraded == tuple(range(start + 1, upgrades.LATEST + 1))
        finally:
            hub.close()
        assert shape(engines(old_url)) == today, f"upgraded from step {start}"
        with engines(old_url).connect() as conn:
            assert upgrades.read_version(conn) == upgrades.Version(
                True, upgrades.LATEST, upgrades.label(upgrades.LATEST)
            )


# -- released hubs on SQLite -------------------------------------------------------------------


@pytest.mark.parametrize("commit", sorted(RELEASED, key=RELEASED.__getitem__))
def test_a_released_sqlite_hub_is_upgraded_once_after_a_backup_and_keeps_every_row(
    commit: str, tmp_path: Path, engines: Callable[[str], Any]
) -> None:
    upgrades = up()
    step = RELEASED[commit]
    path = copy_fixture(commit, tmp_path / "hub")
    url = f"sqlite:///{path}"
    assert meta(path) == {"schema": legacy_label(step)}  # as its own code left it
    before_raw, before_dump = raw_rows(path), dump(path)
    before = sqlite_typed_rows(path)
    assert before_raw["hub_event"][1] and before_raw["hub_case"][1]  # rows to keep

    hub = Hub(url)
    try:
        assert hub.upgraded == tuple(range(step + 1, upgrades.LATEST + 1))
        check_readable(hub, before, step)
    finally:
        hub.close()

    if step < upgrades.LATEST:  # the copy, from before the first step it lacked
        [backup] = backups(path.parent)
        assert hub.backup == backup
        assert backup.name.startswith(f"hub.sqlite.before-step-{step + 1}-")
        assert dump(backup) == before_dump
    else:  # nothing to change but the version rows: no copy
        assert backups(path.parent) == [] and hub.backup is None
    after = raw_rows(path)
    for table, (columns, rows) in before_raw.items():
        if table == "hub_meta":
            continue
        cols, now = after[table]
        keep = [cols.index(c) for c in columns]
        assert sorted((tuple(r[i] for i in keep) for r in now), key=repr) == rows, table
        added = [c for c in cols if c not in columns]
        expected = [
            *(["kind"] if step < 5 else []),
            *(["closed_at"] if step < 8 else []),  # retention (step 8)
        ]
        assert added == (expected if table == "hub_inspection" else []), table
    assert meta(path) == {"schema": upgrades.label(upgrades.LATEST), "step": str(upgrades.LATEST)}
    assert shape(engines(url)) == fresh_shape(f"sqlite:///{tmp_path / 'today.sqlite'}", engines)

    upgraded = dump(path)
    hub = Hub(url)  # again: nothing to do
    try:
        assert hub.upgraded == () and hub.backup is None
        check_readable(hub, before, step)
    finally:
        hub.close()
    assert dump(path) == upgraded
    assert len(backups(path.parent)) == (1 if step < upgrades.LATEST else 0)


def test_a_5ec7afc_hub_labelled_schema_2_gains_the_inspection_kind(tmp_path: Path) -> None:
    """5ec7afc wrote schema "2" without hub_inspection.kind; b5a2483 added the column under the
    same label and added it only to "1" hubs, so such a hub failed its first query."""
    path = copy_fixture("5ec7afc", tmp_path)
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT value FROM hub_meta WHERE key = 'schema'").fetchall() == [("2",)]
        columns = {r[1] for r in db.execute("PRAGMA table_info(hub_inspection)")}
        assert "kind" not in columns and "qs_hash" in columns
        [(iid,)] = db.execute("SELECT id FROM hub_inspection").fetchall()
    finally:
        db.close()
    hub = Hub(f"sqlite:///{path}")
    try:
        found = hub.inspection(iid)  # before the fix: no such column: hub_inspection.kind
        assert found is not None and found.kind == "pdu"
        assert {r.name for r in hubs.summarise(hub, iid, "pdu", provisional=True)} == PDUS
        assert hubs.region_inspections(hub, REGION).pdu_inspections == (iid,)
    finally:
        hub.close()
    assert len(list(tmp_path.glob("hub.sqlite.before-step-*.bak"))) == 1


def test_an_upgraded_sqlite_hub_opens_while_a_merge_holds_the_write_lock(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = copy_fixture("a0552b1", tmp_path)
    Hub(f"sqlite:///{path}").close()  # upgraded
    request.getfixturevalue("hub_never_waits")  # from here on, asking for the lock fails at once
    writer = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")  # a merge in the middle of a package
    try:
        hub = Hub(f"sqlite:///{path}")  # "database is locked" if it took the lock
        try:
            assert {c.reference for c in hub.cases_of(hub.inspection_ids()[0])} == REFERENCES
        finally:
            hub.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# -- released hubs on PostgreSQL ----------------------------------------------------------------


def released_on_postgresql(server: Any, commit: str, engines: Callable[[str], Any]) -> str:
    """A PostgreSQL hub of the release: the schema by its steps, the fixture's rows copied."""
    url = str(server.create_database())
    pg = engines(url)
    build_at_step(pg, RELEASED[commit])
    rows = sqlite_typed_rows(FIXTURES / f"hub-{commit}.sqlite")
    with pg.begin() as conn:
        conn.execute(text("DELETE FROM hub_meta"))
        md = MetaData()
        md.reflect(conn)
        assert set(md.tables) == set(rows)
        for table in md.sorted_tables:
            if rows[table.name]:
                conn.execute(insert(table), rows[table.name])
    return url


@pytest.mark.parametrize("commit", sorted(RELEASED, key=RELEASED.__getitem__))
def test_a_released_postgresql_hub_is_upgraded_once_in_one_transaction_and_keeps_every_row(
    commit: str, pg_server: Any, tmp_path: Path, engines: Callable[[str], Any]
) -> None:
    upgrades = up()
    step = RELEASED[commit]
    url = released_on_postgresql(pg_server, commit, engines)
    with engines(url).connect() as conn:
        before = typed_rows(conn)
    assert before == sqlite_typed_rows(FIXTURES / f"hub-{commit}.sqlite")

    hub = Hub(url)
    try:
        assert hub.upgraded == tuple(range(step + 1, upgrades.LATEST + 1))
        assert hub.backup is None  # PostgreSQL: one transaction, no copy
        check_readable(hub, before, step)
    finally:
        hub.close()
    with engines(url).connect() as conn:
        after = typed_rows(conn)
    for table, rows in before.items():
        if table != "hub_meta":
            assert rows, f"the fixture has no {table} rows to keep"
            assert [{k: r[k] for k in rows[0]} for r in after[table]] == rows, table
    assert {r["key"]: r["value"] for r in after["hub_meta"]} == {
        "schema": upgrades.label(upgrades.LATEST), "step": str(upgrades.LATEST),
    }  # fmt: skip
    assert shape(engines(url)) == fresh_shape(str(pg_server.create_database()), engines)

    # The same figures as the same hub upgraded on SQLite.
    lite = Hub(f"sqlite:///{copy_fixture(commit, tmp_path)}")
    again = Hub(url)
    try:
        assert again.upgraded == ()
        iid = again.inspection_ids()[0]
        for by in ("pdu", "region"):
            assert hubs.summarise(again, iid, by) == hubs.summarise(lite, iid, by)
        assert hubs.export_rows(again, iid, True) == hubs.export_rows(lite, iid, True)
    finally:
        again.close()
        lite.close()


def test_an_upgraded_postgresql_hub_opens_while_another_holds_the_upgrade_lock(
    pg_server: Any, engines: Callable[[str], Any], request: pytest.FixtureRequest
) -> None:
    import psycopg

    from probdesk.hub.store import _SCHEMA_LOCK

    url = released_on_postgresql(pg_server, "a0552b1", engines)
    Hub(url).close()  # upgraded
    opened: list[list[str]] = []
    failed: list[BaseException] = []

    def open_hub() -> None:
        try:
            hub = Hub(url)
            try:
                opened.append(hub.inspection_ids())
            finally:
                hub.close()
        except BaseException as exc:
            failed.append(exc)

    # A wait for the upgrade lock fails at once (lock timeout): no seconds to count.
    request.getfixturevalue("hub_never_waits")
    opener = threading.Thread(target=open_hub)
    holder = psycopg.connect(engines(url).url.render_as_string(False).replace("+psycopg", ""))
    try:
        holder.execute(f"SELECT pg_advisory_lock({_SCHEMA_LOCK})")  # an upgrade going on
        opener.start()
        opener.join(timeout=600)  # a guard against a hang, not a speed limit
        assert not opener.is_alive(), "opening the hub hung"
        assert failed == [], f"an up-to-date hub waited for the upgrade lock: {failed}"
        assert len(opened) == 1 and len(opened[0]) == 1
    finally:
        holder.execute(f"SELECT pg_advisory_unlock({_SCHEMA_LOCK})")
        holder.close()
        if opener.is_alive():
            opener.join()


# -- at once, refused, failed ----------------------------------------------------------------


def counting_steps(monkeypatch: pytest.MonkeyPatch, runs: Counter[int], delay: float) -> None:
    """Every step counts its runs and takes `delay` seconds (so openings overlap)."""
    upgrades = up()

    def counted(s: Any) -> Any:
        def run(conn: Connection) -> None:
            runs[s.number] += 1
            time.sleep(delay)
            s.run(conn)

        return upgrades.Step(s.number, s.description, run)

    monkeypatch.setattr(upgrades, "STEPS", [counted(s) for s in upgrades.STEPS])


def open_at_once(url: str, n: int) -> list[Hub]:
    barrier = threading.Barrier(n)
    hubs_opened: list[Hub] = []
    errors: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            hubs_opened.append(Hub(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert len(hubs_opened) == n
    except BaseException:
        for h in hubs_opened:
            h.close()
        raise
    return hubs_opened


@pytest.mark.parametrize("start", [0, 1, 4])
def test_hubs_opened_at_once_upgrade_once(
    start: int,
    new_url: Callable[[], str],
    engines: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new database (start 0) is created once; an old hub gets each step it lacks once."""
    upgrades = up()
    url = new_url()
    if start:
        build_at_step(engines(url), start)
    elif url.startswith("sqlite"):
        # An empty file, already in WAL mode. A file that does not exist yet, opened by several
        # hubs at once, sometimes fails before any of this: the connection set-up's "PRAGMA
        # journal_mode=WAL" does not wait for the other connections' locks (a separate problem).
        with engines(url).connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    runs: Counter[int] = Counter()
    counting_steps(monkeypatch, runs, delay=0.3)
    opened = open_at_once(url, 3)
    try:
        assert sorted(h.created for h in opened) == [False, False, start == 0]
        lacked = tuple(range(start + 1, upgrades.LATEST + 1)) if start else ()
        assert sorted(h.upgraded for h in opened) == sorted([(), (), lacked])
        assert runs == Counter(dict.fromkeys(lacked, 1))
        for h in opened:
            assert h.counts()["hub_case"] == 0
    finally:
        for h in opened:
            h.close()
    if url.startswith("sqlite"):
        folder = Path(engines(url).url.database).parent
        assert len(backups(folder)) == (1 if start else 0)
    with engines(url).connect() as conn:
        assert upgrades.read_version(conn).current


@pytest.mark.parametrize("newer", ["step", "label"])
def test_a_hub_newer_than_this_probdesk_is_refused_and_left_alone(
    newer: str, new_url: Callable[[], str], engines: Callable[[str], Any]
) -> None:
    """A hub at a step this code does not know, or (without a step) of a newer label."""
    upgrades = up()
    ahead, label = upgrades.LATEST + 1, str(int(upgrades.label(upgrades.LATEST)) + 1)
    if newer == "step":
        rows = {"step": str(ahead), "schema": upgrades.label(ahead)}
        expected = rf"at upgrade step {ahead}, newer than this probdesk understands \({ahead - 1}\)"
    else:
        rows = {"schema": label}
        expected = rf"has schema {label}, newer than this probdesk understands \({int(label) - 1}\)"
    url = new_url()
    Hub(url).close()
    engine = engines(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM hub_meta"))
        conn.execute(text("INSERT INTO hub_meta VALUES (:k, :v)"), [
            {"k": k, "v": v} for k, v in rows.items()
        ])  # fmt: skip
        conn.execute(text("DROP TABLE hub_resolution"))  # it would be "upgraded" if looked at
    before = shape(engine)
    path = Path(engine.url.database) if url.startswith("sqlite") else None
    content = path.read_bytes() if path else b""
    with pytest.raises(EnvironmentProblem, match=expected):
        Hub(url)
    assert shape(engine) == before
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT key, value FROM hub_meta")).all()) == rows
    if path:
        assert path.read_bytes() == content
        assert backups(path.parent) == []


def test_a_step_row_beside_a_label_it_does_not_write_is_not_trusted(
    new_url: Callable[[], str], engines: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The label set back to "1" by something other than this code: the steps up to 5 are
    looked at, a later step counts as run because the step row says so."""
    upgrades = up()
    later = upgrades.LATEST + 1

    def probe(conn: Connection) -> None:
        upgrades.operations(conn).create_table("hub_probe", Column("id", Integer, primary_key=True))

    monkeypatch.setattr(
        upgrades, "STEPS", [*upgrades.STEPS, upgrades.Step(later, "a probe", probe)]
    )
    monkeypatch.setattr(upgrades, "LATEST", later)
    url = new_url()
    engine = engines(url)
    build_at_step(engine, later)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE hub_resolution"))
        conn.execute(text("UPDATE hub_meta SET value = '1' WHERE key = 'schema'"))
    hub = Hub(url)
    try:
        assert hub.upgraded == (3,)
        assert hub.resolution_events_of("no such inspection") == set()
    finally:
        hub.close()
    with engine.connect() as conn:
        assert upgrades.read_version(conn) == upgrades.Version(True, later, str(later))
        assert inspect(conn).has_table("hub_probe")


def test_a_step_that_fails_leaves_the_hub_as_it_was(
    new_url: Callable[[], str], engines: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps 2 and 3 ran, step 4 fails: one transaction, so none of them is kept."""
    upgrades = up()
    url = new_url()
    engine = engines(url)
    build_at_step(engine, 1)
    before = shape(engine)

    fourth = upgrades.STEPS[3].run

    def broken(conn: Connection) -> None:
        fourth(conn)  # does its work, then fails
        conn.execute(text("CREATE TABLE hub_case (id INTEGER)"))

    steps = list(upgrades.STEPS)
    steps[3] = upgrades.Step(4, steps[3].description, broken)
    monkeypatch.setattr(upgrades, "STEPS", steps)
    with pytest.raises(EnvironmentProblem, match=r"could not be upgraded: step 4 \(domain one"):
        Hub(url)
    assert shape(engine) == before
    with engine.connect() as conn:
        assert upgrades.read_version(conn) == upgrades.Version(True, None, "1")
    if url.startswith("sqlite"):
        [backup] = backups(Path(engine.url.database).parent)
        assert shape(engines(f"sqlite:///{backup}")) == before


def test_hubs_opened_together_on_a_brand_new_file_all_open(tmp_path: Path) -> None:
    """Switching a new SQLite file to WAL: SQLite says "locked" at once, without waiting, to the
    second of two connections switching it together (about 1 round in 15 failed)."""
    failures: list[BaseException] = []
    for round_ in range(40):
        url = f"sqlite:///{tmp_path / f'new-{round_}.sqlite'}"
        start = threading.Barrier(3)

        def open_hub(url: str = url, start: threading.Barrier = start) -> None:
            start.wait(timeout=60)
            try:
                Hub(url).close()
            except BaseException as exc:  # collected: the main thread asserts
                failures.append(exc)

        threads = [threading.Thread(target=open_hub) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    assert failures == []
