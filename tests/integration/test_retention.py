"""Retention and purge (#13, item 6): the lead closes an inspection; a laptop purges it once
receipts show all its work merged; the hub purges closed inspections after the retention
period. Real encrypted stores, real packages, a real hub (fictional data only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import cli_support
import pytest
import rawdb
from cli_support import Ran
from scenes import AB, CD, PDU_CORE, TEAM_FACTS, Laptop, Team

from probdesk.domain.records import GroupAttendance, MeetingKind
from probdesk.services import hub as hubs
from probdesk.services import retention
from probdesk.store.database import DB_NAME

NOTE = "Fictional purge note ZQX-{}"
CLOSED = datetime(2026, 12, 1, 10, 0, 0)


def yes_no_question(lt: Laptop, inspection_id: str) -> str:
    qs = lt.ws.question_set(lt.ws.inspection(inspection_id))
    return next(q.id for q in qs.questions if "yes" in (q.allowed_values() or ()))


def answer_with_notes(team: Team, member: str) -> None:
    lt = team.laptops[member]
    question = yes_no_question(lt, team.inspection_id)
    for c in lt.ws.cases(team.inspection_id):
        lt.ws.record_answer(c.id, question, "yes", note=NOTE.format(c.reference))


def sync(lt: Laptop, shared: Path) -> None:
    """What `probdesk sync` does: receipts, then the lead's packs addressed here."""
    lt.fw.check_receipts(shared)
    for pack in lt.fw.incoming(shared):
        if pack.kind == "sendback" and not pack.opened:
            lt.fw.open_sendback(pack.path)


def close(team: Team, url: str, at: datetime = CLOSED) -> retention.CloseResult:
    hub = rawdb.hub(url)
    try:
        return retention.close_inspection(hub, team.lead.fw, team.inspection_id, team.shared, at)
    finally:
        hub.close()


def db_texts(data: Path) -> str:
    """Every text value in the decrypted database, joined (what a thief with the key sees)."""
    conn = rawdb.connect(data / DB_NAME, read_only=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for t in tables:
            for row in conn.execute(f'SELECT * FROM "{t}"'):
                out.extend(str(v) for v in row if isinstance(v, str | bytes))
        return "\n".join(out)
    finally:
        conn.close()


def mentions(texts: str, reference: str) -> bool:
    """A case reference held in the database: a whole value, or a quoted string in a JSON
    one. Not any two characters in a row (random base64 may hold "A2")."""
    return any(v == reference or f'"{reference}"' in v for v in texts.split("\n"))


def counts(data: Path) -> dict[str, int]:
    conn = rawdb.connect(data / DB_NAME, read_only=True)
    try:
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("case", "answer_event", "case_event", "comment", "inspection", "audit_log")
        }
    finally:
        conn.close()


