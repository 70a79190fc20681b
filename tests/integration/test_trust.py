"""Figures you can trust: enrolled keys, authority per member, a merge nothing can poison.

Each test plays the other side: an outsider who can write to the shared folder, an assessor
with a genuine key writing into a colleague's cases, a package built to break the hub. After
each, the hub's figures are what the genuine packages alone give.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rawdb
from scenes import AB, CD, PASSPHRASE, Laptop, Team, build_team

from probdesk import cli
from probdesk.errors import InputError
from probdesk.packages import enrolment, reader, writer
from probdesk.packages.keys import DeviceKeys, Recipient, fingerprint
from probdesk.packages.wire import EVENTS_SCHEMA
from probdesk.services import hub as hubs
from probdesk.services.workspace import CaseNotEditable


def states(outcomes: list[hubs.MergeOutcome]) -> dict[str, str]:
    return {o.file: o.state for o in outcomes}


def forge(
    team: Team,
    source: Path,
    *,
    signer: DeviceKeys,
    change: Callable[[dict[str, Any]], None] = lambda p: None,
    device_id: str | None = None,
    name: str | None = None,
) -> Path:
    """A package built from a genuine one's payload, signed by `signer`, encrypted to the lead
    (whose public key anyone can read in a setup pack's manifest)."""
    opened = reader.read_package(
        source, private_keys=[team.lead.fw.keys.encryption_key], expected_kind="events",
        payload_schema=EVENTS_SCHEMA,
    )  # fmt: skip
    payload = copy.deepcopy(opened.payload)
    if device_id is not None:
        payload["device_id"] = device_id
        for e in payload["answers"]:
            e["device_id"] = device_id
    change(payload)
    m = opened.manifest
    package_id, data = writer.build_package(
        kind="events", payload=payload, inspection_id=payload["inspection_id"],
        device_id=device_id or m["device_id"], hlc=m["hlc"], counts=m["counts"],
        extra=m["extra"], signer=signer,
        recipients=[Recipient("lead", "team_lead", team.lead.fw.keys.encryption_public)],
    )  # fmt: skip
    out = team.shared / (name or writer.package_file_name("events", package_id))
    out.write_bytes(data)
    return out


# -- enrolment -----------------------------------------------------------------------------------


def test_codes_are_per_member_checked_as_typed_and_kept_only_as_a_proof(team: Team) -> None:
    codes = team.codes
    assert set(codes) == {AB, CD} and codes[AB] != codes[CD]
    assert all(len(c) == 14 and c.count("-") == 2 for c in codes.values())
    assert team.lead.fw.enrolment_codes(team.inspection_id) == codes  # stable
    # typed sloppily (lower case, spaces, O for 0) it is the same code
    sloppy = codes[AB].replace("-", " ").lower().replace("0", "o")
    assert enrolment.normalise_code(sloppy) == enrolment.normalise_code(codes[AB])
    # one character wrong is caught on the laptop, before anything changes
    wrong = codes[AB][:-1] + ("0" if codes[AB][-1] != "0" else "1")
    with pytest.raises(ValueError, match="typing mistake"):
        enrolment.normalise_code(wrong)
    fresh = Laptop.open(team.root / "fresh")
    try:
        with pytest.raises(InputError, match="typing mistake"):
            fresh.fw.open_setup_pack(team.pack, PASSPHRASE, AB, wrong)
        assert fresh.ws.inspections() == []  # nothing was opened
    finally:
        fresh.ws.close()
    # the laptop keeps a proof, never the code; the file is the owner's only
    proof_file = team.laptops[AB].paths.data / "keys" / "enrolment.json"
    text = proof_file.read_text()
    assert enrolment.normalise_code(codes[AB]) not in text and codes[AB] not in text
    assert json.loads(text)[team.inspection_id]["member"] == AB
    assert proof_file.stat().st_mode & 0o077 == 0
    codes_file = team.lead.paths.data / "keys" / "enrolment-codes.json"
    assert codes_file.stat().st_mode & 0o077 == 0
    # the setup pack, which every assessor can open, does not carry the codes
    assert enrolment.normalise_code(codes[CD]) not in team.pack.read_bytes().decode("latin-1")


def test_enrolled_laptops_merge_and_the_merge_exits_0(team: Team, url: str) -> None:
    team.answer_all(AB)
    team.answer_all(CD, "no")
    ab, cd = team.export(AB), team.export(CD)
    got = states(team.merge(url))
    assert got == {ab.name: hubs.MERGED, cd.name: hubs.MERGED}
    hub = rawdb.hub(url)
    try:
        keys = hubs.enrolled_keys(hub)
    finally:
        hub.close()
    assert {(k.member, k.how, k.state) for k in keys} == {(AB, "code", "enrolled"),
                                                          (CD, "code", "enrolled")}  # fmt: skip
    code = cli.main(["--data-dir", str(team.lead.paths.data), "merge", str(team.shared),
                     "--hub", url])  # fmt: skip
    assert code == 0  # everything already merged


def test_a_new_key_is_held_and_changes_no_figure(
    team: Team, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    team.answer_all(AB)
    genuine = team.export(AB)
    assert states(team.merge(url)) == {genuine.name: hubs.MERGED}
    before = team.figures(url)
    outsider = DeviceKeys.generate()

    def invent_cases(p: dict[str, Any]) -> None:  # ten invented cases, every answer No
        p.pop("enrolment", None)
        base = p["cases"][0]
        for n in range(10):
            case_id = f"00000000-0000-0000-0000-{n:012d}"
            p["cases"].append({**base, "id": case_id, "reference": f"Z{n:06d}"})
            for e in list(p["answers"])[:5]:
                p["answers"].append({**e, "id": f"{case_id[:-4]}{len(p['answers']):04d}",
                                     "case_id": case_id, "value": "no"})  # fmt: skip

    forged = forge(team, genuine, signer=outsider, change=invent_cases,
                   device_id="99999999-9999-9999-9999-999999999999")  # fmt: skip
    outcomes = team.merge(url)
    held = next(o for o in outcomes if o.file == forged.name)
    assert held.state == hubs.HELD
    assert held.fingerprint == fingerprint(outsider.signing_public)
    assert held.claimed_member == AB  # what it says, listed for the lead, not believed
    assert hubs.needs_attention(outcomes)
    assert team.figures(url) == before
    hub = rawdb.hub(url)
    try:
        listed = hubs.held_packages(hub)
    finally:
        hub.close()
    assert [(h.fingerprint, h.claimed_member, h.packages) for h in listed] == [
        (held.fingerprint, AB, 1)
    ]
    # the command line lists it and exits 3
    code = cli.main(["--data-dir", str(team.lead.paths.data), "merge", str(team.shared),
                     "--hub", url])  # fmt: skip
    out = capsys.readouterr()
    assert code == 3
    assert f"held            {forged.name}: key {held.fingerprint} is not enrolled" in out.out
    assert "1 held" in out.out and "probdesk enrolment enrol" in out.err
    # refused, it is rejected from then on and still changes nothing
    assert cli.main(["--data-dir", str(team.lead.paths.data), "enrolment", "refuse",
                     held.fingerprint, "--hub", url]) == 0  # fmt: skip
    again = {o.file: o for o in team.merge(url)}
    assert again[forged.name].state == hubs.REJECTED
    assert "refused_key" in again[forged.name].reason
    assert team.figures(url) == before


def test_a_forgery_that_copies_a_laptops_id_and_arrives_first_locks_nobody_out(
    team: Team, url: str
) -> None:
    team.answer_all(AB)
    genuine = team.export(AB)
    saved = genuine.read_bytes()
    genuine.unlink()  # the forgery reaches the shared folder first, alone
    ab_device = team.laptops[AB].ws.device().id
    outsider = DeviceKeys.generate()
    forged = forge(team, team.laptops[AB].paths.outbox / genuine.name, signer=outsider,
                   change=lambda p: p.pop("enrolment"), device_id=ab_device)  # fmt: skip
    assert states(team.merge(url)) == {forged.name: hubs.HELD}
    assert team.figures(url) == []  # nothing counted: the hub holds no case yet
    genuine.write_bytes(saved)
    got = states(team.merge(url))
    assert got[genuine.name] == hubs.MERGED and got[forged.name] == hubs.HELD
    # comments go back to the genuine laptop's key, never the forger's
    hub = rawdb.hub(url)
    try:
        keys = hubs.enrolled_keys(hub)
    finally:
        hub.close()
    assert [(k.member, k.device_id) for k in keys] == [(AB, ab_device)]
    assert keys[0].fingerprint == fingerprint(team.laptops[AB].fw.keys.signing_public)


def test_a_proof_copied_to_another_key_enrols_nothing(team: Team, url: str) -> None:
    team.answer_all(AB)
    genuine = team.export(AB)
    outsider = DeviceKeys.generate()  # keeps AB's proof (as if it could read it) and device id
    forged = forge(team, genuine, signer=outsider, name="pd-events-0-copied-proof.pdpkg")
    got = {o.file: o for o in team.merge(url)}
    assert got[forged.name].state == hubs.HELD
    assert "enrolment code does not match" in got[forged.name].reason
    assert got[genuine.name].state == hubs.MERGED


def test_a_code_enrols_only_its_own_member(team: Team, url: str) -> None:
    """CD types AB's code: the proof is for AB, so CD's laptop cannot enrol as CD; and a
    laptop that says it is CD's with AB's code is held."""
    cd = team.laptops[CD]
    cd.fw.enrol(team.inspection_id, CD, team.codes[AB])  # the wrong member's code
    team.answer_all(CD)
    package = team.export(CD)
    got = {o.file: o for o in team.merge(url)}
    assert got[package.name].state == hubs.HELD
    assert got[package.name].claimed_member == CD


def test_the_lead_enrols_a_held_key_by_its_fingerprint(tmp_path: Path, url: str) -> None:
    team = build_team(tmp_path / "team", enrol=False)
    try:
        team.answer_all(AB)
        package = team.export(AB)
        assert states(team.merge(url)) == {package.name: hubs.HELD}
        fp = team.laptops[AB].fw.fingerprints()["signing"]
        data = str(team.lead.paths.data)
        # --as is required: a usage error (main returns argparse's code, 2)
        assert cli.main(["--data-dir", data, "enrolment", "enrol", fp, "--hub", url]) == 2
        assert cli.main(["--data-dir", data, "enrolment", "enrol", fp, "--as", "XY",
                         "--hub", url]) == 2  # not on the team  # fmt: skip
        assert cli.main(["--data-dir", data, "enrolment", "enrol", fp, "--as", AB,
                         "--hub", url]) == 0  # fmt: skip
        assert states(team.merge(url)) == {package.name: hubs.MERGED}
        assert any(r[3] > 0 for r in team.figures(url))
        hub = rawdb.hub(url)
        try:
            assert hubs.held_packages(hub) == []
            assert [(k.member, k.how) for k in hubs.enrolled_keys(hub)] == [(AB, "lead")]
        finally:
            hub.close()
    finally:
        team.close()


def test_a_package_held_before_its_laptop_joined_merges_in_the_same_merge(
    tmp_path: Path, url: str
) -> None:
    """The laptop exported before its owner typed the code (held), then joined and exported
    again: one merge enrols the key from the second package and merges the first as well."""
    team = build_team(tmp_path / "team", enrol=False)
    try:
        team.answer_all(AB)
        early = team.export(AB).rename(team.shared / "pd-events-0-early.pdpkg")
        team.laptops[AB].fw.enrol(team.inspection_id, AB, team.codes[AB])
        late = team.export(AB)  # merged after the early one: the folder is read in name order
        outcomes = team.merge(url)
        assert states(outcomes) == {early.name: hubs.MERGED, late.name: hubs.MERGED}
        assert not hubs.needs_attention(outcomes)
        hub = rawdb.hub(url)
        try:
            assert hubs.held_packages(hub) == []
        finally:
            hub.close()
        assert any(r[3] > 0 for r in team.figures(url))
    finally:
        team.close()


def test_a_second_laptop_is_enrolled_with_the_same_code_and_keeps_everything(
    team: Team, url: str
) -> None:
    team.answer_all(AB)
    first = team.export(AB)
    second = Laptop.open(team.root / "ab-second")
    try:
        second.fw.open_setup_pack(team.pack, PASSPHRASE, AB, team.codes[AB])
        case = next(c for c in second.ws.cases(team.inspection_id) if c.reference == "A1")
        second.ws.record_answer(case.id, "2.1.1", "no", "seen on the second laptop")
        result = second.fw.export(team.inspection_id, team.shared)
        assert result.shared_path is not None
        got = states(team.merge(url))
        assert got == {first.name: hubs.MERGED, result.shared_path.name: hubs.MERGED}
        hub = rawdb.hub(url)
        try:
            members = sorted(k.member for k in hubs.enrolled_keys(hub))
        finally:
            hub.close()
        assert members == [AB, AB]
    finally:
        second.ws.close()


# -- authority -----------------------------------------------------------------------------------


def test_an_assessor_cannot_write_into_a_colleagues_cases(team: Team, url: str) -> None:
    team.answer_all(AB)
    team.answer_all(CD)
    ab, cd = team.export(AB), team.export(CD)
    assert states(team.merge(url)) == {ab.name: hubs.MERGED, cd.name: hubs.MERGED}
    before = team.figures(url)
    cd_case = team.case(CD, "C1")

    def into_cds_case(p: dict[str, Any]) -> None:
        for e in p["answers"]:
            e["case_id"] = cd_case
            e["value"] = "no"
            e["id"] = e["id"][:-3] + "fff"

    forged = forge(team, ab, signer=team.laptops[AB].fw.keys, change=into_cds_case,
                   name="pd-events-ab-into-cd.pdpkg")  # fmt: skip
    got = {o.file: o for o in team.merge(url)}
    assert got[forged.name].state == hubs.REJECTED
    assert "not_assigned: case C1 was not assigned to AB" in got[forged.name].reason
    assert team.figures(url) == before


def test_an_assessor_cannot_reply_in_a_colleagues_case(team: Team, url: str) -> None:
    """A reply is a change of the case: AB's package replying in CD's case is refused."""
    team.answer_all(AB)
    ab = team.export(AB)
    cd_case = team.case(CD, "C1")

    def reply_in_cds_case(p: dict[str, Any]) -> None:
        model = max(p["case_events"], key=lambda e: e["seq"])
        p["case_events"].append({**model, "id": "5e000000-0000-4000-8000-00000000000e",
                                 "case_id": cd_case, "field": "reply:" + "c" * 36,
                                 "value": {"text": "Done, CD", "done": True},
                                 "replaces": None})  # fmt: skip

    forged = forge(team, ab, signer=team.laptops[AB].fw.keys, change=reply_in_cds_case,
                   name="pd-events-ab-replies-for-cd.pdpkg")  # fmt: skip
    got = {o.file: o for o in team.merge(url)}
    assert got[forged.name].state == hubs.REJECTED
    assert "not_assigned: case C1 was not assigned to AB when the reply to a comment" in (
        got[forged.name].reason
    )


def case_change(field: str, value: object, **extra: object) -> Callable[[dict[str, Any]], None]:
    """A change: one more case event on the package's first case, like the laptop's own."""

    def change(p: dict[str, Any]) -> None:
        model = max(p["case_events"], key=lambda e: e["seq"])
        p["case_events"].append({**model, "id": "5e000000-0000-4000-8000-00000000000f",
                                 "case_id": p["cases"][0]["id"], "field": field,
                                 "value": value, "replaces": None, **extra})  # fmt: skip

    return change


def test_an_assessor_cannot_approve_or_write_as_another_device(team: Team, url: str) -> None:
    team.answer_all(AB)
    ab = team.export(AB)
    cd_device = team.laptops[CD].ws.device().id
    ab_keys = team.laptops[AB].fw.keys
    approve = case_change("status", "approved")

    def as_cd(p: dict[str, Any]) -> None:
        for e in p["answers"]:
            e["device_id"] = cd_device

    def row_says_approved(p: dict[str, Any]) -> None:
        for c in p["cases"]:
            c["status"] = "approved"

    approved = forge(team, ab, signer=ab_keys, change=approve, name="pd-events-x-approve.pdpkg")
    other = forge(team, ab, signer=ab_keys, change=as_cd, name="pd-events-x-as-cd.pdpkg")
    assign = forge(team, ab, signer=ab_keys, change=case_change("assessor", AB),
                   name="pd-events-x-assign.pdpkg")  # fmt: skip
    settle = forge(team, ab, signer=ab_keys,
                   change=case_change("status", "submitted", settles=["x" * 36]),
                   name="pd-events-x-settle.pdpkg")  # fmt: skip
    got = {o.file: o for o in team.merge(url)}
    assert got[approved.name].state == hubs.REJECTED
    assert "status_not_allowed" in got[approved.name].reason
    assert got[other.name].state == hubs.REJECTED
    assert "device_mismatch" in got[other.name].reason
    assert "assignment_not_allowed" in got[assign.name].reason
    assert "settle_not_allowed" in got[settle.name].reason
    assert got[ab.name].state == hubs.MERGED
    # a case row that says "approved" is only a name: the state is the fold of events
    rows = forge(team, ab, signer=ab_keys, change=row_says_approved,
                 name="pd-events-x-row-approved.pdpkg")  # fmt: skip
    assert states(team.merge(url))[rows.name] == hubs.MERGED
    hub = rawdb.hub(url)
    try:
        statuses = {c.status for c in hub.cases_of(team.inspection_id)}
    finally:
        hub.close()
    assert statuses == {"in_progress"}


BAD: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "invented-case": (lambda p: p["cases"].append({**p["cases"][0], "id": "x" * 36,
                                                   "reference": "Z1"}), "case_not_in_sample"),
    "other-reference": (lambda p: p["cases"][0].update(reference="Q999"), "reference_changed"),
    "unknown-pdu": (case_change("pdu", "Atlantis"), "unknown_pdu"),
    "bad-fact": (case_change("fact:rosh_level", "enormous"), "bad_facts"),
    "unknown-fact": (case_change("fact:shoe_size", "9"), "bad_facts"),
    "unknown-field": (case_change("colour", "red"), "unknown_field"),
    "bad-status": (case_change("status", "locked"), "status_not_allowed"),
    "bad-reply": (case_change("reply:" + "c" * 36, {"text": 42, "done": "yes"}), "bad_reply"),
    "empty-reply": (case_change("reply:" + "c" * 36, {"text": " ", "done": False}),
                    "bad_reply"),
    "long-reply": (case_change("reply:" + "c" * 36, {"text": "x" * 4001, "done": True}),
                   "bad_reply"),
    "reply-bad-id": (case_change("reply:" + "c" * 37, {"text": "ok", "done": True}),
                     "unknown_field"),
    "unknown-question": (lambda p: p["answers"][0].update(question_id="Z9"), "unknown_question"),
    "bad-value": (lambda p: p["answers"][0].update(value="maybe"), "bad_value"),
    "other-set": (lambda p: p["answers"][0].update(qs_version="0"), "wrong_question_set"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_package_breaking_a_rule_changes_nothing_and_names_the_rule(
    team: Team, url: str, kind: str
) -> None:
    team.answer_all(AB)
    ab = team.export(AB)
    staged = team.root / "staged"
    staged.mkdir()
    shutil.move(ab, staged / ab.name)  # the bad one is merged first
    change, rule = BAD[kind]
    bad = forge(team, staged / ab.name, signer=team.laptops[AB].fw.keys, change=change,
                name=f"pd-events-0-{kind}.pdpkg")  # fmt: skip
    got = {o.file: o for o in team.merge(url)}
    assert got[bad.name].state == hubs.REJECTED
    assert rule in got[bad.name].reason
    assert team.figures(url) == []  # nothing counted: the hub holds no case yet
    shutil.move(staged / ab.name, ab)
    got = {o.file: o for o in team.merge(url)}
    assert got[ab.name].state == hubs.MERGED  # never blocked by the bad one
    assert got[bad.name].state == hubs.REJECTED


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["cases"][0].update(reference=None),
        lambda p: p["cases"][0].update(facts="not facts"),
        lambda p: p["answers"][0].update(seq="one"),
        lambda p: p["answers"][0].update(hlc=None),
        lambda p: p["meeting_notes"].append({"id": None}),
    ],
    ids=["null-reference", "facts-not-an-object", "seq-not-a-number", "null-clock",
         "broken-note"],
)  # fmt: skip
def test_a_malformed_package_never_breaks_the_hub(
    team: Team, url: str, tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    team.answer_all(AB)
    ab = team.export(AB)
    bad = forge(team, ab, signer=team.laptops[AB].fw.keys, change=change,
                name="pd-events-0-malformed.pdpkg")  # fmt: skip
    got = {o.file: o for o in team.merge(url)}
    assert got[bad.name].state == hubs.REJECTED
    assert got[ab.name].state == hubs.MERGED
    data = str(team.lead.paths.data)
    for args in (["summary"], ["export-data", "--out", str(tmp_path / "x.csv")],
                 ["report", "pdu", "Plymouth", "--out", str(tmp_path / "r.pdf")]):  # fmt: skip
        assert cli.main(["--data-dir", data, *args, "--hub", url]) == 0, args


def test_a_reassigned_case_keeps_the_first_assessors_work_and_takes_only_the_new_ones(
    team: Team, url: str
) -> None:
    case_id = team.case(AB, "A2")
    team.laptops[AB].ws.record_answer(case_id, "2.1.1", "yes")
    before_move = team.export(AB)
    assert states(team.merge(url)) == {before_move.name: hubs.MERGED}
    # the lead moves A2 to CD and sends a new setup revision
    team.lead.fw.assign(case_id, CD)
    pack2 = team.lead.fw.create_setup_pack(team.inspection_id, PASSPHRASE, team.shared, "TL")
    for member in (AB, CD):
        team.laptops[member].fw.open_setup_pack(pack2, PASSPHRASE, member)
    team.laptops[CD].ws.record_answer(case_id, "2.1.2", "no")
    cd = team.export(CD)
    got = states(team.merge(url))
    assert got[cd.name] == hubs.MERGED and got[before_move.name] == hubs.ALREADY
    # AB's laptop still shows its old copy, read-only: a change to it could never merge
    ab = team.laptops[AB]
    assert ab.ws.case(case_id).assessor == CD and not ab.ws.is_mine(ab.ws.case(case_id))
    with pytest.raises(CaseNotEditable, match="now assigned to CD"):
        ab.ws.record_answer(case_id, "2.1.3", "no")
    with pytest.raises(CaseNotEditable, match="now assigned to CD"):
        ab.ws.submit(case_id)
    # so AB's later packages keep merging
    ab.ws.record_answer(team.case(AB, "A1"), "2.1.3", "no")
    later = team.export(AB)
    assert states(team.merge(url))[later.name] == hubs.MERGED
    # and one that answers A2 after the move anyway (AB's own key) is rejected, changing nothing
    before = team.figures(url)

    def answer_moved_case(p: dict[str, Any]) -> None:
        newest = max(p["answers"], key=lambda e: e["hlc"])
        p["answers"].append({**newest, "id": newest["id"][:-3] + "eee", "case_id": case_id,
                             "question_id": "2.1.4", "seq": newest["seq"] + 1})  # fmt: skip

    late = forge(team, later, signer=ab.fw.keys, change=answer_moved_case,
                 name="pd-events-ab-after-move.pdpkg")  # fmt: skip
    got2 = {o.file: o for o in team.merge(url)}
    assert got2[late.name].state == hubs.REJECTED
    assert "not_assigned: case A2 was not assigned to AB" in got2[late.name].reason
    assert team.figures(url) == before


# -- comments back: to every enrolled laptop of the member, never a forger ------------------------


def test_send_back_goes_to_every_enrolled_laptop_and_never_to_a_forger(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    team.answer_all(AB)
    genuine = team.export(AB)
    second = Laptop.open(team.root / "ab-second")
    try:
        second.fw.open_setup_pack(team.pack, PASSPHRASE, AB, team.codes[AB])
        assert second.fw.export(team.inspection_id, team.shared).shared_path is not None
        time.sleep(0.01)
        outsider = DeviceKeys.generate()  # the newest export, saying it is AB's
        stranger = "99999999-9999-9999-9999-999999999999"
        forge(team, genuine, signer=outsider, change=lambda p: p.pop("enrolment"),
              device_id=stranger, name="pd-events-zz.pdpkg")  # fmt: skip
        data, shared = str(team.lead.paths.data), str(team.shared)
        code = cli.main(["--data-dir", data, "send-back", "--to", shared, "--assessor", AB,
                         "--note", "Please add the source."])  # fmt: skip
        out = capsys.readouterr()
        assert code == 0, out.err
        assert "is not enrolled for AB; no comments go to it" in out.err
        packs = sorted(team.shared.glob("pd-sendback-*.pdpkg"))
        assert len(packs) == 2
        for_devices = {reader.peek_manifest(p)["extra"]["for_device"] for p in packs}
        assert for_devices == {team.laptops[AB].ws.device().id, second.ws.device().id}
        opened = second.fw.open_sendback(next(
            p for p in packs
            if reader.peek_manifest(p)["extra"]["for_device"] == second.ws.device().id
        ))  # fmt: skip
        assert opened is not None
    finally:
        second.ws.close()


def test_a_returned_case_goes_back_to_each_of_the_assessors_enrolled_laptops(
    team: Team, url: str
) -> None:
    team.answer_all(AB)
    team.export(AB)
    second = Laptop.open(team.root / "ab-second")
    try:
        second.fw.open_setup_pack(team.pack, PASSPHRASE, AB, team.codes[AB])
        assert second.fw.export(team.inspection_id, team.shared).shared_path is not None
        team.merge(url)
        hub = rawdb.hub(url)
        try:
            result = hubs.moderate(hub, team.lead.fw, team.inspection_id, "A1", "returned",
                                   "Say where the plan is.", team.shared)  # fmt: skip
        finally:
            hub.close()
        assert len(result.sendbacks) == 2 and result.sendback == result.sendbacks[0]
        for_devices = {reader.peek_manifest(p)["extra"]["for_device"] for p in result.sendbacks}
        assert for_devices == {team.laptops[AB].ws.device().id, second.ws.device().id}
    finally:
        second.ws.close()


# -- the status bar tells the truth ---------------------------------------------------------------


@pytest.mark.logs_warnings
def test_the_export_state_says_how_far_changes_have_gone(team: Team, url: str) -> None:
    ab = team.laptops[AB]
    case_id = team.case(AB, "A1")
    ab.ws.record_answer(case_id, "2.1.1", "yes")
    assert ab.ws.export_state().words().endswith("not exported")
    # no shared folder: in the outbox, never "exported"
    result = ab.fw.export(team.inspection_id, None)
    assert result.shared_path is None
    assert ab.ws.export_state().words() == "All changes in the outbox, not yet in the shared folder"
    # an unreachable shared folder: the same
    gone = team.root / "unplugged"
    result = ab.fw.export(team.inspection_id, gone / "nowhere")
    assert ab.ws.export_state().words() == "All changes in the outbox, not yet in the shared folder"
    ab.fw.copy_pending(team.shared)
    assert ab.ws.export_state().words() == (
        "All changes in the shared folder, waiting for the team lead"
    )
    team.merge(url)
    ab.fw.check_receipts(team.shared)
    assert ab.ws.export_state().words() == "All changes received by the team lead"
    ab.ws.record_answer(case_id, "2.1.2", "no")
    assert ab.ws.export_state().words() == "1 change not exported"


def test_a_change_saved_while_an_export_is_built_is_not_counted_as_exported(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    ab = team.laptops[AB]
    case_id = team.case(AB, "A1")
    ab.ws.record_answer(case_id, "2.1.1", "yes")
    build = ab.fw.build_events_payload

    def build_then_type(inspection_id: str) -> tuple[dict[str, Any], dict[str, int]]:
        built = build(inspection_id)
        ab.ws.record_answer(case_id, "2.1.2", "no")  # saved after the payload was read
        return built

    monkeypatch.setattr(ab.fw, "build_events_payload", build_then_type)
    result = ab.fw.export(team.inspection_id, team.shared)
    opened = reader.read_package(
        result.outbox_path, private_keys=[team.lead.fw.keys.encryption_key],
        expected_kind="events", payload_schema=EVENTS_SCHEMA,
    )  # fmt: skip
    held = max(e["seq"] for e in opened.payload["answers"])
    assert opened.manifest["extra"]["seq_to"] == opened.payload["seq_to"] == held
    assert "2.1.2" not in {e["question_id"] for e in opened.payload["answers"]}
    assert ab.ws.export_state().words() == "1 change not exported"
