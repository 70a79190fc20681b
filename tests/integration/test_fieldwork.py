"""Fieldwork packages end to end: real data folders, SQLite stores, zip packages, one shared folder.

A team lead's laptop sets up an inspection and writes a setup pack; assessors' laptops open it,
answer, export to the shared folder, receive receipts and send-back packs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import rawdb

from probdesk import bundled
from probdesk.domain.questionset import YES
from probdesk.domain.records import (
    Assessor,
    CaseStatus,
    GroupAttendance,
    KnownDevice,
    MeetingKind,
)
from probdesk.errors import InputError, ProbdeskError
from probdesk.packages import reader, writer
from probdesk.packages.format import PackageError
from probdesk.packages.keys import (
    DeviceKeys,
    Recipient,
    b64,
    generate_recovery_key,
    load_private_x25519,
    unb64,
)
from probdesk.paths import Paths
from probdesk.services import fieldwork
from probdesk.services.fieldwork import (
    SENDBACK_SCHEMA,
    SETUP_SCHEMA,
    Fieldwork,
    SendbackComment,
    passphrase_key,
    set_recovery_public,
)
from probdesk.services.workspace import Workspace

DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
PASSPHRASE = "correct horse battery"
REGION = "South West Region"
PDUS = ("Plymouth", "Cornwall and Isles of Scilly", "Devon and Torbay")
LEAD = "Terry Lead"
INSPECTOR = "Alice Brown"  # names with spaces cannot turn up inside base64 or hex by chance
LOCAL = "Evan Fox"
FACTS: dict[str, object] = {
    "sentence_type": "licence",
    "contact_suspended": "no",
    "rosh_level": "high",
    "domestic_abuse": "yes",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
    "tier": "B2",
    "practitioner_grade": "po",
}
# reference, PDU, assessor, facts changed from FACTS
SAMPLE: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("X100001", PDUS[0], INSPECTOR, {}),
    ("X100002", PDUS[1], LOCAL, {"rosh_level": "low"}),
    ("X100003", PDUS[2], INSPECTOR, {"sentence_type": "community_order"}),
    ("X100004", PDUS[0], LOCAL, {}),
    ("X100005", PDUS[2], INSPECTOR, {"contact_suspended": "yes"}),
)
MINE = {ref: pdu for ref, pdu, who, _ in SAMPLE if who == INSPECTOR}
PERSONAL = [REGION, *PDUS, LEAD, INSPECTOR, LOCAL, *(ref for ref, *_ in SAMPLE)]


@dataclass
class Laptop:
    paths: Paths
    ws: Workspace
    fw: Fieldwork

    @property
    def device_id(self) -> str:
        return self.ws.device_id


@dataclass
class Team:
    lead: Laptop
    shared: Path
    inspection_id: str
    pack: Path
    laptop: Callable[[str], Laptop]


def _open(data: Path) -> Laptop:
    paths = Paths.resolve(data).ensure()
    ws = Workspace.open(paths)
    return Laptop(paths, ws, Fieldwork(ws, paths))


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Callable[[str], Laptop]]:
    opened: list[Laptop] = []

    def make(name: str) -> Laptop:
        lt = _open(tmp_path / name)
        opened.append(lt)
        return lt

    yield make
    for lt in opened:
        lt.ws.close()


@pytest.fixture
def team(tmp_path: Path, laptop: Callable[[str], Laptop]) -> Team:
    """The lead's inspection with three PDUs, a two-person team, five cases and a setup pack."""
    shared = tmp_path / "shared"
    shared.mkdir()
    lead = laptop("lead")
    lead.ws.set_identity(LEAD, "team_lead")
    inspection = lead.ws.create_inspection(
        REGION, PDUS[0], date(2026, 11, 2), date(2026, 11, 6), DIPP, pdus=PDUS
    )
    lead.fw.set_team(
        inspection.id, [Assessor(INSPECTOR, "inspector"), Assessor(LOCAL, "local_assessor")]
    )
    for ref, pdu, who, facts in SAMPLE:
        lead.fw.add_sample_case(inspection.id, ref, {**FACTS, **facts}, pdu, who)
    pack = lead.fw.create_setup_pack(inspection.id, PASSPHRASE, shared, LEAD)
    return Team(lead, shared, inspection.id, pack, laptop)


