"""Test scenes shared by several test modules (fictional data only)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import rawdb

from probdesk.domain.records import Assessor
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
FACTS = {
    "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "high",
    "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no",
    "tier": "B2", "practitioner_grade": "po",
}  # fmt: skip
SECOND_DEVICE = "22222222-2222-2222-2222-222222222222"


def two_laptop_conflict(root: Path) -> tuple[Path, str]:
    """AB answers C1 on one laptop; a restored copy of that laptop (a second device) answers
    C1 differently and C1.1, after both saw the first answer: a conflict on C1.

    Builds lead/, ab/, ab2/ and shared/ under `root`; returns (root, inspection id).
    """
    shared = root / "shared"
    shared.mkdir(parents=True)
    lead_paths = Paths.resolve(root / "lead").ensure()
    lead_ws = Workspace.open(lead_paths)
    lead = Fieldwork(lead_ws, lead_paths)
    insp = lead_ws.create_inspection(
        "South West", "Plymouth", date(2026, 1, 5), date(2026, 1, 9),
        ROOT / "question_sets" / "dipp-public-protection.yaml",
    )  # fmt: skip
    lead.set_team(insp.id, [Assessor("AB", "inspector")])
    lead.add_sample_case(insp.id, "X100001", FACTS, "Plymouth", "AB")
    pack = lead.create_setup_pack(insp.id, "passphrase for tests", shared, "TL")
    code = lead.enrolment_codes(insp.id)["AB"]
    lead_ws.close()

    ab_paths = Paths.resolve(root / "ab").ensure()
    ab_ws = Workspace.open(ab_paths)
    ab = Fieldwork(ab_ws, ab_paths)
    ab.open_setup_pack(pack, "passphrase for tests", "AB", code)
    case = ab_ws.cases(insp.id)[0]
    ab_ws.record_answer(case.id, "C1", "yes")
    ab_ws.close()
    # A second laptop restored from a copy of the first: its own identity and keys.
    shutil.copytree(root / "ab", root / "ab2")
    for pem in ("device-signing.pem", "device-encryption.pem"):  # the data key stays with it
        (root / "ab2" / "keys" / pem).unlink()
    db = rawdb.connect(root / "ab2" / "probdesk.sqlite")
    db.execute("UPDATE device SET id = ?, last_seq = 0, exported_seq = 0", (SECOND_DEVICE,))
    db.commit()
    db.close()

    ab_ws = Workspace.open(ab_paths)
    ab_ws.record_answer(case.id, "C1", "no")
    Fieldwork(ab_ws, ab_paths).export(insp.id, shared)
    ab_ws.close()
    second_paths = Paths.resolve(root / "ab2")
    second_ws = Workspace.open(second_paths)
    second_ws.record_answer(case.id, "C1", "yes", "seen on the second laptop")
    second_ws.record_answer(case.id, "C1.1", "yes")
    second = Fieldwork(second_ws, second_paths)
    second.enrol(insp.id, "AB", code)  # a second laptop is enrolled with the member's code
    second.export(insp.id, shared)
    second_ws.close()
    return root, insp.id


# -- a team of two assessors with enrolled laptops (trust tests) ----------------------------------

PDU_CORE = ROOT / "question_sets" / "pdu-core.yaml"
PASSPHRASE = "a long enough passphrase"
AB, CD = "AB", "CD"
TEAM_FACTS: dict[str, object] = {
    "sentence_type": "licence", "rosh_level": "high", "domestic_abuse": "yes",
    "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2", "practitioner_grade": "po",
}  # fmt: skip
TEAM_SAMPLE = (("A1", AB), ("A2", AB), ("C1", CD), ("C2", CD))


@dataclass
class Laptop:
    paths: Paths
    ws: Workspace
    fw: Fieldwork

    @classmethod
    def open(cls, data: Path) -> Laptop:
        paths = Paths.resolve(data).ensure()
        ws = Workspace.open(paths)
        return cls(paths, ws, Fieldwork(ws, paths))


@dataclass
class Team:
    root: Path
    shared: Path
    lead: Laptop
    laptops: dict[str, Laptop]
    inspection_id: str
    pack: Path
    codes: dict[str, str]

    def case(self, member: str, reference: str) -> str:
        lt = self.laptops[member]
        return next(c.id for c in lt.ws.cases(self.inspection_id) if c.reference == reference)

    def answer_all(self, member: str, value: str = "yes", *, submit: bool = False) -> None:
        """Answer every question that takes `value`; with submit, submit each case after."""
        lt = self.laptops[member]
        qs = lt.ws.question_set(lt.ws.inspection(self.inspection_id))
        for c in lt.ws.cases(self.inspection_id):
            for q in qs.questions:
                if q.allowed_values() and value in (q.allowed_values() or ()):
                    lt.ws.record_answer(c.id, q.id, value)
            if submit:
                lt.ws.submit(c.id)

    def export(self, member: str) -> Path:
        result = self.laptops[member].fw.export(self.inspection_id, self.shared)
        assert result.shared_path is not None, result.copy_problem
        return result.shared_path

    def merge(self, url: str) -> list[hubs.MergeOutcome]:
        hub = rawdb.hub(url)
        try:
            return hubs.merge(hub, self.lead.fw, self.shared)
        finally:
            hub.close()

    def figures(self, url: str) -> list[tuple[object, ...]]:
        hub = rawdb.hub(url)
        try:
            rows = hubs.summarise(hub, self.inspection_id, "pdu", provisional=True)
        finally:
            hub.close()
        return [(r.name, r.question_id, r.relevant, r.yes, r.percent) for r in rows]

    def close(self) -> None:
        for lt in (self.lead, *self.laptops.values()):
            lt.ws.close()


def build_team(root: Path, *, enrol: bool = True) -> Team:
    shared = root / "shared"
    shared.mkdir(parents=True)
    lead = Laptop.open(root / "lead")
    lead.ws.set_identity("TL", "team_lead")
    insp = lead.ws.create_inspection(
        "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), PDU_CORE
    )
    lead.fw.set_team(insp.id, [Assessor(AB, "inspector"), Assessor(CD, "inspector")])
    for ref, who in TEAM_SAMPLE:
        lead.fw.add_sample_case(insp.id, ref, TEAM_FACTS, "Plymouth", who)
    pack = lead.fw.create_setup_pack(insp.id, PASSPHRASE, shared, "TL")
    codes = lead.fw.enrolment_codes(insp.id)
    laptops = {}
    for member in (AB, CD):
        lt = Laptop.open(root / member.lower())
        lt.fw.open_setup_pack(pack, PASSPHRASE, member, codes[member] if enrol else None)
        laptops[member] = lt
    return Team(root, shared, lead, laptops, insp.id, pack, codes)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    """A lead and two assessors (AB, CD) with the set-up done (build_team)."""
    t = build_team(tmp_path / "team")
    yield t
    t.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite hub in the test's folder."""
    return f"sqlite:///{tmp_path / 'hub.sqlite'}"