def test_a_laptop_purge_waits_for_closing_and_receipts_then_leaves_nothing_behind(
    team: Team, url: str
) -> None:
    ab = team.laptops[AB]
    answer_with_notes(team, AB)
    answer_with_notes(team, CD)
    # Another inspection on the same laptop: it stays exactly as it is.
    other = ab.ws.create_inspection(
        "North East", "Durham", date(2027, 1, 4), date(2027, 1, 8), PDU_CORE
    )
    kept = ab.ws.add_case(other.id, "KEEP-1", TEAM_FACTS, assessor=AB)
    qs = ab.ws.question_set(other)
    question = next(q for q in qs.questions if q.allowed_values())
    ab.ws.record_answer(kept.id, question.id, question.allowed_values()[0], note="kept note")
    old_snapshot = ab.ws.take_snapshot()

    # Not closed, nothing exported: refused, both reasons said, nothing changed.
    plan = retention.plan_purge(ab.fw, team.inspection_id, shared=team.shared)
    assert not plan.allowed
    assert plan.closed_at is None and plan.unmerged["answers"] == 2
    assert plan.not_exported == sum(plan.unmerged.values())  # answers, cases started
    before = counts(ab.paths.data)
    with pytest.raises(retention.PurgeRefused) as refused:
        retention.purge(ab.fw, team.inspection_id, shared=team.shared)
    said = "\n".join(refused.value.details)
    assert "not closed" in said and "not merged" in said and "export first" in said
    assert "A1" not in said and "ZQX" not in said  # ids and counts only, never content
    assert counts(ab.paths.data) == before

    # Exported and merged, closed by the lead, but the receipt not read yet: still refused,
    # and the package waiting for its receipt is named.
    exported = team.export(AB)
    team.export(CD)
    assert {o.state for o in team.merge(url)} == {hubs.MERGED}
    done = close(team, url)
    assert not done.already and len(done.packs) == 2  # one for each laptop
    for pack in ab.fw.incoming(team.shared):
        if pack.kind == "sendback":
            ab.fw.open_sendback(pack.path)
    assert ab.ws.inspection(team.inspection_id).closed_at == CLOSED
    plan = retention.plan_purge(ab.fw, team.inspection_id)
    assert not plan.allowed and plan.unreceipted == (exported.name,)
    assert exported.name in "\n".join(plan.problems())

    # A meeting saved after the merge is unmerged work too.
    ab.ws.save_meeting(
        team.inspection_id, MeetingKind.FOCUS_GROUP, date(2026, 11, 4), "Focus group",
        [GroupAttendance("practitioners_po", 4)], ["N1"],
    )  # fmt: skip
    plan = retention.plan_purge(ab.fw, team.inspection_id, shared=team.shared)
    assert plan.unmerged == {"meetings": 1} and plan.not_exported == 1
    team.export(AB)
    team.merge(url)

    # Receipts read: allowed. What will go is said before it goes.
    plan = retention.plan_purge(ab.fw, team.inspection_id, shared=team.shared)
    assert plan.allowed, plan.problems()
    assert plan.rows["cases"] == 2 and plan.rows["answers"] == 2 and plan.rows["meetings"] == 1
    assert old_snapshot in plan.snapshots
    outbox_files = [ab.paths.outbox / p.file_name for p in ab.fw.outbox(team.inspection_id)]
    shared_files = [f for f in plan.files if f.parent == team.shared]
    assert len(shared_files) == 2 and all(f.exists() for f in shared_files)

    before = db_texts(ab.paths.data)
    assert mentions(before, "A1") and mentions(before, "A2")  # the check below can fail
    result = retention.purge(ab.fw, team.inspection_id, shared=team.shared)
    assert result.rows["cases"] == 2 and result.snapshot is not None

    # Nothing of it is left: no row, no reference, no note, in the database or its log.
    texts = db_texts(ab.paths.data)
    assert "ZQX" not in texts and not mentions(texts, "A1") and not mentions(texts, "A2")
    assert team.inspection_id not in {i.id for i in ab.ws.inspections()}
    wal = Path(f"{ab.paths.data / DB_NAME}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # The file is rebuilt (VACUUM): no free pages keep deleted content.
    conn = rawdb.connect(ab.paths.data / DB_NAME, read_only=True)
    try:
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        conn.close()
    assert not any(f.exists() for f in [*outbox_files, *shared_files])
    # Snapshots replaced: only the new one, which does not hold the inspection either.
    assert [s.path for s in ab.ws.snapshots()] == [result.snapshot]
    # (the new one may take the old one's name: the tests' clock stands still)
    snap = rawdb.connect(result.snapshot, read_only=True, key=ab.ws.store.key)
    try:
        assert snap.execute("SELECT count(*) FROM inspection").fetchone()[0] == 1
        assert (
            snap.execute("SELECT count(*) FROM answer_event WHERE note LIKE '%ZQX%'").fetchone()[0]
            == 0
        )
    finally:
        snap.close()

    # The other inspection is untouched; the audit chain holds a record with counts only.
    assert [c.reference for c in ab.ws.cases(other.id)] == ["KEEP-1"]
    assert "kept note" in texts
    assert ab.ws.audit_problems() == []
    assert ab.ws.verify() == []  # its chain's signed head went with it; the other's matches
    with ab.ws.store.unit_of_work(read_only=True) as uow:
        [entry] = [e for e in uow.audit.entries(team.inspection_id) if e.action == "purge"]
    assert "cases=2" in entry.detail and "answers=2" in entry.detail and "ZQX" not in entry.detail
    # The other laptop still has all its work.
    assert len(team.laptops[CD].ws.cases(team.inspection_id)) == 2


def test_a_refused_purge_changes_nothing_on_the_other_laptop_and_the_hub(
    team: Team, url: str
) -> None:
    answer_with_notes(team, CD)
    team.export(CD)
    team.merge(url)
    close(team, url)
    cd = team.laptops[CD]
    sync(cd, team.shared)
    cd.ws.record_answer(team.case(CD, "C1"), yes_no_question(cd, team.inspection_id), "no")
    plan = retention.plan_purge(cd.fw, team.inspection_id, shared=team.shared)
    assert not plan.allowed and sum(plan.unmerged.values()) >= 1 and plan.not_exported >= 1
    files = sorted(team.shared.rglob("*.pdpkg"))
    with pytest.raises(retention.PurgeRefused):
        retention.purge(cd.fw, team.inspection_id, shared=team.shared)
    assert sorted(team.shared.rglob("*.pdpkg")) == files
    assert len(cd.ws.cases(team.inspection_id)) == 2


def test_the_hub_purges_after_the_retention_period_and_never_takes_the_inspection_back(
    team: Team, url: str
) -> None:
    answer_with_notes(team, AB)
    answer_with_notes(team, CD)
    team.export(AB)
    team.merge(url)
    close(team, url)
    hub = rawdb.hub(url)
    try:
        assert retention.retention_days(hub) == retention.DEFAULT_RETENTION_DAYS
        retention.set_retention_days(hub, 30)
        with pytest.raises(retention.InputError, match="between 0 and"):
            retention.set_retention_days(hub, -1)
        # Not before the period is over...
        early = retention.purge_hub(hub, now=CLOSED + timedelta(days=29))
        assert early.purged == () and [w.inspection_id for w in early.waiting] == [
            team.inspection_id
        ]
        assert hub.cases_of(team.inspection_id)
        dry = retention.purge_hub(hub, now=CLOSED + timedelta(days=31), dry_run=True)
        assert [r.inspection_id for r in dry.purged] == [team.inspection_id]
        assert hub.cases_of(team.inspection_id)
        # ...and after it.
        packs = sorted(team.shared.glob("pd-s*.pdpkg"))  # the lead's setup and closing packs
        assert packs
        done = retention.purge_hub(
            hub, now=CLOSED + timedelta(days=31), shared=team.shared,
            lead_device_id=team.lead.ws.device_id,
        )  # fmt: skip
        assert done.files == len(packs) + 1  # and the receipt
        assert not any(p.exists() for p in packs)
        assert not list((team.shared / "receipts").glob("*.pdpkg"))
        [record] = done.purged
        assert record.counts["hub_case"] == 2 and record.counts["hub_event"] >= 2
        assert hub.inspection(team.inspection_id) is None
        assert hub.cases_of(team.inspection_id) == []
        assert hub.purge_record(team.inspection_id) == record
    finally:
        hub.close()
    path = Path(url.removeprefix("sqlite:///"))
    conn = rawdb.connect(path, read_only=True)  # keyed when encrypted
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            if t in ("hub_meta", "hub_purge"):
                continue
            assert conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == 0, t
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        [kept] = conn.execute("SELECT inspection_id, counts FROM hub_purge").fetchall()
        assert kept[0] == team.inspection_id and "ZQX" not in kept[1]
    finally:
        conn.close()

    # A late package (CD never exported before the purge) is refused with the reason, and
    # the lead's own laptop, which still holds the inspection, does not bring it back.
    late = team.export(CD)
    outcomes = team.merge(url)
    [o] = [o for o in outcomes if o.file == late.name]
    assert o.state == hubs.REJECTED and "purged from this hub" in o.reason
    hub = rawdb.hub(url)
    try:
        assert hub.inspection(team.inspection_id) is None
        assert hub.cases_of(team.inspection_id) == []
    finally:
        hub.close()

    # The lead's laptop may purge its own copy now: its own changes were merged and purged.
    lead = team.lead
    hub = rawdb.hub(url)
    try:
        plan = retention.plan_purge(lead.fw, team.inspection_id, shared=team.shared, hub=hub)
        assert plan.allowed, plan.problems()
        retention.purge(lead.fw, team.inspection_id, shared=team.shared, hub=hub)
    finally:
        hub.close()
    assert lead.ws.inspections() == []


def test_a_laptop_purge_leaves_the_leads_packs_for_the_other_laptops(team: Team, url: str) -> None:
    team.export(AB)
    team.merge(url)
    close(team, url)
    ab = team.laptops[AB]
    sync(ab, team.shared)
    lead_packs = sorted(p for p in team.shared.rglob("*.pdpkg") if "events" not in p.name)
    retention.purge(ab.fw, team.inspection_id, shared=team.shared)
    assert all(p.exists() for p in lead_packs)  # CD still needs the setup and closing packs
    assert not list(team.shared.glob("pd-events-*.pdpkg"))


def test_the_lead_needs_the_hub_to_purge_their_own_copy(team: Team, url: str) -> None:
    team.merge(url)  # registers the lead's inspection and its case changes
    close(team, url)
    plan = retention.plan_purge(team.lead.fw, team.inspection_id)
    assert not plan.allowed and plan.lead_unchecked
    assert "--hub" in "\n".join(plan.problems())
    hub = rawdb.hub(url)
    try:
        assert retention.plan_purge(team.lead.fw, team.inspection_id, hub=hub).allowed
    finally:
        hub.close()


def test_closing_twice_keeps_the_first_date_and_an_unknown_inspection_is_said(
    team: Team, url: str
) -> None:
    team.merge(url)
    assert not close(team, url).already
    again = close(team, url, CLOSED + timedelta(days=3))
    assert again.already and again.closed_at == CLOSED
    hub = rawdb.hub(url)
    try:
        with pytest.raises(retention.InputError, match="holds no inspection"):
            retention.close_inspection(hub, team.lead.fw, "no-such-inspection", None)
    finally:
        hub.close()
    assert team.lead.ws.inspection(team.inspection_id).closed_at == CLOSED


# -- the command line --------------------------------------------------------------------------


def run(*args: str | Path) -> Ran:
    done = cli_support.run(*args)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_the_commands_say_what_they_do_and_exit_accordingly(team: Team, url: str) -> None:
    answer_with_notes(team, AB)
    team.export(AB)
    team.close()  # the commands open the data folders themselves
    ab, lead = team.root / "ab", team.root / "lead"
    hub_url = url

    refused = run("--data-dir", ab, "purge", team.inspection_id, "--shared", team.shared)
    assert refused.returncode == 2
    assert "cannot be purged" in refused.stderr and "not closed" in refused.stderr
    assert "ZQX" not in refused.stderr + refused.stdout

    merged = run("--data-dir", lead, "merge", team.shared, "--hub", hub_url)
    assert merged.returncode == 0, merged.stderr
    closed = run("--data-dir", lead, "hub", "close", team.inspection_id, "--to", team.shared,
                 "--hub", hub_url)  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    assert "closed on" in closed.stdout and "closing pack:" in closed.stdout
    synced = run("--data-dir", ab, "sync", team.shared)
    assert synced.returncode == 0, synced.stderr

    listed = run("--data-dir", ab, "purge", "--list", "--shared", team.shared)
    assert team.inspection_id in listed.stdout and "may be purged" in listed.stdout
    dry = run("--data-dir", ab, "purge", team.inspection_id[:8], "--dry-run")
    assert (
        dry.returncode == 0 and "would remove" in dry.stdout and "nothing was changed" in dry.stdout
    )
    done = run("--data-dir", ab, "purge", team.inspection_id, "--shared", team.shared)
    assert done.returncode == 0, done.stderr
    assert "purged" in done.stdout and "2 cases" in done.stdout
    gone = run("--data-dir", ab, "purge", team.inspection_id)
    assert gone.returncode == 2 and "no inspection" in gone.stderr

    shown = run("--data-dir", lead, "hub", "retention", "--hub", hub_url)
    assert "365 days after closing (the default)" in shown.stdout
    set_ = run("--data-dir", lead, "hub", "retention", "0", "--hub", hub_url)
    assert set_.returncode == 0 and "set to 0 days" in set_.stdout
    bad = run("--data-dir", lead, "hub", "retention", "-5", "--hub", hub_url)
    assert bad.returncode == 2 and "between 0 and" in bad.stderr
    due = run("--data-dir", lead, "hub", "purge", "--dry-run", "--hub", hub_url)
    assert f"due     {team.inspection_id}" in due.stdout and "nothing was changed" in due.stdout
    purged = run("--data-dir", lead, "hub", "purge", "--to", team.shared, "--hub", hub_url)
    assert purged.returncode == 0, purged.stderr
    assert f"purged  {team.inspection_id}" in purged.stdout and "compacted" in purged.stdout
    again = run("--data-dir", lead, "hub", "purge", "--hub", hub_url)
    assert "no closed inspection is past" in again.stdout


def test_a_postgresql_hub_purges_every_row_and_keeps_the_record(team: Team, pg_server: Any) -> None:
    pg = str(pg_server.create_database())
    answer_with_notes(team, AB)
    team.export(AB)
    assert {o.state for o in team.merge(pg)} == {hubs.MERGED}
    close(team, pg)
    hub = rawdb.hub(pg)
    try:
        done = retention.purge_hub(hub, now=CLOSED + timedelta(days=366))
        [record] = done.purged
        assert record.counts["hub_case"] == 2 and "autovacuum" in done.compacted
        assert hub.inspection(team.inspection_id) is None
        assert hub.cases_of(team.inspection_id) == [] and hub.events_of(team.inspection_id) == []
        assert hub.purge_record(team.inspection_id) == record
    finally:
        hub.close()
    team.export(CD)
    outcomes = team.merge(pg)  # CD's late one, and AB's merged before (its row is gone too)
    assert len(outcomes) == 2
    assert all(o.state == hubs.REJECTED and "purged from this hub" in o.reason for o in outcomes)