def manifest_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("manifest.json").decode("utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_no_personal_data(path: Path, extra: tuple[str, ...] = ()) -> None:
    text = manifest_text(path)
    for word in (*PERSONAL, *extra):
        assert word not in path.name, word
        assert word.lower() not in text.lower(), word


def answer_some(ws: Workspace, case_id: str, n: int) -> list[str]:
    """Answer the first n applicable yes/no questions of a case with yes."""
    state = ws.case_state(case_id)
    qids = [
        q.id
        for s in state.question_set.sections_for(state.case.variant)
        for q in s.questions
        if q.id in state.applicable and q.answer.is_yes_no and q.id not in state.answers
    ][:n]
    for q in qids:
        assert ws.record_answer(case_id, q, YES, f"evidence for {q}") is not None
    return qids


def all_answers(ws: Workspace, inspection_id: str) -> list[Any]:
    with ws.store.unit_of_work(read_only=True) as uow:
        return uow.answers.for_inspection(inspection_id)


def snapshot(lt: Laptop) -> tuple[Any, ...]:
    """Everything a pack could change on an assessor's laptop."""
    ws = lt.ws
    with ws.store.unit_of_work(read_only=True) as uow:
        inspections = uow.inspections.newest_first()
        cases = [c for i in inspections for c in uow.cases.for_inspection(i.id)]
        answers = [a for i in inspections for a in uow.answers.for_inspection(i.id)]
        audit = uow.audit.entries()
        device = uow.devices.get()
        team = [uow.team.assessors(i.id) for i in inspections]
    return inspections, cases, answers, len(audit), device, team


def opened_assessor(team: Team, name: str = INSPECTOR, folder: str = "ab") -> Laptop:
    lt = team.laptop(folder)
    result = lt.fw.open_setup_pack(team.pack, PASSPHRASE, name)
    assert not result.already_opened
    return lt


def clone_device(src: Laptop, data: Path) -> Laptop:
    """A second laptop with a copy of src's database (same device id) but its own new keys."""
    data.mkdir(parents=True)
    a = rawdb.connect(src.paths.data / "probdesk.sqlite")
    try:  # a plaintext copy: the new folder encrypts it with its own data key when it opens it
        a.execute("ATTACH DATABASE ? AS copy KEY ''", (str(data / "probdesk.sqlite"),))
        a.execute("SELECT sqlcipher_export('copy')")
        a.execute("DETACH DATABASE copy")
    finally:
        a.close()
    assert not (data / "keys").exists()
    return _open(data)


def read_as_lead(team: Team, package: Path) -> reader.OpenedPackage:
    return reader.read_package(
        package,
        private_keys=[team.lead.fw.keys.encryption_key],
        expected_kind="events",
        payload_schema=fieldwork.EVENTS_SCHEMA,
    )


def remember(team: Team, opened: reader.OpenedPackage) -> None:
    """What the lead's merge does on first sight of a device: record its keys."""
    m, p = opened.manifest, opened.payload
    with team.lead.ws.store.unit_of_work() as uow:
        uow.team.remember_device(
            KnownDevice(
                m["device_id"],
                p["device"]["name"],
                p["device"]["role"],
                m["signer"]["signing_public"],
                m["signer"]["encryption_public"],
                datetime.now().replace(microsecond=0),
            )
        )


# -- the team lead -------------------------------------------------------------------------------


def test_lead_writes_a_setup_pack_with_team_cases_and_keys(team: Team) -> None:
    assert team.pack.parent == team.shared
    assert reader.scan_folder(team.shared) == [team.pack]
    manifest = json.loads(manifest_text(team.pack))
    assert manifest["kind"] == "setup"
    assert manifest["inspection_id"] == team.inspection_id
    assert manifest["counts"] == {"cases": 5, "assessors": 2}
    assert manifest["extra"]["revision"] == 1
    assert team.pack.name == f"pd-setup-{manifest['package_id']}.pdpkg"
    assert_no_personal_data(team.pack, (PASSPHRASE,))

    salt = unb64(manifest["extra"]["passphrase_salt"])
    opened = reader.read_package(
        team.pack,
        private_keys=[passphrase_key(PASSPHRASE, salt)],
        expected_kind="setup",
        payload_schema=SETUP_SCHEMA,
    )
    p = opened.payload
    assert p["inspection"]["pdus"] == list(PDUS)
    assert p["inspection"]["region"] == REGION
    assert {a["name"]: a["role"] for a in p["assessors"]} == {
        INSPECTOR: "inspector",
        LOCAL: "local_assessor",
    }
    assert sorted((c["reference"], c["pdu"], c["assessor"]) for c in p["cases"]) == sorted(
        (ref, pdu, who) for ref, pdu, who, _ in SAMPLE
    )
    assert p["lead"]["signing_public"] == b64(team.lead.fw.keys.signing_public)
    assert [r["role"] for r in p["recipients"]] == ["team_lead"]
    assert team.lead.ws.inspection(team.inspection_id).setup_revision == 1
    # The lead's own key is how exports reach it.
    assert opened.signer_fingerprint == team.lead.fw.fingerprints()["signing"]


@pytest.mark.parametrize(
    ("assessors", "message"),
    [
        ([Assessor("  ", "inspector")], "needs a name"),
        ([Assessor("AB", "inspector"), Assessor("ab ", "local_assessor")], "same name"),
        ([Assessor("AB", "inspector"), Assessor("CD", "manager")], "Unknown assessor role"),
    ],
)
def test_bad_team_input_is_refused(team: Team, assessors: list[Assessor], message: str) -> None:
    before = team.lead.fw.team(team.inspection_id)
    with pytest.raises(InputError, match=message):
        team.lead.fw.set_team(team.inspection_id, assessors)
    assert team.lead.fw.team(team.inspection_id) == before


def test_setup_pack_with_unassigned_cases_is_refused(team: Team, tmp_path: Path) -> None:
    iid = team.inspection_id
    team.lead.fw.add_sample_case(iid, "Y200001", FACTS, PDUS[1], None)
    team.lead.fw.add_sample_case(iid, "Y200002", FACTS, PDUS[2], "")
    out = tmp_path / "out"
    with pytest.raises(InputError, match="2 case") as err:
        team.lead.fw.create_setup_pack(iid, PASSPHRASE, out, LEAD)
    assert "Y200001" in str(err.value) and "Y200002" in str(err.value)
    assert "X100001" not in str(err.value)
    assert not out.exists() or not any(out.iterdir())
    assert team.lead.ws.inspection(iid).setup_revision == 1


def test_short_passphrase_is_refused(team: Team, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="at least 10"):
        team.lead.fw.create_setup_pack(team.inspection_id, "x" * 9, out, LEAD)
    assert not out.exists()
    assert team.lead.ws.inspection(team.inspection_id).setup_revision == 1


@pytest.mark.parametrize(
    ("passphrase", "why"),
    [
        ("aaaaaaaaaa", 'Repeats like "aaa" are easy to guess'),
        ("Password123!", "similar to a commonly used password"),
        ("qwertyuiop", "top-100 common password"),
        ("abcdefghijkl", "easy to guess"),
        ("Plymouth2026", "too easy to guess"),  # the inspection's own words and a year
    ],
)
def test_a_passphrase_easy_to_guess_is_refused_saying_why(
    team: Team, tmp_path: Path, passphrase: str, why: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="too easy to guess") as refused:
        team.lead.fw.create_setup_pack(team.inspection_id, passphrase, out, LEAD)
    assert why in str(refused.value)
    assert "Four unrelated words" in str(refused.value)
    assert not out.exists()
    assert team.lead.ws.inspection(team.inspection_id).setup_revision == 1
    # four unrelated words are strong enough
    strong = team.lead.fw.create_setup_pack(team.inspection_id, "kettle orbit marsh violin", out,
                                            LEAD)  # fmt: skip
    assert strong.exists()


# -- the assessor opens the setup pack ------------------------------------------------------------


def test_assessor_gets_the_inspection_and_only_their_cases(team: Team) -> None:
    ab = team.laptop("ab")
    result = ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR)
    assert not result.already_opened
    assert (result.added, result.updated) == (3, 0)
    assert result.lead_fingerprint == team.lead.fw.fingerprints()["signing"]
    insp = result.inspection
    assert insp.id == team.inspection_id
    assert (insp.region, insp.pdu, insp.pdus) == (REGION, PDUS[0], PDUS)
    assert insp.setup_revision == 1
    assert insp.lead_device_id == team.lead.device_id
    assert [i.id for i in ab.ws.inspections()] == [team.inspection_id]

    cases = ab.ws.cases(team.inspection_id)
    assert {c.reference: c.pdu for c in cases} == MINE
    lead_cases = {c.reference: c for c in team.lead.ws.cases(team.inspection_id)}
    for c in cases:
        source = lead_cases[c.reference]
        assert c.id == source.id
        assert c.facts == source.facts
        assert c.variant == source.variant
        assert c.assessor == INSPECTOR
        assert c.status is CaseStatus.NOT_STARTED
    assert {c.reference: c.variant for c in cases}["X100005"] == "adjusted"
    assert {c.reference: c.variant for c in cases}["X100001"] == "core"

    device = ab.ws.device()
    assert (device.assessor, device.role) == (INSPECTOR, "inspector")
    assert [a.name for a in ab.fw.team(team.inspection_id)] == [INSPECTOR, LOCAL]
    with ab.ws.store.unit_of_work(read_only=True) as uow:
        assert [e.action for e in uow.audit.entries(team.inspection_id)] == ["open_setup_pack"]

    ef = team.laptop("ef")
    ef.fw.open_setup_pack(team.pack, PASSPHRASE, LOCAL)
    assert {c.reference for c in ef.ws.cases(team.inspection_id)} == {"X100002", "X100004"}
    assert (ef.ws.device().assessor, ef.ws.device().role) == (LOCAL, "local_assessor")