TWO_PASSPHRASE = "plymouth winter 2026"
FACTS_LOW = {
    **FACTS,
    "sentence_type": "community_order",
    "rosh_level": "low",
    "domestic_abuse": "no",
}


def two_inspections(root: Path, shared: Path) -> tuple[Paths, list[str]]:
    """The lead writes two inspections' setup packs; AB opens both and answers in both."""
    lead_paths = Paths.resolve(root / "lead").ensure()
    lead_ws = Workspace.open(lead_paths)
    lead = Fieldwork(lead_ws, lead_paths)
    lead_ws.set_identity("TL", "team_lead")
    packs, ids = [], []
    for n, (pdu, start) in enumerate((("Plymouth", 5), ("Exeter", 12))):
        insp = lead_ws.create_inspection(
            "South West",
            pdu,
            date(2027, 1, start),
            date(2027, 1, start + 4),
            ROOT / "question_sets" / "dipp-public-protection.yaml",
        )
        lead.set_team(insp.id, [Assessor("AB", "inspector")])
        lead.add_sample_case(insp.id, f"X30000{n}", FACTS_LOW, pdu, "AB")
        out = shared / f"pack{n}"
        out.mkdir()
        packs.append(lead.create_setup_pack(insp.id, TWO_PASSPHRASE, out, "TL"))
        ids.append(insp.id)
    lead_ws.close()
    ab_paths = Paths.resolve(root / "ab").ensure()
    ab_ws = Workspace.open(ab_paths)
    ab = Fieldwork(ab_ws, ab_paths)
    for pack in packs:
        ab.open_setup_pack(pack, TWO_PASSPHRASE, "AB")
    for iid in ids:
        ab_ws.record_answer(ab_ws.cases(iid)[0].id, "C1", "yes")
    ab_ws.close()
    return ab_paths, ids
