"""Tamper evidence (issue "Case data protected at rest", item 5): every change a laptop records
is a link of a hash chain whose head the device key signs at each save; `probdesk verify`
folds the rows again and checks the signatures, so an edit made outside probdesk shows, even
by someone who recomputes the audit log's chain and the head's hash (the finding: editing
answers with the sqlite3 tool and recomputing the audit chain passed every check)."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import rawdb
import scenes
from cli_support import run
from scenes import AB, TEAM_SAMPLE, Team

from probdesk.domain import tamper
from probdesk.domain.records import GroupAttendance, MeetingKind
from probdesk.packages import writer
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.evidence import EvidenceLog
from probdesk.services.workspace import Workspace
from probdesk.store import chains, datakey, snapshots
from probdesk.store.database import DB_NAME, Store, make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
PDU_CORE = ROOT / "question_sets" / "pdu-core.yaml"
FACTS = {
    "sentence_type": "community_order", "rosh_level": "medium", "domestic_abuse": "no",
    "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
    "practitioner_grade": "po",
}  # fmt: skip


@dataclass
class Laptop:
    data: Path
    inspection_id: str
    case_id: str

    def open(self) -> Workspace:
        return Workspace.open(Paths.resolve(self.data))

    def verify(self) -> list[str]:
        ws = self.open()
        try:
            return ws.verify()
        finally:
            ws.close()

    def sql(self, *statements: tuple[str, tuple[object, ...]]) -> None:
        """What someone with the sqlite3 tool (and the key) does to the database."""
        conn = rawdb.connect(self.data / DB_NAME)
        try:
            for stmt, params in statements:
                conn.execute(stmt, params)
            conn.commit()
        finally:
            conn.close()


def _yes_no(ws: Workspace, case_id: str) -> list[str]:
    state = ws.case_state(case_id)
    return [
        q.id
        for s in state.question_set.sections_for(state.case.variant)
        for q in s.questions
        if q.id in state.applicable and q.answer.is_yes_no
    ]


@pytest.fixture
def laptop(tmp_path: Path) -> Laptop:
    data = tmp_path / "data"
    ws = Workspace.open(Paths.resolve(data).ensure())
    try:
        ws.set_identity("AB", "inspector")
        insp = ws.create_inspection(
            "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), PDU_CORE
        )
        case = ws.add_case(insp.id, "TQ-4410-HERON", FACTS)
        for n, qid in enumerate(_yes_no(ws, case.id)[:5]):
            ws.record_answer(case.id, qid, "yes" if n % 2 else "no", note=f"Seen in record {n}.")
        meeting = ws.save_meeting(
            insp.id, MeetingKind.FOCUS_GROUP, date(2026, 11, 3), "Probation officers group",
            [GroupAttendance("practitioners_po", 6)], ["N1"],
        )  # fmt: skip
        ws.record_meeting_note(meeting.id, "N1", "Officers could describe the plan.")
        EvidenceLog(ws).raise_gap(insp.id, "1.1", "No caseload figures for the last quarter.")
    finally:
        ws.close()
    return Laptop(data, insp.id, case.id)


def _recompute_audit_chain(lap: Laptop) -> None:
    """Rewrite every audit row's hash (and the device's anchor) as probdesk computes them: the
    algorithm is no secret, so this is what a careful tamperer does."""
    from probdesk.store.repositories import GENESIS, _audit_hash

    conn = rawdb.connect(lap.data / DB_NAME)
    try:
        rows = conn.execute(
            "SELECT seq, at, device_id, actor, action, entity, entity_id, detail "
            "FROM audit_log ORDER BY seq"
        ).fetchall()
        prev = GENESIS
        from datetime import datetime

        for seq, at, *fields in rows:
            digest = _audit_hash(prev, seq, datetime.fromisoformat(at), fields)
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq)
            )
            prev = digest
        conn.execute("UPDATE device SET audit_seq = ?, audit_hash = ?", (rows[-1][0], prev))
        conn.commit()
    finally:
        conn.close()


def _recompute_head(lap: Laptop) -> None:
    """Fold the (edited) rows as probdesk would and write the head's hash, unsigned by the
    device key (which the tamperer would have to take from the keys folder)."""
    ws = Workspace(Store(lap.data / DB_NAME, make_engine(lap.data / DB_NAME, rawdb.key_of(
        lap.data / DB_NAME))))  # fmt: skip
    try:
        with ws.store.unit_of_work(read_only=True) as uow:
            head = chains.fold_rows(uow.session, ws.device_id, lap.inspection_id)
    finally:
        ws.close()
    lap.sql((
        "UPDATE signed_head SET seq = ?, count = ?, hash = ? WHERE chain = ?",
        (head.seq, head.count, head.hash, tamper.content_chain(lap.inspection_id)),
    ))  # fmt: skip


def test_an_untouched_database_verifies_and_the_cli_says_so(laptop: Laptop) -> None:
    assert laptop.verify() == []
    done = run("verify", "--data-dir", laptop.data)
    assert done.returncode == 0, done.stderr
    assert "everything matches what this laptop signed" in done.stdout


def test_an_answer_edited_with_the_sqlite3_tool_shows(laptop: Laptop) -> None:
    laptop.sql(("UPDATE answer_event SET value = ? WHERE seq = (SELECT MIN(seq) FROM "
                "answer_event)", (json.dumps("yes"),)))  # fmt: skip
    [finding] = laptop.verify()
    assert finding.startswith("Plymouth, South West")
    assert "some of its" in finding and "edited" in finding
    done = run("verify", "--data-dir", laptop.data)
    assert done.returncode == 1
    assert "1 finding(s)" in done.stderr and "edited" in done.stderr
    assert "TQ-4410-HERON" not in done.stderr + done.stdout  # findings never name a case


def test_an_edit_with_the_audit_chain_and_the_head_recomputed_still_shows(
    laptop: Laptop,
) -> None:
    laptop.sql(
        ("UPDATE answer_event SET note = ? WHERE seq = (SELECT MAX(seq) FROM answer_event)",
         ("Nothing of concern.",)),
        ("UPDATE audit_log SET actor = ? WHERE seq = 1", ("CD",)),
    )  # fmt: skip
    _recompute_audit_chain(laptop)
    _recompute_head(laptop)
    findings = laptop.verify()
    assert len(findings) == 2, findings
    assert "does not carry this laptop's signature" in findings[0]
    assert "audit log's newest entry is not the one this laptop signed" in findings[1]


def test_deleted_and_inserted_changes_show(laptop: Laptop) -> None:
    laptop.sql(("DELETE FROM meeting_note_event", ()))
    [gone] = laptop.verify()
    assert "1 of its" in gone and "are gone" in gone
    ws = laptop.open()
    ws.close()
    laptop.sql(
        ("INSERT INTO meeting_note_event SELECT ?, m.id, 'N1', 'Invented note', d.id, "
         "d.last_seq + 1, 'x', NULL, '2026-11-03 10:00:00', 'AB' FROM meeting m, device d",
         ("4d0c3f4e-0000-4000-8000-000000000001",)),
        ("INSERT INTO meeting_note_event SELECT ?, m.id, 'N1', 'Another', d.id, "
         "d.last_seq + 2, 'y', NULL, '2026-11-03 10:00:00', 'AB' FROM meeting m, device d",
         ("4d0c3f4e-0000-4000-8000-000000000002",)),
    )  # fmt: skip
    [added] = laptop.verify()
    assert "1 changes were added that this laptop never signed" in added


def test_with_every_signed_head_deleted_the_fresh_signing_shows_in_the_audit_log(
    laptop: Laptop,
) -> None:
    """The limit, said: with every head gone the store looks like one from before signed
    heads and its opening signs what the rows hold; the audit log's second record of a
    signing says so."""
    laptop.sql(
        ("UPDATE answer_event SET value = ? WHERE seq = (SELECT MIN(seq) FROM answer_event)",
         (json.dumps("yes"),)),
        ("DELETE FROM signed_head", ()),
    )  # fmt: skip
    [finding] = laptop.verify()
    assert "signed afresh 1 time after the first" in finding


def test_a_missing_head_among_signed_ones_is_a_finding(laptop: Laptop) -> None:
    laptop.sql(("DELETE FROM signed_head WHERE chain = ?",
                (tamper.content_chain(laptop.inspection_id),)))  # fmt: skip
    [finding] = laptop.verify()
    assert "has no signed record" in finding
    with rawdb.connect(laptop.data / DB_NAME) as conn:  # and opening did not sign one anew
        assert conn.execute("SELECT COUNT(*) FROM signed_head WHERE chain LIKE 'content/%'"
                            ).fetchone()[0] == 0  # fmt: skip


def test_a_store_from_before_signed_heads_is_signed_at_its_first_opening(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    Paths.resolve(data).ensure()
    db = data / DB_NAME
    from probdesk.store import datakey

    key = datakey.unlock(data)
    engine = make_engine(db, key)
    migrate(engine)
    engine.dispose()
    ws = Workspace(Store(db, make_engine(db, key), key=key))  # no signer: as before 0006
    insp = ws.create_inspection(
        "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), PDU_CORE
    )
    case = ws.add_case(insp.id, "TQ-4410-HERON", FACTS)
    ws.record_answer(case.id, _yes_no(ws, case.id)[0], "yes")
    ws.close()
    with rawdb.connect(db) as conn:
        assert {r[0] for r in conn.execute("SELECT signature FROM signed_head")} == {""}
    opened = Workspace.open(Paths.resolve(data))
    try:
        assert opened.verify() == []
        with opened.store.unit_of_work(read_only=True) as uow:
            assert [e.action for e in uow.audit.entries()][-1] == "sign_chains"
    finally:
        opened.close()


def test_the_head_kept_save_by_save_is_the_fold_of_the_rows(tmp_path: Path) -> None:
    """Randomised: answers, case changes, notes and evidence in any order and mix, the head
    moved on link by link at each save is exactly the chain folded again from the rows."""
    rng = random.Random(1303)
    ws = Workspace.open(Paths.resolve(tmp_path / "data").ensure())
    try:
        ws.set_identity("AB", "inspector")
        insp = ws.create_inspection(
            "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), PDU_CORE
        )
        other = ws.create_inspection(
            "South West", "Torbay", date(2026, 12, 7), date(2026, 12, 11), PDU_CORE
        )
        cases = [ws.add_case(i.id, f"TQ-{n:04d}-WREN", FACTS) for n, i in
                 enumerate([insp, insp, other])]  # fmt: skip
        meeting = ws.save_meeting(
            insp.id, MeetingKind.FOCUS_GROUP, date(2026, 11, 3), "Managers",
            [GroupAttendance("middle_managers", 3)], ["N1", "N3"],
        )  # fmt: skip
        log = EvidenceLog(ws)
        for step in range(60):
            what = rng.choice(["answer", "answer", "facts", "note", "gap"])
            case = rng.choice(cases)
            if what == "answer":
                qid = rng.choice(_yes_no(ws, case.id))
                ws.record_answer(case.id, qid, rng.choice(["yes", "no", None]), f"n{step}")
            elif what == "facts":
                ws.update_facts(case.id, FACTS | {"tier": rng.choice(["A1", "B2", "C3"])})
            elif what == "note":
                ws.record_meeting_note(meeting.id, rng.choice(["N1", "N3"]), f"note {step}")
            else:
                log.raise_gap(rng.choice([insp, other]).id, "1.1", f"gap {step}")
        with ws.store.unit_of_work(read_only=True) as uow:
            for i in (insp, other):
                signed = uow.chains.signed_head(i.id)
                assert signed is not None
                head, signature = signed
                assert head == chains.fold_rows(uow.session, ws.device_id, i.id)
                assert head.count > 5 and signature
        assert ws.verify() == []
    finally:
        ws.close()


def test_the_chain_covers_content_not_the_time_of_recording() -> None:
    """The same change read from a record, a payload and a store row links alike; any
    content field changes the hash."""
    change = {
        "id": "e1", "case_id": "c1", "question_id": "Q1", "value": ["a", "b"], "note": "n",
        "device_id": "d1", "seq": 3, "hlc": "h", "replaces": None, "author": "AB",
        "recorded_at": "2026-11-03T10:00:00",
    }  # fmt: skip
    start = tamper.genesis("d1", "content/i1")
    one = tamper.link(start, "answer", change)
    assert tamper.link(start, "answer", change | {"recorded_at": "later"}) == one
    assert tamper.link(start, "answer", change | {"value": ("a", "b")}) == one
    for name in tamper.FIELDS["answer"]:
        altered = change | {name: "changed" if name != "seq" else 4}
        assert tamper.link(start, "answer", altered).hash != one.hash, name
    assert one.hash != hashlib.sha256(b"").hexdigest() and one.count == 1


# -- on merge: the hub checks each package's changes against their signed head -------------


def _edit_first_answer(lt: Any, value: str = "no") -> None:
    conn = rawdb.connect(lt.paths.data / DB_NAME)
    try:
        conn.execute(
            "UPDATE answer_event SET value = ? WHERE seq = (SELECT MIN(seq) FROM answer_event "
            "WHERE device_id = (SELECT id FROM device))", (json.dumps(value),),
        )  # fmt: skip
        conn.commit()
    finally:
        conn.close()


def _resign(lt: Any, inspection_id: str) -> None:
    """What a forger holding the laptop's data key (so its device key) does: fold the edited
    rows and sign the head as probdesk would."""
    with lt.ws.store.unit_of_work(read_only=True) as uow:
        head = chains.fold_rows(uow.session, lt.ws.device_id, inspection_id)
    chain = tamper.content_chain(inspection_id)
    signature = lt.fw.keys.signing_key.sign(tamper.statement(lt.ws.device_id, chain, head))
    conn = rawdb.connect(lt.paths.data / DB_NAME)
    try:
        conn.execute(
            "UPDATE signed_head SET seq = ?, count = ?, hash = ?, signature = ? WHERE chain = ?",
            (head.seq, head.count, head.hash, signature.hex(), chain),
        )  # fmt: skip
        conn.commit()
    finally:
        conn.close()


def _hub_answers(url: str, inspection_id: str) -> list[tuple[str, str]]:
    hub = rawdb.hub(url)
    try:
        return sorted((e.id, e.value) for e in hub.events_of(inspection_id))
    finally:
        hub.close()


def test_an_honest_package_merges_without_a_flag(team: Team, url: str) -> None:
    team.answer_all(AB)
    team.export(AB)
    [o] = team.merge(url)
    assert (o.state, o.reason, o.flag) == (hubs.MERGED, "", "")
    assert _hub_answers(url, team.inspection_id)


def test_a_package_of_rows_edited_on_the_laptop_is_refused(team: Team, url: str) -> None:
    team.answer_all(AB)
    _edit_first_answer(team.laptops[AB])
    team.export(AB)
    [o] = team.merge(url)
    assert o.state == hubs.REJECTED
    assert o.reason.startswith("tampered: its ") and "edited outside probdesk" in o.reason
    assert _hub_answers(url, team.inspection_id) == []  # nothing of it merged


def test_a_head_recomputed_without_the_key_is_refused(team: Team, url: str) -> None:
    lt = team.laptops[AB]
    team.answer_all(AB)
    _edit_first_answer(lt)
    with lt.ws.store.unit_of_work(read_only=True) as uow:
        head = chains.fold_rows(uow.session, lt.ws.device_id, team.inspection_id)
    conn = rawdb.connect(lt.paths.data / DB_NAME)
    conn.execute(
        "UPDATE signed_head SET seq = ?, count = ?, hash = ? WHERE chain = ?",
        (head.seq, head.count, head.hash, tamper.content_chain(team.inspection_id)),
    )
    conn.commit()
    conn.close()  # fmt: skip
    team.export(AB)
    [o] = team.merge(url)
    assert o.state == hubs.REJECTED and "not signed by the laptop's key" in o.reason


def test_rewriting_what_the_hub_merged_is_refused_even_when_re_signed(team: Team, url: str) -> None:
    """The forger holds the data key, so the device key: the laptop's own checks pass, but
    the hub holds what it merged and a change that comes again with other content shows."""
    lt = team.laptops[AB]
    team.answer_all(AB)
    team.export(AB)
    [first] = team.merge(url)
    assert first.state == hubs.MERGED
    before = _hub_answers(url, team.inspection_id)
    figures = team.figures(url)
    _edit_first_answer(lt)
    _resign(lt, team.inspection_id)
    assert lt.ws.verify() == []  # signed with the device key: the laptop alone cannot tell
    team.export(AB)
    outcomes = [o for o in team.merge(url) if o.state != hubs.ALREADY]
    [o] = outcomes
    assert o.state == hubs.REJECTED
    assert "1 of the changes this laptop sent before come again with other content" in o.reason
    assert _hub_answers(url, team.inspection_id) == before and team.figures(url) == figures


@pytest.mark.logs_warnings
def test_a_package_from_before_signed_heads_merges_flagged(team: Team, url: str) -> None:
    lt = team.laptops[AB]
    team.answer_all(AB)
    payload, counts = lt.fw.build_events_payload(team.inspection_id)
    assert "chain" in payload
    del payload["chain"]  # as a probdesk before tamper evidence wrote it
    device = lt.ws.device()
    package_id, data = writer.build_package(
        kind="events", payload=payload, inspection_id=team.inspection_id,
        device_id=device.id, hlc=device.last_hlc, counts=counts,
        extra={"seq_to": payload["seq_to"]}, signer=lt.fw.keys,
        recipients=lt.fw._recipients(team.inspection_id),
    )  # fmt: skip
    writer.write_atomically(data, team.shared, writer.package_file_name("events", package_id))
    [o] = team.merge(url)
    assert o.state == hubs.MERGED
    assert "without tamper evidence" in o.flag
    assert len(_hub_answers(url, team.inspection_id)) == counts["answers"]


@pytest.mark.logs_warnings
def test_a_laptop_restored_from_an_older_snapshot_merges_flagged(team: Team, url: str) -> None:
    """Not tampering: a restore takes the laptop back; what the hub merged before stays."""
    lt = team.laptops[AB]
    case_id = team.case(AB, TEAM_SAMPLE[0][0])
    qids = _yes_no(lt.ws, case_id)
    lt.ws.record_answer(case_id, qids[0], "yes")
    snap = lt.ws.take_snapshot()
    lt.ws.record_answer(case_id, qids[1], "no")
    team.export(AB)
    [o] = team.merge(url)
    assert o.state == hubs.MERGED
    lt.ws.close()
    snapshots.restore(lt.paths.data, snap, datakey.unlock(lt.paths.data))
    again = scenes.Laptop.open(lt.paths.data)
    team.laptops[AB] = again
    again.ws.record_answer(case_id, qids[2], "yes")
    team.export(AB)
    [o] = [o for o in team.merge(url) if o.state != hubs.ALREADY]
    assert o.state == hubs.MERGED
    assert "1 changes this laptop sent before are no longer on it" in o.flag
    assert len(_hub_answers(url, team.inspection_id)) == 3


def test_two_programs_saving_into_one_store_keep_one_true_head(laptop: Laptop) -> None:
    """The window and a command open at once: each remembers its last head, and a save after
    the other's finds the row moved on and links onto it."""
    one, two = laptop.open(), laptop.open()
    try:
        qids = _yes_no(one, laptop.case_id)
        for n in range(12):
            ws = one if n % 3 else two
            ws.record_answer(laptop.case_id, qids[n % len(qids)], "yes" if n % 2 else "no")
        assert one.verify() == [] and two.verify() == []
    finally:
        one.close()
        two.close()