def test_wrong_passphrase_stores_nothing(team: Team) -> None:
    ab = team.laptop("ab")
    before = snapshot(ab)
    with pytest.raises(InputError, match="passphrase does not open") as err:
        ab.fw.open_setup_pack(team.pack, "not the passphrase at all", INSPECTOR)
    assert not isinstance(err.value, PackageError)
    assert snapshot(ab) == before
    assert ab.ws.inspections() == []


def test_assessor_not_on_the_team_is_told_who_is(team: Team) -> None:
    zz = team.laptop("zz")
    before = snapshot(zz)
    with pytest.raises(InputError, match="not on this inspection's team") as err:
        zz.fw.open_setup_pack(team.pack, PASSPHRASE, "Zed Zulu")
    assert f"{INSPECTOR}, {LOCAL}" in str(err.value)
    assert snapshot(zz) == before


def test_opening_the_same_pack_twice_changes_nothing(team: Team) -> None:
    ab = opened_assessor(team)
    before = snapshot(ab)
    again = ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR)
    assert again.already_opened
    assert (again.added, again.updated) == (0, 0)
    assert again.inspection.id == team.inspection_id
    assert snapshot(ab) == before


@pytest.mark.parametrize(
    "copy_name",
    [
        "{stem} (conflicted copy 2026-11-20).pdpkg",
        "{stem}.sync-conflict-20261120-101010-ABCDEF.pdpkg",
        "{stem} (1).pdpkg",
    ],
)
def test_a_sync_tool_copy_is_recognised(team: Team, copy_name: str) -> None:
    copy = team.shared / copy_name.format(stem=team.pack.stem)
    shutil.copy(team.pack, copy)
    ab = opened_assessor(team)
    before = snapshot(ab)
    listed = ab.fw.incoming(team.shared)
    # One entry per pack: the sync tool's copy is not listed a second time.
    assert [p.path.name for p in listed] == [team.pack.name]
    assert {p.package_id for p in listed} == {json.loads(manifest_text(team.pack))["package_id"]}
    assert all(p.opened and p.kind == "setup" and p.problem is None for p in listed)

    result = ab.fw.open_setup_pack(copy, PASSPHRASE, INSPECTOR)
    assert result.already_opened
    assert snapshot(ab) == before
    assert len(ab.ws.cases(team.inspection_id)) == 3


def test_a_copy_opened_first_makes_the_original_a_repeat(team: Team) -> None:
    copy = team.shared / f"{team.pack.stem} (conflicted copy 2026-11-20).pdpkg"
    shutil.copy(team.pack, copy)
    ab = team.laptop("ab")
    assert not ab.fw.open_setup_pack(copy, PASSPHRASE, INSPECTOR).already_opened
    before = snapshot(ab)
    assert ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR).already_opened
    assert snapshot(ab) == before


def _revision_2(team: Team) -> Path:
    """The lead adds a case for the inspector and changes a fact (and so the variant) of one."""
    lead, iid = team.lead, team.inspection_id
    lead.fw.add_sample_case(iid, "X100006", FACTS, PDUS[1], INSPECTOR)
    x1 = next(c for c in lead.ws.cases(iid) if c.reference == "X100001")
    lead.ws.update_facts(x1.id, {**x1.facts, "contact_suspended": "yes", "tier": "C3"})
    return lead.fw.create_setup_pack(iid, PASSPHRASE, team.shared, LEAD)


