"""The hub tests' world, shared by the hub, evidence-log and Evidence-tab tests: one small
inspection (a team lead, two assessors, six cases) whose assessors answer at random and export
cumulative packages into a pool, and the readers that compare hubs."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pytest
from scenes import Laptop

from probdesk import bundled
from probdesk.domain.questionset import NA, NO, YES, AnswerType, Question
from probdesk.domain.records import Assessor, GroupAttendance, MeetingKind
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs
from probdesk.services.workspace import Workspace

PDU_CORE = bundled.question_sets_dir() / "pdu-core.yaml"
PASSPHRASE = "a long enough passphrase"
REGION = "South West & Wales"
PDUS = ("Plymouth", "Ynys Môn")  # a PDU name beyond ASCII, to compare the databases' bytes
AB, CD = "Alice Brown", "Carl Dean"
FACTS: dict[str, object] = {
    "sentence_type": "licence",
    "rosh_level": "high",
    "domestic_abuse": "yes",
    "child_safeguarding": "no",
    "mappa_eligible": "no",  # nobody is MAPPA eligible: 2.3.3.d has no relevant case anywhere
    "tier": "B2",
    "practitioner_grade": "po",
}
# reference, PDU, assessor, facts changed from FACTS
SAMPLE: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("A100001", PDUS[0], AB, {}),
    ("A100002", PDUS[1], AB, {"domestic_abuse": "no", "sentence_type": "community_order"}),
    ("A100003", PDUS[0], AB, {"child_safeguarding": "unknown", "rosh_level": "low"}),
    ("C100001", PDUS[1], CD, {"domestic_abuse": "unknown"}),
    ("C100002", PDUS[0], CD, {"rosh_level": "very_high", "sentence_type": "pss"}),
    ("C100003", PDUS[1], CD, {"child_safeguarding": "yes", "domestic_abuse": "no"}),
)
NOTES = (None, None, None, "Seen in the case record.", "Practitioner interview: café meeting.")
MERGED, ALREADY, REJECTED, QUARANTINED = hubs.MERGED, hubs.ALREADY, hubs.REJECTED, hubs.QUARANTINED
HELD = hubs.HELD
NOT_HELD = "the package is for an inspection this hub does not hold"


# -- the inspection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """An events package as it was written to the shared folder, copied aside."""

    path: Path
    assessor: str
    package_id: str
    seq_to: int


@dataclass
class Inspection:
    root: Path
    lead: Laptop
    assessors: dict[str, Laptop]
    inspection_id: str
    setup_pack: Path
    pool: list[Pooled] = field(default_factory=list)

    def by_assessor(self) -> dict[str, list[Pooled]]:
        out: dict[str, list[Pooled]] = defaultdict(list)
        for p in self.pool:
            out[p.assessor].append(p)
        return dict(out)

    def last(self, assessor: str) -> Pooled:
        return self.by_assessor()[assessor][-1]

    def folder(self, packages: Sequence[Pooled] = ()) -> Path:
        """A new shared folder holding copies of these packages (and the setup pack)."""
        folder = Path(tempfile.mkdtemp(prefix="shared-", dir=self.root))
        shutil.copy2(self.setup_pack, folder / self.setup_pack.name)
        for p in packages:
            shutil.copy2(p.path, folder / p.path.name)
        return folder

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.root / f'hub-{uuid.uuid4().hex}.sqlite'}"

    def close(self) -> None:
        for lt in (self.lead, *self.assessors.values()):
            lt.ws.close()


def setup_inspection(
    root: Path, sample: Sequence[tuple[str, str, str, dict[str, object]]], pdus: Sequence[str]
) -> Inspection:
    """The team lead's inspection and setup pack; each assessor's laptop has opened it."""
    root.mkdir(parents=True, exist_ok=True)
    shared = root / "shared"
    shared.mkdir()
    (root / "pool").mkdir()
    lead = Laptop.open(root / "lead")
    lead.ws.set_identity("Terry Lead", "team_lead")
    insp = lead.ws.create_inspection(
        REGION, pdus[0], date(2026, 11, 2), date(2026, 11, 6), PDU_CORE, pdus=tuple(pdus)
    )
    names = sorted({who for _, _, who, _ in sample})
    lead.fw.set_team(insp.id, [Assessor(n, "inspector") for n in names])
    for ref, pdu, who, facts in sample:
        lead.fw.add_sample_case(insp.id, ref, {**FACTS, **facts}, pdu, who)
    pack = lead.fw.create_setup_pack(insp.id, PASSPHRASE, shared, "Terry Lead")
    assessors = {}
    for n, name in enumerate(names):
        lt = Laptop.open(root / f"assessor-{n}")
        lt.fw.open_setup_pack(pack, PASSPHRASE, name, lead.fw.enrolment_codes(insp.id)[name])
        assessors[name] = lt
    return Inspection(root, lead, assessors, insp.id, pack)


def export(world: Inspection, assessor: str) -> Pooled:
    lt = world.assessors[assessor]
    result = lt.fw.export(world.inspection_id, world.setup_pack.parent)
    assert result.shared_path is not None, result.copy_problem
    kept = shutil.copy2(result.shared_path, world.root / "pool" / result.shared_path.name)
    pooled = Pooled(Path(kept), assessor, result.package_id, lt.ws.device().last_seq)
    world.pool.append(pooled)
    return pooled


def yes_no_questions(ws: Workspace, case_id: str, key_only: bool = False) -> list[Question]:
    state = ws.case_state(case_id)
    return [
        q
        for s in state.question_set.sections_for(state.case.variant)
        for q in s.questions
        if q.id in state.applicable and q.answer.is_yes_no and (q.is_key or not key_only)
    ]


def answer_at_random(rnd: random.Random, lt: Laptop, inspection_id: str, n: int) -> None:
    """n answers, changes or clearings on the assessor's editable cases."""
    cases = [c for c in lt.ws.cases(inspection_id) if c.status.editable]
    for _ in range(n):
        case = rnd.choice(cases)
        q = rnd.choice(yes_no_questions(lt.ws, case.id))
        values: list[object] = [YES, YES, NO, None]  # None clears the answer
        if q.answer is AnswerType.YES_NO_NA:
            values.append(NA)
        lt.ws.record_answer(case.id, q.id, rnd.choice(values), rnd.choice(NOTES))