def test_an_older_package_arriving_late_merges_without_a_flag(team: Team, url: str) -> None:
    """A synced folder delivers the first package after the second: it lacks what came after
    it, which is no loss and no tampering."""
    lt = team.laptops[AB]
    case_id = team.case(AB, TEAM_SAMPLE[0][0])
    qids = _yes_no(lt.ws, case_id)
    lt.ws.record_answer(case_id, qids[0], "yes")
    first = team.export(AB)
    held_back = first.with_name(first.name + ".later")
    first.rename(held_back)
    lt.ws.record_answer(case_id, qids[1], "no")
    team.export(AB)
    [newer] = team.merge(url)
    assert (newer.state, newer.flag) == (hubs.MERGED, "")
    held_back.rename(first)
    [late] = [o for o in team.merge(url) if o.state != hubs.ALREADY]
    assert (late.state, late.reason, late.flag) == (hubs.MERGED, "", "")
    assert len(_hub_answers(url, team.inspection_id)) == 2


def test_a_second_laptop_with_nothing_of_its_own_merges_without_a_flag(
    team: Team, url: str
) -> None:
    """An assessor's second laptop that only opened the setup pack has no changes, so no chain
    to sign: its package is not 'from a probdesk without tamper evidence'."""
    team.answer_all(AB)
    team.export(AB)
    second = scenes.Laptop.open(team.root / "ab-second")
    try:
        second.fw.open_setup_pack(team.pack, scenes.PASSPHRASE, AB, team.codes[AB])
        assert second.fw.export(team.inspection_id, team.shared).shared_path is not None
    finally:
        second.ws.close()
    outcomes = team.merge(url)
    assert [(o.state, o.reason, o.flag) for o in outcomes] == [(hubs.MERGED, "", "")] * 2