def test_an_updated_pack_adds_and_updates_cases_and_never_touches_answers(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    by_ref = {c.reference: c for c in ab.ws.cases(iid)}
    x1, x3 = by_ref["X100001"], by_ref["X100003"]
    answered = answer_some(ab.ws, x1.id, 4) + answer_some(ab.ws, x3.id, 2)
    assert len(answered) == 6
    answers_before = all_answers(ab.ws, iid)
    state_before = ab.ws.case_state(x1.id)
    assert ab.ws.case(x1.id).status is CaseStatus.IN_PROGRESS

    pack2 = _revision_2(team)
    assert pack2 != team.pack
    assert json.loads(manifest_text(pack2))["extra"]["revision"] == 2
    result = ab.fw.open_setup_pack(pack2, PASSPHRASE, INSPECTOR)
    assert not result.already_opened
    assert (result.added, result.updated) == (1, 3)
    assert result.inspection.setup_revision == 2

    after = {c.reference: c for c in ab.ws.cases(iid)}
    assert set(after) == {*MINE, "X100006"}
    assert after["X100006"].pdu == PDUS[1]
    assert after["X100006"].status is CaseStatus.NOT_STARTED
    assert after["X100001"].facts["contact_suspended"] == "yes"
    assert after["X100001"].facts["tier"] == "C3"
    assert after["X100001"].variant == "adjusted"
    assert after["X100001"].status is CaseStatus.IN_PROGRESS  # status is the assessor's
    assert after["X100003"].facts == x3.facts

    assert all_answers(ab.ws, iid) == answers_before
    state_after = ab.ws.case_state(x1.id)
    # The core answers are kept (shown as answers of another variant), not lost.
    assert dict(state_after.other_variant_answers) == state_before.answers
    # Opening either revision again changes nothing.
    snap = snapshot(ab)
    assert ab.fw.open_setup_pack(pack2, PASSPHRASE, INSPECTOR).already_opened
    assert ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR).already_opened
    assert snapshot(ab) == snap


def test_an_older_revision_after_a_newer_one_is_refused(team: Team) -> None:
    pack2 = _revision_2(team)
    ab = team.laptop("ab")
    result = ab.fw.open_setup_pack(pack2, PASSPHRASE, INSPECTOR)
    assert result.added == 4
    before = snapshot(ab)
    with pytest.raises(InputError, match="revision 1 of the setup, but revision 2") as err:
        ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR)
    assert "nothing was changed" in str(err.value)
    assert snapshot(ab) == before
    facts = {c.reference: c.facts for c in ab.ws.cases(team.inspection_id)}
    assert facts["X100001"]["contact_suspended"] == "yes"


def test_a_pack_signed_by_another_lead_key_is_refused(team: Team, tmp_path: Path) -> None:
    ab = opened_assessor(team)
    answer_some(ab.ws, ab.ws.cases(team.inspection_id)[0].id, 2)
    second = clone_device(team.lead, tmp_path / "lead-2")
    try:
        assert second.device_id == team.lead.device_id
        assert second.fw.keys.signing_public != team.lead.fw.keys.signing_public
        second.fw.add_sample_case(team.inspection_id, "X100007", FACTS, PDUS[0], INSPECTOR)
        rogue = second.fw.create_setup_pack(
            team.inspection_id, PASSPHRASE, tmp_path / "rogue", LEAD
        )
    finally:
        second.ws.close()
    assert json.loads(manifest_text(rogue))["extra"]["revision"] == 2
    before = snapshot(ab)
    with pytest.raises(PackageError) as err:
        ab.fw.open_setup_pack(rogue, PASSPHRASE, INSPECTOR)
    assert err.value.reason == "signer_mismatch"
    assert snapshot(ab) == before
    assert ab.ws.inspection(team.inspection_id).setup_revision == 1


# -- export ---------------------------------------------------------------------------------------


def _meeting(ws: Workspace, iid: str) -> None:
    qs = ws.question_set(ws.inspection(iid))
    group = qs.participant_groups[0].id
    question = qs.non_case_questions[0].id
    meeting = ws.save_meeting(
        iid,
        MeetingKind.FOCUS_GROUP,
        date(2026, 11, 3),
        f"Practitioners in {PDUS[0]}",
        [GroupAttendance(group, 4)],
        [question],
    )
    ws.record_meeting_note(meeting.id, question, "Vetting delays slow system access.")


def test_export_goes_to_the_outbox_and_the_shared_folder(team: Team, tmp_path: Path) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    recovery_pem = tmp_path / "recovery" / "recovery.pem"
    recovery_pem.parent.mkdir()
    set_recovery_public(ab.paths, b64(generate_recovery_key(recovery_pem)))
    cases = ab.ws.cases(iid)
    n = len(answer_some(ab.ws, cases[0].id, 5)) + len(answer_some(ab.ws, cases[1].id, 3))
    _meeting(ab.ws, iid)
    assert ab.ws.unexported_count() > 0

    result = ab.fw.export(iid, team.shared)
    assert result.copy_problem is None
    assert result.shared_path is not None
    assert result.outbox_path.parent == ab.paths.outbox
    assert result.shared_path.parent == team.shared
    assert result.shared_path.read_bytes() == result.outbox_path.read_bytes()
    assert result.shared_path.name == f"pd-events-{result.package_id}.pdpkg"
    assert result.counts == {
        "cases": 3, "answers": n, "meetings": 1, "meeting_notes": 1, "case_changes": 2
    }  # fmt: skip
    assert ab.ws.unexported_count() == 0
    [outbox] = ab.fw.outbox(iid)
    assert outbox.package_id == result.package_id
    assert outbox.copied_at is not None and outbox.receipt_at is None
    assert outbox.sha256 == sha256(result.shared_path)

    assert_no_personal_data(result.shared_path, ("Vetting", "evidence for"))
    manifest = json.loads(manifest_text(result.shared_path))
    assert manifest["counts"] == result.counts
    assert manifest["device_id"] == ab.device_id
    assert sorted(r["role"] for r in manifest["recipients"]) == ["recovery", "team_lead"]

    as_lead = read_as_lead(team, result.shared_path)
    p = as_lead.payload
    assert len(p["answers"]) == n and len(p["cases"]) == 3
    assert len(p["meetings"]) == 1 and len(p["meeting_notes"]) == 1
    assert {c["reference"] for c in p["cases"]} == set(MINE)
    assert p["device"] == {"name": INSPECTOR, "role": "inspector"}
    by_recovery = reader.read_package(
        result.shared_path, private_keys=[load_private_x25519(recovery_pem)]
    )
    assert by_recovery.payload == p
    with pytest.raises(PackageError) as err:
        reader.read_package(result.shared_path, private_keys=[DeviceKeys.generate().encryption_key])
    assert err.value.reason == "not_a_recipient"
    with pytest.raises(PackageError) as err:  # not even the assessor's own key
        reader.read_package(result.shared_path, private_keys=[ab.fw.keys.encryption_key])
    assert err.value.reason == "not_a_recipient"