def case_of(world: Inspection, reference: str) -> tuple[Laptop, str]:
    for lt in world.assessors.values():
        for c in lt.ws.cases(world.inspection_id):
            if c.reference == reference:
                return lt, c.id
    raise AssertionError(reference)


def build_world(root: Path) -> Inspection:
    world = setup_inspection(root, SAMPLE, PDUS)
    iid = world.inspection_id
    rnd = random.Random(20261102)
    ab, cd = world.assessors[AB], world.assessors[CD]

    # Round 1: first answers from both.
    answer_at_random(rnd, ab, iid, 10)
    answer_at_random(rnd, cd, iid, 10)
    export(world, AB)
    export(world, CD)

    # Round 2: changes; AB finishes and submits a case; CD records a meeting.
    answer_at_random(rnd, ab, iid, 8)
    lt, a1 = case_of(world, "A100001")
    for q in yes_no_questions(lt.ws, a1, key_only=True):
        lt.ws.record_answer(a1, q.id, rnd.choice([YES, YES, NO]))
    lt.ws.submit(a1)
    export(world, AB)
    answer_at_random(rnd, cd, iid, 8)
    qs = cd.ws.question_set(cd.ws.inspection(iid))
    meeting = cd.ws.save_meeting(
        iid,
        MeetingKind.FOCUS_GROUP,
        date(2026, 11, 4),
        "Practitioners focus group",
        [GroupAttendance(qs.participant_groups[2].id, 5)],
        [qs.non_case_questions[0].id],
    )
    cd.ws.record_meeting_note(meeting.id, qs.non_case_questions[0].id, "Vision is well known.")
    export(world, CD)

    # Round 3: AB reopens the submitted case and changes its mind; more answers; some N/A.
    lt.ws.reopen(a1)
    key = yes_no_questions(lt.ws, a1, key_only=True)[0]
    current = lt.ws.case_state(a1).answers[key.id]
    lt.ws.record_answer(a1, key.id, NO if current == YES else YES, "Changed after review.")
    answer_at_random(rnd, ab, iid, 6)
    answer_at_random(rnd, cd, iid, 6)
    for ref in ("A100002", "C100001"):
        lt2, cid = case_of(world, ref)
        lt2.ws.record_answer(cid, "2.2.3.b", NA)  # relevant elsewhere, not applicable here
        lt2.ws.record_answer(cid, "2.2.3.a", YES)
        for q in yes_no_questions(lt2.ws, cid, key_only=True):
            if q.id not in lt2.ws.case_state(cid).answers:
                lt2.ws.record_answer(cid, q.id, rnd.choice([YES, NO]))
        lt2.ws.submit(cid)  # finished: counted in the (final) figures
    export(world, AB)
    export(world, CD)
    export(world, CD)  # again with nothing new: same events, another package id
    return world


# -- hubs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything the hub shows about an inspection, as text."""

    texts: dict[str, str]
    counts: dict[str, int]


def snapshot(hub: Hub, inspection_id: str) -> Snapshot:
    # Provisional figures count every answered case (the world's cases are mostly in
    # progress); the final ones only the finished cases: both must be the same after any merge.
    def rows(by: str, provisional: bool = True) -> list[hubs.SummaryRow]:
        return hubs.summarise(hub, inspection_id, by, provisional=provisional)

    texts = {
        "pdu.json": hubs.render(rows("pdu"), "json"),
        "region.json": hubs.render(rows("region"), "json"),
        "pdu.csv": hubs.render(rows("pdu"), "csv"),
        "pdu.final.json": hubs.render(rows("pdu", False), "json"),
        "export": json.dumps(hubs.export_rows(hub, inspection_id, True), ensure_ascii=False),
        "cases": json.dumps(
            [{k: str(v) for k, v in asdict(c).items()} for c in hub.cases_of(inspection_id)],
            ensure_ascii=False,
        ),
    }
    counts = {k: v for k, v in hub.counts().items() if k != "hub_quarantine"}
    return Snapshot(texts, counts)


def merge(url: str, lead: Laptop, folder: Path) -> list[hubs.MergeOutcome]:
    hub = Hub(url)
    try:
        return hubs.merge(hub, lead.fw, folder)
    finally:
        hub.close()


def snapshot_of(url: str, inspection_id: str) -> Snapshot:
    hub = Hub(url)
    try:
        return snapshot(hub, inspection_id)
    finally:
        hub.close()


def states(outcomes: Sequence[hubs.MergeOutcome]) -> dict[str, str]:
    by_file = {o.file: o.state for o in outcomes}
    assert len(by_file) == len(outcomes), "a file reported twice"
    return by_file


# -- hub databases for a test --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def new_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes new, empty hub databases: SQLite files, or databases on the throwaway PostgreSQL."""
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / f'hub-{uuid.uuid4().hex}.sqlite'}"
    server = request.getfixturevalue("pg_server")
    return lambda: str(server.create_database())


@pytest.fixture
def hub_url(new_hub: Callable[[], str]) -> str:
    return new_hub()