def test_exports_are_cumulative(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    cases = ab.ws.cases(iid)
    answer_some(ab.ws, cases[0].id, 4)
    first = ab.fw.export(iid, team.shared)
    assert ab.ws.unexported_count() == 0
    new = answer_some(ab.ws, cases[1].id, 3)
    assert ab.ws.unexported_count() > 0
    second = ab.fw.export(iid, team.shared)
    assert ab.ws.unexported_count() == 0
    assert first.package_id != second.package_id
    assert first.shared_path is not None and second.shared_path is not None

    p1 = read_as_lead(team, first.shared_path).payload
    p2 = read_as_lead(team, second.shared_path).payload
    ids1 = {a["id"] for a in p1["answers"]}
    ids2 = {a["id"] for a in p2["answers"]}
    assert len(ids1) == 4
    assert ids1 < ids2
    assert {a["question_id"] for a in p2["answers"] if a["id"] not in ids1} == set(new)
    assert len(ids2) == 7 == second.counts["answers"]
    assert p2["seq_to"] > p1["seq_to"]
    assert {p.package_id for p in ab.fw.outbox(iid)} == {first.package_id, second.package_id}
    assert sorted(reader.scan_folder(team.shared)) == sorted(
        [team.pack, first.shared_path, second.shared_path]
    )


def test_export_without_a_team_lead_key_is_refused(tmp_path: Path, laptop: Any) -> None:
    solo = laptop("solo")
    shared = tmp_path / "shared"
    shared.mkdir()
    inspection = solo.ws.create_inspection(
        REGION, PDUS[0], date(2026, 11, 2), date(2026, 11, 6), DIPP
    )
    case = solo.ws.add_case(inspection.id, "X100001", FACTS)
    answer_some(solo.ws, case.id, 2)
    pending = solo.ws.unexported_count()
    with pytest.raises(InputError, match="no team lead key") as err:
        solo.fw.export(inspection.id, shared)
    assert "setup pack" in str(err.value)
    assert list(shared.iterdir()) == []
    assert list(solo.paths.outbox.iterdir()) == []
    assert solo.fw.outbox() == []
    assert solo.ws.unexported_count() == pending


def test_a_laptop_that_recorded_nothing_yet_can_still_write_packages(
    tmp_path: Path, laptop: Any
) -> None:
    """No clock reading yet (no case, no answer): the package still gets a valid clock."""
    shared = tmp_path / "shared"
    lead = laptop("lead")
    inspection = lead.ws.create_inspection(
        REGION, PDUS[0], date(2026, 11, 2), date(2026, 11, 6), DIPP
    )
    lead.fw.set_team(inspection.id, [Assessor(INSPECTOR, "inspector")])
    assert lead.ws.device().last_hlc == ""
    pack = lead.fw.create_setup_pack(inspection.id, PASSPHRASE, shared, LEAD)
    ab = laptop("ab")
    opened = ab.fw.open_setup_pack(pack, PASSPHRASE, INSPECTOR)
    assert (opened.added, ab.ws.cases(inspection.id)) == (0, [])
    assert ab.ws.device().last_hlc == ""
    exported = ab.fw.export(inspection.id, shared)
    assert exported.shared_path is not None and exported.counts["cases"] == 0
    assert json.loads(manifest_text(exported.shared_path))["hlc"].endswith(ab.device_id)


# -- interrupted and unreachable copies --------------------------------------------------------


@pytest.mark.logs_warnings
def test_an_interrupted_copy_is_kept_in_the_outbox_and_copied_later(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    answer_some(ab.ws, ab.ws.cases(iid)[0].id, 3)
    real_replace = os.replace
    calls: list[Path] = []

    def failing_replace(src: Any, dst: Any) -> None:
        if Path(dst).parent == team.shared:
            calls.append(Path(dst))
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)  # what writer.write_atomically calls
    result = ab.fw.export(iid, team.shared)
    monkeypatch.undo()

    assert len(calls) == 1
    assert result.copy_problem
    assert result.shared_path is None
    final = team.shared / result.outbox_path.name
    assert calls == [final]
    assert not final.exists()
    assert reader.scan_folder(team.shared) == [team.pack]
    assert result.outbox_path.exists()
    [pending] = ab.fw.outbox(iid)
    assert pending.copied_at is None and pending.shared_path is None
    assert ab.ws.unexported_count() == 0  # the work is in a package, safe in the outbox

    copied = ab.fw.copy_pending(team.shared)
    assert copied == [final]
    assert sha256(final) == sha256(result.outbox_path) == pending.sha256
    [done] = ab.fw.outbox(iid)
    assert done.copied_at is not None and done.shared_path == str(final)
    assert read_as_lead(team, final).package_id == result.package_id

    listing = sorted((p.name, p.stat().st_mtime_ns) for p in team.shared.iterdir())
    assert ab.fw.copy_pending(team.shared) == []
    assert sorted((p.name, p.stat().st_mtime_ns) for p in team.shared.iterdir()) == listing


@pytest.mark.logs_warnings
def test_an_unreachable_shared_folder_leaves_the_package_in_the_outbox(
    team: Team, tmp_path: Path
) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    answer_some(ab.ws, ab.ws.cases(iid)[0].id, 2)
    missing = tmp_path / "no-such-drive" / "shared"
    result = ab.fw.export(iid, missing)
    assert result.shared_path is None
    assert result.copy_problem is not None and "outbox" in result.copy_problem
    assert str(missing) in result.copy_problem
    assert result.outbox_path.exists()
    assert not missing.exists()
    assert ab.fw.outbox(iid)[0].copied_at is None
    # Once the folder is back, the same bytes are copied.
    assert ab.fw.copy_pending(team.shared) == [team.shared / result.outbox_path.name]
    assert sha256(team.shared / result.outbox_path.name) == sha256(result.outbox_path)


# -- receipts -------------------------------------------------------------------------------------


def test_a_receipt_from_the_lead_clears_the_outbox(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    answer_some(ab.ws, ab.ws.cases(iid)[0].id, 2)
    exported = ab.fw.export(iid, team.shared)
    assert exported.shared_path is not None
    assert ab.fw.check_receipts(team.shared) == 0  # no receipts folder yet

    opened = read_as_lead(team, exported.shared_path)
    remember(team, opened)
    receipt = team.lead.fw.write_receipt(
        team.shared, opened, unb64(opened.manifest["signer"]["encryption_public"], size=32)
    )
    assert receipt.parent == team.shared / "receipts"
    assert_no_personal_data(receipt)
    # Receipts live one level down, and the assessor's incoming list is not confused by them.
    assert all(p.kind == "setup" for p in ab.fw.incoming(team.shared))

    assert ab.fw.check_receipts(team.shared) == 1
    assert not exported.outbox_path.exists()
    [entry] = ab.fw.outbox(iid)
    assert entry.receipt_at is not None
    assert exported.shared_path.exists()  # the shared copy is the lead's to tidy
    assert ab.fw.check_receipts(team.shared) == 0
    assert ab.fw.copy_pending(team.shared) == []


def test_a_receipt_for_the_newest_package_confirms_older_ones(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    cases = ab.ws.cases(iid)
    answer_some(ab.ws, cases[0].id, 2)
    first = ab.fw.export(iid, team.shared)
    answer_some(ab.ws, cases[1].id, 2)
    second = ab.fw.export(iid, team.shared)
    assert second.shared_path is not None
    opened = read_as_lead(team, second.shared_path)
    remember(team, opened)
    team.lead.fw.write_receipt(team.shared, opened, ab.fw.keys.encryption_public)
    assert ab.fw.check_receipts(team.shared) == 2
    assert not first.outbox_path.exists() and not second.outbox_path.exists()


def test_a_receipt_signed_by_another_key_is_ignored(team: Team, tmp_path: Path) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    answer_some(ab.ws, ab.ws.cases(iid)[0].id, 2)
    exported = ab.fw.export(iid, team.shared)
    assert exported.shared_path is not None
    opened = read_as_lead(team, exported.shared_path)

    # The same device id as the lead, a different key; and a stranger's device.
    for impostor in (clone_device(team.lead, tmp_path / "lead-2"), _open(tmp_path / "other")):
        try:
            impostor.fw.write_receipt(team.shared, opened, ab.fw.keys.encryption_public)
        finally:
            impostor.ws.close()
        assert ab.fw.check_receipts(team.shared) == 0
        assert exported.outbox_path.exists()
        assert ab.fw.outbox(iid)[0].receipt_at is None
        for f in (team.shared / "receipts").iterdir():
            f.unlink()


# -- send-back packs ------------------------------------------------------------------------------


def _lead_knows(team: Team, lt: Laptop) -> None:
    exported = lt.fw.export(team.inspection_id, team.shared)
    assert exported.shared_path is not None
    remember(team, read_as_lead(team, exported.shared_path))


def test_a_sendback_brings_comments_and_returns_a_case(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    case = ab.ws.cases(iid)[0]
    answer_some(ab.ws, case.id, 3)
    _lead_knows(team, ab)
    text = f"Please add the police call-out history for {case.reference}."
    pack = team.lead.fw.create_sendback(
        iid, ab.device_id,
        [SendbackComment(case.id, text), SendbackComment(None, "Good work overall.")],
        [case.id], team.shared, LEAD,
    )  # fmt: skip
    assert pack.name.startswith("pd-sendback-")
    assert_no_personal_data(pack, ("police", "Good work"))

    [waiting] = [p for p in ab.fw.incoming(team.shared) if p.kind == "sendback"]
    assert waiting.path == pack and not waiting.opened and waiting.problem is None
    assert waiting.signer_fingerprint == team.lead.fw.fingerprints()["signing"]
    assert waiting.inspection_id == iid

    answers = all_answers(ab.ws, iid)
    result = ab.fw.open_sendback(pack)
    assert (result.inspection_id, result.comments, result.returned) == (iid, 2, 1)
    assert not result.already_opened
    assert [c.text for c in ab.fw.comments(iid, case.id)] == [text]
    assert sorted(c.text for c in ab.fw.comments(iid)) == sorted([text, "Good work overall."])
    assert all(c.author == LEAD for c in ab.fw.comments(iid))
    assert ab.ws.case(case.id).status is CaseStatus.RETURNED
    assert all_answers(ab.ws, iid) == answers
    with ab.ws.store.unit_of_work(read_only=True) as uow:
        audit = uow.audit.entries(case.id)
        assert uow.audit.verify() == []
    assert [(e.action, e.detail) for e in audit] == [("returned", "by team lead")]
    assert [p.opened for p in ab.fw.incoming(team.shared) if p.kind == "sendback"] == [True]

    before = snapshot(ab)
    again = ab.fw.open_sendback(pack)
    assert again.already_opened and (again.comments, again.returned) == (0, 0)
    assert snapshot(ab) == before
    assert len(ab.fw.comments(iid)) == 2
    # A sync tool's copy is the same pack.
    copy = team.shared / f"{pack.stem} (conflicted copy 2026-11-21).pdpkg"
    shutil.copy(pack, copy)
    assert ab.fw.open_sendback(copy).already_opened
    assert snapshot(ab) == before


def test_a_comment_on_one_question_arrives_with_its_question(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    case = ab.ws.cases(iid)[0]
    answer_some(ab.ws, case.id, 3)
    _lead_knows(team, ab)
    question = ab.ws.question_set(ab.ws.inspection(iid)).questions[0].id
    pack = team.lead.fw.create_sendback(
        iid, ab.device_id,
        [SendbackComment(case.id, "Is the RoSH level right?", question),
         SendbackComment(case.id, "Check the dates throughout.")],
        [case.id], team.shared, LEAD,
    )  # fmt: skip
    assert_no_personal_data(pack, ("RoSH",))
    result = ab.fw.open_sendback(pack)
    assert (result.comments, result.returned) == (2, 1)
    got = {c.text: c.question_id for c in ab.fw.comments(iid, case.id)}
    assert got == {"Is the RoSH level right?": question, "Check the dates throughout.": None}
    assert {r.id: r.to_do for r in ab.ws.case_rows(iid)}[case.id] == 2


def _crafted_sendback(team: Team, lt: Laptop, comments: list[dict[str, object]]) -> Path:
    """A send-back pack signed by the lead with the given comments, written by hand."""
    _, data = writer.build_package(
        kind="sendback",
        payload={
            "device_id": team.lead.device_id,
            "inspection_id": team.inspection_id,
            "to_device": lt.device_id,
            "author": LEAD,
            "comments": comments,
            "returned": [],
        },
        inspection_id=team.inspection_id,
        device_id=team.lead.device_id,
        hlc=team.lead.ws.device().last_hlc,
        counts={"comments": len(comments)},
        extra={"for_device": lt.device_id},
        signer=team.lead.fw.keys,
        recipients=[Recipient("assessor", "assessor", lt.fw.keys.encryption_public)],
    )
    return writer.write_atomically(data, team.shared, "pd-sendback-crafted.pdpkg")


def test_a_sendback_written_before_question_comments_still_opens(team: Team) -> None:
    ab = opened_assessor(team)
    case = ab.ws.cases(team.inspection_id)[0]
    old = {"id": "c-old", "case_id": case.id, "text": "Check the tier.",
           "created_at": "2026-11-20T10:00:00"}  # fmt: skip
    assert ab.fw.open_sendback(_crafted_sendback(team, ab, [old])).comments == 1
    [comment] = ab.fw.comments(team.inspection_id, case.id)
    assert (comment.text, comment.question_id) == ("Check the tier.", None)


def test_a_comment_on_a_question_not_in_the_set_is_refused(team: Team) -> None:
    ab = opened_assessor(team)
    iid = team.inspection_id
    case = ab.ws.cases(iid)[0]
    answer_some(ab.ws, case.id, 2)
    _lead_knows(team, ab)
    pack = team.lead.fw.create_sendback(
        iid, ab.device_id,
        [SendbackComment(case.id, "Fine."), SendbackComment(case.id, "Really?", "Z9.9")],
        [case.id], team.shared, LEAD,
    )  # fmt: skip
    before = snapshot(ab)
    with pytest.raises(InputError, match=rf"{pack.name}: .*'Z9\.9'.*nothing was changed"):
        ab.fw.open_sendback(pack)
    assert snapshot(ab) == before
    assert ab.fw.comments(iid) == []
    assert ab.ws.case(case.id).status is not CaseStatus.RETURNED
    assert [p.opened for p in ab.fw.incoming(team.shared) if p.kind == "sendback"] == [False]
    # The schema refuses an empty or overlong question id before anything is looked at.
    for bad in ("", "Q" * 65, 7):
        forged = {"id": "c-bad", "case_id": case.id, "text": "x",
                  "created_at": "2026-11-20T10:00:00", "question_id": bad}  # fmt: skip
        with pytest.raises(ProbdeskError):
            ab.fw.open_sendback(_crafted_sendback(team, ab, [forged]))
    assert snapshot(ab) == before


def test_a_sendback_for_another_laptop_is_refused(team: Team) -> None:
    iid = team.inspection_id
    ab = opened_assessor(team)
    ef = opened_assessor(team, LOCAL, "ef")
    _lead_knows(team, ab)
    _lead_knows(team, ef)
    ef_case = ef.ws.cases(iid)[0]
    pack = team.lead.fw.create_sendback(
        iid, ef.device_id, [SendbackComment(ef_case.id, "Check the tier.")], [], team.shared, LEAD
    )
    assert [p.path for p in ab.fw.incoming(team.shared) if p.kind == "sendback"] == []
    before = snapshot(ab)
    with pytest.raises(InputError):
        ab.fw.open_sendback(pack)
    assert snapshot(ab) == before
    assert ab.fw.comments(iid) == []

    # Even one the assessor's key can open, if it names another laptop.
    _, data = writer.build_package(
        kind="sendback",
        payload={
            "device_id": team.lead.device_id,
            "inspection_id": iid,
            "to_device": ef.device_id,
            "author": LEAD,
            "comments": [
                {"id": "c1", "case_id": None, "text": "for EF", "created_at": "2026-11-20T10:00:00"}
            ],
            "returned": [],
        },
        inspection_id=iid,
        device_id=team.lead.device_id,
        hlc=team.lead.ws.device().last_hlc,
        counts={},
        extra={"for_device": ab.device_id},
        signer=team.lead.fw.keys,
        recipients=[Recipient("assessor", "assessor", ab.fw.keys.encryption_public)],
    )
    crafted = writer.write_atomically(data, team.shared, "pd-sendback-crafted.pdpkg")
    reader.read_package(  # well formed: only the address is wrong
        crafted, private_keys=[ab.fw.keys.encryption_key], payload_schema=SENDBACK_SCHEMA
    )
    with pytest.raises(InputError, match="addressed to another"):
        ab.fw.open_sendback(crafted)
    assert snapshot(ab) == before
    # EF opens its own.
    assert ef.fw.open_sendback(pack).comments == 1


def test_a_sendback_for_an_inspection_not_open_here_is_refused(team: Team) -> None:
    ab = opened_assessor(team)
    _lead_knows(team, ab)
    case = ab.ws.cases(team.inspection_id)[0]
    pack = team.lead.fw.create_sendback(
        team.inspection_id,
        ab.device_id,
        [SendbackComment(case.id, "x")],
        [case.id],
        team.shared,
        LEAD,
    )
    fresh = team.laptop("fresh")
    with pytest.raises(InputError, match="not open here"):
        fresh.fw.open_sendback(pack)
    assert fresh.ws.inspections() == []
    # Another inspection open here is not enough either.
    fresh.ws.create_inspection(REGION, PDUS[0], date(2026, 11, 2), date(2026, 11, 6), DIPP)
    with pytest.raises(InputError, match="not open here"):
        fresh.fw.open_sendback(pack)


def test_a_sendback_to_an_unknown_device_cannot_be_written(team: Team) -> None:
    with pytest.raises(InputError, match="merge its export first"):
        team.lead.fw.create_sendback(
            team.inspection_id,
            "0b7e4c1e-unknown",
            [SendbackComment(None, "x")],
            [],
            team.shared,
            LEAD,
        )
    assert reader.scan_folder(team.shared) == [team.pack]


# -- bad packages in the shared folder ----------------------------------------------------------


def test_damaged_packs_are_reported_not_fatal(team: Team) -> None:
    ab = team.laptop("ab")
    data = team.pack.read_bytes()
    (team.shared / "pd-setup-half.pdpkg").write_bytes(data[: len(data) // 2])
    (team.shared / "pd-setup-junk.pdpkg").write_bytes(b"this is not a package")
    (team.shared / f".{team.pack.name}.0123.tmp").write_bytes(data[:100])  # still copying

    listed = {p.path.name: p for p in ab.fw.incoming(team.shared)}
    assert set(listed) == {team.pack.name, "pd-setup-half.pdpkg", "pd-setup-junk.pdpkg"}
    assert listed[team.pack.name].problem is None and listed[team.pack.name].kind == "setup"
    half, junk = listed["pd-setup-half.pdpkg"], listed["pd-setup-junk.pdpkg"]
    assert half.problem and "pd-setup-half.pdpkg" in half.problem and not half.opened
    assert junk.problem and "pd-setup-junk.pdpkg" in junk.problem

    with pytest.raises(PackageError) as err:
        ab.fw.open_setup_pack(half.path, PASSPHRASE, INSPECTOR)
    assert err.value.reason == "truncated"
    assert ab.ws.inspections() == []
    # The good pack still opens.
    assert ab.fw.open_setup_pack(team.pack, PASSPHRASE, INSPECTOR).added == 3


# -- two inspections on one laptop (#15, item 4) ----------------------------------------------


def _second_inspection(team: Team) -> tuple[str, Path]:
    """The lead's second inspection for the same assessor: its own setup pack."""
    lead = team.lead
    second = lead.ws.create_inspection(
        REGION, PDUS[1], date(2026, 12, 7), date(2026, 12, 11), DIPP, pdus=PDUS
    )
    lead.fw.set_team(second.id, [Assessor(INSPECTOR, "inspector")])
    lead.fw.add_sample_case(second.id, "X200001", FACTS, PDUS[1], INSPECTOR)
    out = team.shared / "second"
    out.mkdir()
    return second.id, lead.fw.create_setup_pack(second.id, PASSPHRASE, out, LEAD)


def test_exporting_one_inspection_never_covers_another_inspections_later_work(
    team: Team,
) -> None:
    ab = opened_assessor(team)
    first = team.inspection_id
    second, pack = _second_inspection(team)
    ab.fw.open_setup_pack(pack, PASSPHRASE, INSPECTOR)
    case_1 = ab.ws.cases(first)[0]
    answer_some(ab.ws, case_1.id, 2)
    ab.fw.export(first, team.shared)
    assert ab.fw.inspections_to_export() == []
    # Work in the first inspection, then an export of the second (the one on screen).
    answer_some(ab.ws, case_1.id, 1)
    answer_some(ab.ws, ab.ws.cases(second)[0].id, 1)
    ab.fw.export(second, team.shared)
    assert [i.id for i in ab.fw.inspections_to_export()] == [first]
    assert ab.ws.unexported_count() > 0  # the status bar must not say "all exported"
    assert ab.ws.export_state().unexported > 0
    # Export everything: the first inspection gets its package; nothing is left behind.
    done = ab.fw.export_all(team.shared)
    assert [i.id for i, _ in done] == [first]
    assert ab.fw.inspections_to_export() == []
    assert ab.ws.unexported_count() == 0
    opened = read_as_lead(team, done[0][1].shared_path)  # type: ignore[arg-type]  # copied
    assert len(opened.payload["answers"]) == 3


def test_export_all_puts_the_one_on_screen_first_and_says_each(team: Team) -> None:
    ab = opened_assessor(team)
    first = team.inspection_id
    second, pack = _second_inspection(team)
    ab.fw.open_setup_pack(pack, PASSPHRASE, INSPECTOR)
    answer_some(ab.ws, ab.ws.cases(first)[0].id, 1)
    answer_some(ab.ws, ab.ws.cases(second)[0].id, 1)
    steps: list[str] = []
    done = ab.fw.export_all(team.shared, second, lambda d, t, text: steps.append(text))
    assert [i.id for i, _ in done] == [second, first]
    assert all(r.shared_path is not None for _, r in done)
    assert any(text.startswith(ab.ws.inspection(first).title) for text in steps)
    # Nothing new: export_all with the one on screen still writes its package (on request).
    again = ab.fw.export_all(team.shared, first)
    assert [i.id for i, _ in again] == [first]
    assert ab.fw.export_all(team.shared) == []
