"""Domain one evidence: the evidence log with attached files, gaps tracked to closure, the
team's judgements and their history, survey figures, triangulation, packages and the hub.

Real SQLite stores in throwaway data folders, real packages in a real shared folder, real hubs
(SQLite, and PostgreSQL where the hub is concerned). All content is fictional.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import rawdb
from hubworld import (  # the hub tests' world (tests/support/hubworld.py)
    AB,
    Laptop,
    export,
    merge,
    setup_inspection,
    states,
)

from probdesk import bundled
from probdesk.domain import loader
from probdesk.domain.evidence import ATTACHMENT_LIMIT, MB, GapState, OrgState
from probdesk.domain.records import GroupAttendance, MeetingKind
from probdesk.errors import InputError
from probdesk.hub.store import SCHEMA_VERSION, Hub
from probdesk.packages import writer
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.evidence import EvidenceLog
from probdesk.services.workspace import Workspace
from probdesk.store.database import DB_NAME, current_revision, head_revision

PDU_CORE = bundled.question_sets_dir() / "pdu-core.yaml"
DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCALE = "Outstanding, Good, Requires improvement, Inadequate"


@dataclass
class Desk:
    """One laptop with a pdu-core inspection and its evidence log."""

    root: Path
    ws: Workspace
    log: EvidenceLog
    inspection_id: str

    def events(self) -> int:
        return self.ws.device().last_seq

    def audit(self) -> list[tuple[str, str, str]]:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return [(e.action, e.entity, e.entity_id) for e in uow.audit.entries()]

    def stored_attachments(self) -> int:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return int(uow.session.connection().exec_driver_sql(
                "SELECT count(*) FROM attachment").scalar() or 0)  # fmt: skip

    def file(self, name: str, data: bytes) -> Path:
        path = self.root / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    ws = Workspace.open(Paths.resolve(tmp_path / "data").ensure())
    ws.set_identity("Alice Brown", "inspector")
    insp = ws.create_inspection(
        "North West", "Bolton", date(2026, 3, 2), date(2026, 3, 6), PDU_CORE
    )
    yield Desk(tmp_path, ws, EvidenceLog(ws), insp.id)
    ws.close()


def refused(call: Callable[[], object]) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


# -- the evidence log ----------------------------------------------------------------------------


def test_documents_with_and_without_an_attached_file(desk: Desk) -> None:
    pdf = b"%PDF-1.7 fictional PDU delivery plan " * 2000
    plan = desk.log.add_document(
        desk.inspection_id, "  PDU delivery plan 2026/27 ", "strategy", date(2026, 2, 10),
        ["1.1", "1.1.b", "N1"], desk.file("delivery-plan.pdf", pdf),
    )  # fmt: skip
    staffing = desk.log.add_document(
        desk.inspection_id, "Staffing and vacancies return", "workforce data", date(2026, 2, 3),
        ["1.2"],
    )  # fmt: skip
    assert plan.title == "PDU delivery plan 2026/27" and plan.informs == ("1.1", "1.1.b", "N1")
    assert plan.attachment_sha256 == hashlib.sha256(pdf).hexdigest()
    assert (plan.attachment_name, plan.size) == ("delivery-plan.pdf", len(pdf))
    assert plan.logged_by == "Alice Brown" and not plan.withdrawn
    assert not staffing.has_attachment and staffing.size == 0

    # The log, by date received; the file's bytes come back exactly.
    assert [d.id for d in desk.log.documents(desk.inspection_id)] == [staffing.id, plan.id]
    assert desk.log.attachment(plan.attachment_sha256) == pdf
    saved = desk.log.save_attachment(plan.id, desk.root)  # a folder: the file's own name
    assert saved == desk.root / "delivery-plan.pdf" and saved.read_bytes() == pdf
    other = desk.log.save_attachment(plan.id, desk.root / "copy.pdf")
    assert other.read_bytes() == pdf
    assert "has no attached file" in refused(
        lambda: desk.log.save_attachment(staffing.id, desk.root)
    )

    # The same bytes attached to another document are stored once.
    again = desk.log.add_document(
        desk.inspection_id, "Delivery plan (copy sent by the region)", "", date(2026, 2, 11),
        [], desk.file("plan-copy.pdf", pdf),
    )  # fmt: skip
    assert again.attachment_sha256 == plan.attachment_sha256 and again.kind == "other"
    assert desk.stored_attachments() == 1

    # Withdrawing keeps the document in the log, with the reason; it needs one.
    before = desk.events()
    assert "Say why the document is withdrawn" in refused(
        lambda: desk.log.withdraw_document(again.id, "  ")
    )
    assert desk.events() == before
    withdrawn = desk.log.withdraw_document(again.id, "Duplicate of the PDU's copy.")
    assert withdrawn.withdrawn and withdrawn.withdrawn_reason == "Duplicate of the PDU's copy."
    assert withdrawn.logged_by == "Alice Brown" and withdrawn.received_on == date(2026, 2, 11)
    assert "already withdrawn" in refused(lambda: desk.log.withdraw_document(again.id, "again"))
    assert [d.id for d in desk.log.documents(desk.inspection_id, include_withdrawn=False)] == [
        staffing.id, plan.id,
    ]  # fmt: skip
    assert len(desk.log.documents(desk.inspection_id)) == 3

    # Each change is audited, by id only; the chain holds.
    audit = desk.audit()
    assert ("log", "document", plan.id) in audit and ("withdraw", "document", again.id) in audit
    assert not any("delivery" in str(a).lower() for a in audit)
    assert desk.ws.audit_problems() == []


def test_bad_documents_are_refused_and_nothing_is_saved(desk: Desk) -> None:
    iid = desk.inspection_id
    before = desk.events()
    assert "Give the document a title" in refused(
        lambda: desk.log.add_document(iid, "   ", "strategy", date(2026, 2, 1), ["1.1"])
    )
    problem = refused(
        lambda: desk.log.add_document(iid, "Plan", "strategy", date(2026, 2, 1), ["1.1", "2.1.1"])
    )
    assert "2.1.1 is not a domain-one or non-case question of PDU inspection" in problem
    assert "1.1, 1.1.a" in problem  # the questions it could inform are listed
    missing = desk.root / "nowhere.pdf"
    assert "nowhere.pdf cannot be read" in refused(
        lambda: desk.log.add_document(iid, "Plan", "strategy", date(2026, 2, 1), [], missing)
    )
    assert "is empty" in refused(
        lambda: desk.log.add_document(
            iid, "Plan", "strategy", date(2026, 2, 1), [], desk.file("empty.pdf", b"")
        )
    )
    assert "No document with id" in refused(lambda: desk.log.withdraw_document("nope", "why"))
    assert "No inspection" in refused(
        lambda: desk.log.add_document("no-such", "Plan", "x", date(2026, 2, 1), [])
    )
    assert desk.events() == before and desk.log.documents(iid) == []


def test_an_attachment_over_the_limit_is_refused_with_its_size(desk: Desk) -> None:
    iid = desk.inspection_id
    big = desk.root / "files" / "scanned-minutes.pdf"
    big.parent.mkdir(parents=True)
    with big.open("wb") as f:
        f.truncate(int(12.3 * MB))
    before, audit = desk.events(), desk.audit()
    problem = refused(
        lambda: desk.log.add_document(iid, "Minutes", "minutes", date(2026, 2, 1), ["1.1"], big)
    )
    assert problem.startswith("scanned-minutes.pdf is 12.3 MB; an attachment may be at most 10 MB.")
    assert "Nothing was saved" in problem
    # One byte over is over (and says so); exactly the limit is taken.
    with big.open("r+b") as f:
        f.truncate(ATTACHMENT_LIMIT + 1)
    assert "is 10.1 MB; an attachment may be at most 10 MB" in refused(
        lambda: desk.log.add_document(iid, "Minutes", "minutes", date(2026, 2, 1), ["1.1"], big)
    )
    assert desk.events() == before and desk.audit() == audit
    assert desk.log.documents(iid) == [] and desk.stored_attachments() == 0
    with big.open("r+b") as f:
        f.truncate(ATTACHMENT_LIMIT)
    doc = desk.log.add_document(iid, "Minutes", "minutes", date(2026, 2, 1), ["1.1"], big)
    assert doc.size == ATTACHMENT_LIMIT
    assert len(desk.log.attachment(doc.attachment_sha256 or "")) == ATTACHMENT_LIMIT


# -- gaps --------------------------------------------------------------------------------------


def test_gaps_are_tracked_until_answered_or_closed_with_a_reason(desk: Desk) -> None:
    iid = desk.inspection_id
    meeting = desk.ws.save_meeting(
        iid, MeetingKind.MEETING, date(2026, 3, 3), "Head of PDU",
        [GroupAttendance("senior_leaders", 2)], ["N2", "N3"],
    )  # fmt: skip
    vacancies = desk.log.raise_gap(iid, "1.2", "No PSO vacancy figures in the staffing return.")
    audits = desk.log.raise_gap(iid, "N2", "Which audits led to changes this year?")
    assert (vacancies.state, vacancies.meeting_id, vacancies.raised_by) == (
        GapState.OPEN, None, "Alice Brown",
    )  # fmt: skip

    planned = desk.log.plan_gap(vacancies.id, meeting.id)
    assert (planned.state, planned.meeting_id) == (GapState.PLANNED, meeting.id)
    assert desk.log.plan_gap(vacancies.id, meeting.id) == planned  # again: nothing new
    assert [g.id for g in desk.log.gaps(iid, open_only=True)] == [vacancies.id, audits.id]

    answered = desk.log.answer_gap(vacancies.id, "Four PSO vacancies; two posts offered.")
    assert answered.state is GapState.ANSWERED and answered.is_open is False
    assert answered.outcome == "Four PSO vacancies; two posts offered."
    assert answered.meeting_id == meeting.id and answered.text == vacancies.text

    # Closing without a reason is refused and changes nothing.
    before = desk.events()
    assert "Give the reason for closing this gap" in refused(
        lambda: desk.log.close_gap(audits.id, "")
    )
    assert desk.events() == before
    assert desk.log.gaps(iid, open_only=True)[0].state is GapState.OPEN
    closed = desk.log.close_gap(audits.id, "Covered by the quality audit document instead.")
    assert (closed.state, closed.reason) == (
        GapState.CLOSED, "Covered by the quality audit document instead.",
    )  # fmt: skip

    assert desk.log.gaps(iid, open_only=True) == []
    assert [(g.id, g.state) for g in desk.log.gaps(iid)] == [
        (vacancies.id, GapState.ANSWERED), (audits.id, GapState.CLOSED),
    ]  # fmt: skip
    # A finished gap stays finished.
    assert "already answered" in refused(lambda: desk.log.close_gap(vacancies.id, "late"))
    assert "already closed" in refused(lambda: desk.log.plan_gap(audits.id, meeting.id))
    # Bad input names what is wrong.
    other = desk.log.raise_gap(iid, "1.3.b", "Are the commissioned services used?")
    assert "No meeting or focus group with id nope" in refused(
        lambda: desk.log.plan_gap(other.id, "nope")
    )
    assert "No gap with id" in refused(lambda: desk.log.answer_gap("nope", "x"))
    assert "Say what the answer was" in refused(lambda: desk.log.answer_gap(other.id, " "))
    assert "Say what is missing" in refused(lambda: desk.log.raise_gap(iid, "1.1", ""))
    assert "2.4.3 is not a domain-one" in refused(lambda: desk.log.raise_gap(iid, "2.4.3", "x"))
    actions = [a for a in desk.audit() if a[1] == "gap"]
    assert [a[0] for a in actions] == ["raise", "raise", "plan", "answer", "close", "raise"]


# -- judgements --------------------------------------------------------------------------------


def test_a_judgement_keeps_its_history_and_who_made_each(desk: Desk) -> None:
    iid = desk.inspection_id
    assert desk.log.judgement(iid, "1.1") is None
    first = desk.log.record_judgement(iid, "1.1", "Good", "Leaders visible; vision known.")
    desk.ws.set_identity("Carl Dean", "inspector")
    second = desk.log.record_judgement(
        iid, "1.1", "requires_improvement", "Staff in two of three focus groups did not know it."
    )  # the scale's id is taken too, and stored as its label
    desk.ws.set_identity("Terry Lead", "team_lead")
    third = desk.log.record_judgement(iid, "1.1", "good", "Moderated: the plan is recent.")
    assert desk.log.record_judgement(iid, "1.1", "Good", "Moderated: the plan is recent.") == third

    history = desk.log.judgement_history(iid, "1.1")
    assert [(j.recorded_by, j.rating, j.rationale) for j in history] == [
        ("Alice Brown", "Good", "Leaders visible; vision known."),
        ("Carl Dean", "Requires improvement",
         "Staff in two of three focus groups did not know it."),
        ("Terry Lead", "Good", "Moderated: the plan is recent."),
    ]  # fmt: skip
    assert [j.hlc for j in history] == sorted(j.hlc for j in history)
    assert history == [first, second, third]
    assert desk.log.judgement(iid, "1.1") == third
    assert desk.log.judgement(iid, "1.2") is None
    assert [a for a in desk.audit() if a[0] == "judge"] == [("judge", "judgement", "1.1")] * 3


def test_a_rating_off_the_scale_and_other_bad_judgements_are_refused(desk: Desk) -> None:
    iid = desk.inspection_id
    desk.log.record_judgement(iid, "N3", "Inadequate", "Caseloads over 70 in every team.")
    before = desk.events()
    problem = refused(lambda: desk.log.record_judgement(iid, "N3", "Excellent", "Why not."))
    assert problem == (
        "'Excellent' is not on the rating scale of PDU inspection, case-based standards and "
        f"domain one (illustrative): choose one of {SCALE}. Nothing was saved."
    )
    assert SCALE in refused(lambda: desk.log.record_judgement(iid, "N3", "", "No rating."))
    assert "Write the rationale" in refused(
        lambda: desk.log.record_judgement(iid, "N3", "Good", "")
    )
    assert "1.2.a is a prompt of 1.2 Workforce" in refused(
        lambda: desk.log.record_judgement(iid, "1.2.a", "Good", "x")
    )
    problem = refused(lambda: desk.log.record_judgement(iid, "2.1.1", "Good", "x"))
    assert "2.1.1 is not a domain-one key question or non-case question of PDU inspection" in (
        problem
    )
    assert "1.1, 1.2, 1.3, N1" in problem
    assert desk.events() == before
    assert desk.log.judgement(iid, "N3") is not None
    assert desk.log.judgement(iid, "N3").rating == "Inadequate"  # type: ignore[union-attr]


def test_a_set_without_ratings_takes_a_judgement_without_one(tmp_path: Path) -> None:
    ws = Workspace.open(Paths.resolve(tmp_path).ensure())
    try:
        insp = ws.create_inspection("Wales", "Cardiff", date(2026, 4, 6), date(2026, 4, 9), DIPP)
        log = EvidenceLog(ws)
        qs = ws.question_set(insp)
        assert qs.ratings is None and qs.domain_one == () and qs.non_case_questions
        n = qs.non_case_questions[0].id
        j = log.record_judgement(insp.id, n, "", "Partners describe good information sharing.")
        assert (j.rating, j.rationale) == ("", "Partners describe good information sharing.")
        assert "Write the rationale" in refused(lambda: log.record_judgement(insp.id, n, "", " "))
        t = log.triangulation(insp.id, n)
        assert t.scale == () and t.judgement == j
    finally:
        ws.close()


# -- survey figures and triangulation ------------------------------------------------------------


def test_survey_figures_are_entered_changed_and_cleared(desk: Desk) -> None:
    iid = desk.inspection_id
    a = desk.log.record_survey(iid, "1.2", "Workload is manageable", "41% (62 of 151)")
    desk.log.record_survey(iid, "1.2", "Workload is manageable", "43% (65 of 151)")
    desk.log.record_survey(iid, "1.1", "Leaders are visible", "70%")
    assert a is not None and a.recorded_by == "Alice Brown"
    assert [(s.question_id, s.label, s.value) for s in desk.log.surveys(iid)] == [
        ("1.1", "Leaders are visible", "70%"),
        ("1.2", "Workload is manageable", "43% (65 of 151)"),
    ]
    desk.log.record_survey(iid, "1.1", "Leaders are visible", "")
    assert [s.label for s in desk.log.surveys(iid)] == ["Workload is manageable"]
    assert desk.log.record_survey(iid, "1.3", "Never recorded", "") is None
    assert "Name the survey figure" in refused(lambda: desk.log.record_survey(iid, "1.1", "", "1"))


def test_triangulation_bundles_the_evidence_of_one_question(desk: Desk) -> None:
    iid, log = desk.inspection_id, desk.log
    plan = log.add_document(iid, "Delivery plan", "strategy", date(2026, 2, 1), ["1.1"])
    audit = log.add_document(iid, "Quality audit", "audit", date(2026, 2, 2), ["1.1.b"])
    minutes = log.add_document(iid, "Leadership minutes", "minutes", date(2026, 2, 3), ["N2"])
    log.add_document(iid, "Staffing return", "workforce", date(2026, 2, 4), ["1.2"])
    old = log.add_document(iid, "Old plan", "strategy", date(2026, 1, 5), ["1.1"])
    log.withdraw_document(old.id, "Replaced by the 2026 plan.")

    focus = desk.ws.save_meeting(
        iid, MeetingKind.FOCUS_GROUP, date(2026, 3, 3), "Practitioners",
        [GroupAttendance("practitioners_po", 6), GroupAttendance("practitioners_pso", 4)],
        ["N1", "N3"],
    )  # fmt: skip
    desk.ws.record_meeting_note(focus.id, "N1", "Most had not heard of the vision.")
    desk.ws.record_meeting_note(focus.id, "N3", "Caseloads around 60.")  # workforce: not here
    leaders = desk.ws.save_meeting(
        iid, MeetingKind.MEETING, date(2026, 3, 4), "Senior leaders",
        [GroupAttendance("senior_leaders", 2)], ["N1", "N2"],
    )  # fmt: skip
    desk.ws.record_meeting_note(leaders.id, "N1", "A draft vision.")
    desk.ws.record_meeting_note(leaders.id, "N1", "Vision launched in January.")  # replaces
    desk.ws.record_meeting_note(leaders.id, "N2", "")  # nothing said: left out

    log.record_survey(iid, "1.1", "Leaders are visible", "58%")
    log.record_survey(iid, "1.2", "Workload is manageable", "41%")
    open_gap = log.raise_gap(iid, "1.1.a", "Ask partners whether they know the vision.")
    done = log.raise_gap(iid, "N1", "Was the vision consulted on?")
    log.answer_gap(done.id, "Yes, with staff in autumn.")
    log.raise_gap(iid, "1.3", "Services gap: not about leadership.")
    log.record_judgement(iid, "1.1", "Good", "Strong plan.")
    judged = log.record_judgement(iid, "1.1", "Requires improvement", "Vision not known by staff.")

    t = log.triangulation(iid, "1.1")
    assert t.question_id == "1.1" and t.question.title == "Leadership"  # type: ignore[union-attr]
    assert t.scope == ("1.1", "1.1.a", "1.1.b", "1.1.c", "N1", "N2")
    assert [d.id for d in t.documents] == [plan.id, audit.id, minutes.id]
    groups = {g.group_id: g for g in t.notes_by_group}
    assert [g.group_id for g in t.notes_by_group] == [
        "senior_leaders", "practitioners_po", "practitioners_pso",
    ]  # the set's order of groups  # fmt: skip
    assert [(n.note, n.head_count) for n in groups["practitioners_po"].notes] == [
        ("Most had not heard of the vision.", 6)
    ]
    assert [(n.note, n.head_count) for n in groups["practitioners_pso"].notes] == [
        ("Most had not heard of the vision.", 4)
    ]
    [said] = groups["senior_leaders"].notes
    assert (said.note, said.kind, said.held_on, said.question_id) == (
        "Vision launched in January.", MeetingKind.MEETING, date(2026, 3, 4), "N1",
    )  # fmt: skip
    assert groups["senior_leaders"].label == "Senior leaders (head of PDU, regional director)"
    assert [(s.label, s.value) for s in t.surveys] == [("Leaders are visible", "58%")]
    assert [g.id for g in t.open_gaps] == [open_gap.id]
    assert t.judgement == judged and [j.rating for j in t.history] == [
        "Good", "Requires improvement",
    ]  # fmt: skip
    assert t.scale == tuple(SCALE.split(", "))

    # A non-case question on its own: its own notes and documents only.
    n3 = log.triangulation(iid, "N3")
    assert n3.scope == ("N3",) and n3.documents == () and n3.judgement is None
    assert [n.note for g in n3.notes_by_group for n in g.notes] == ["Caseloads around 60."] * 2
    assert "1.1.a is a prompt of 1.1 Leadership" in refused(lambda: log.triangulation(iid, "1.1.a"))


# -- export, merge, the hub ------------------------------------------------------------------------


def _record_evidence(lt: Laptop, iid: str) -> dict[str, str]:
    """An assessor's evidence log: documents (one with a file), gaps, judgements, surveys."""
    log = EvidenceLog(lt.ws)
    pdf = bytes(range(256)) * 4000  # ~1 MB, every byte value
    f = lt.paths.data / "quality-audit.pdf"
    f.write_bytes(pdf)
    audit = log.add_document(iid, "Quality audit Q3", "audit", date(2026, 10, 20), ["1.1.b"], f)
    log.add_document(iid, "Staffing return", "workforce", date(2026, 10, 21), ["1.2", "N3"])
    gap = log.raise_gap(iid, "1.2", "PSO vacancies not given.")
    meeting = lt.ws.save_meeting(
        iid, MeetingKind.FOCUS_GROUP, date(2026, 11, 3), "Middle managers",
        [GroupAttendance("middle_managers", 5)], ["N3", "N4"],
    )  # fmt: skip
    lt.ws.record_meeting_note(meeting.id, "N3", "Two SPO posts vacant.")
    log.plan_gap(gap.id, meeting.id)
    log.record_judgement(iid, "1.2", "Good", "Staffing recovering.")
    log.record_judgement(iid, "1.2", "Requires improvement", "Caseloads still high.")
    log.record_survey(iid, "1.2", "Workload is manageable", "41%")
    return {"audit": audit.id, "sha": audit.attachment_sha256 or "", "gap": gap.id}


def test_an_evidence_log_travels_through_export_and_merge_intact(
    tmp_path: Path,
    hub_url: str,
) -> None:
    world = setup_inspection(tmp_path / "w", [("E100001", "Bolton", AB, {})], ["Bolton"])
    try:
        lt, iid = world.assessors[AB], world.inspection_id
        ids = _record_evidence(lt, iid)
        local = EvidenceLog(lt.ws)
        pooled = export(world, AB)
        assert lt.ws.unexported_count() == 0  # org events count as exported work

        # The team lead judges on their own laptop: the merge brings that into the hub too.
        lead_log = EvidenceLog(world.lead.ws)
        lead_file = world.lead.paths.data / "regional-plan.pdf"
        lead_file.write_bytes(b"%PDF fictional regional plan")
        lead_doc = lead_log.add_document(
            iid, "Regional plan", "strategy", date(2026, 10, 1), ["1.3"], lead_file
        )
        lead_judgement = lead_log.record_judgement(iid, "1.3", "Good", "Services well used.")

        first = merge(hub_url, world.lead, world.folder([pooled]))
        assert states(first) == {pooled.path.name: hubs.MERGED}
        assert first[0].counts["evidence_events"] == 7 and first[0].counts["attachments"] == 1
        hub = Hub(hub_url)
        try:
            arrived = hubs.hub_org_state(hub, iid)
            data = hubs.hub_attachment(hub, ids["sha"])
            counts = hub.counts()
        finally:
            hub.close()
        assert arrived.judgements["1.3"] == lead_judgement
        assert lead_doc in arrived.documents
        from_ab = OrgState(
            tuple(d for d in arrived.documents if d.id != lead_doc.id),
            arrived.gaps,
            {q: j for q, j in arrived.judgements.items() if q != "1.3"},
            {q: h for q, h in arrived.histories.items() if q != "1.3"},
            arrived.surveys,
        )
        assert from_ab == local.state(iid)  # documents, gaps, judgements, histories, surveys
        assert data == local.attachment(ids["sha"])
        assert hashlib.sha256(data).hexdigest() == ids["sha"]
        [doc] = [d for d in arrived.documents if d.id == ids["audit"]]
        assert (doc.attachment_name, doc.size) == ("quality-audit.pdf", len(data))
        assert [j.rating for j in arrived.histories["1.2"]] == ["Good", "Requires improvement"]
        assert arrived.judgements["1.2"].recorded_by == AB
        assert arrived.gap(ids["gap"]).state is GapState.PLANNED  # type: ignore[union-attr]
        assert (counts["hub_org_event"], counts["hub_attachment"]) == (7 + 2, 1 + 1)

        # Merging again, or a copy of the same package, changes nothing.
        again = merge(hub_url, world.lead, world.folder([pooled]))
        assert states(again) == {pooled.path.name: hubs.ALREADY}
        # A later, cumulative package carries the whole log again and only adds what is new.
        local.answer_gap(ids["gap"], "Three PSO vacancies.")
        local.withdraw_document(ids["audit"], "Superseded by the Q4 audit.")
        later = export(world, AB)
        assert states(merge(hub_url, world.lead, world.folder([pooled, later]))) == {
            pooled.path.name: hubs.ALREADY, later.path.name: hubs.MERGED,
        }  # fmt: skip
        hub = Hub(hub_url)
        try:
            final = hubs.hub_org_state(hub, iid)
            counts = hub.counts()
            assert hubs.hub_attachment(hub, ids["sha"]) == data
            assert "no attached file" in refused(lambda: hubs.hub_attachment(hub, "0" * 64))
            assert "holds no inspection" in refused(lambda: hubs.hub_org_state(hub, "nope"))
        finally:
            hub.close()
        assert final.judgements["1.3"] == lead_judgement
        assert [d for d in final.documents if d.id != lead_doc.id] == list(
            local.state(iid).documents
        )
        assert final.gaps == local.state(iid).gaps
        assert final.gap(ids["gap"]).state is GapState.ANSWERED  # type: ignore[union-attr]
        assert final.document(ids["audit"]).withdrawn  # type: ignore[union-attr]
        assert (counts["hub_org_event"], counts["hub_attachment"]) == (9 + 2, 1 + 1)
    finally:
        world.close()


def test_an_attached_file_travels_until_a_receipt_says_it_was_merged(tmp_path: Path) -> None:
    """Packages are cumulative, but a 10 MB file is not sent for ever: once a receipt says the
    hub merged a package carrying it, later packages carry the document without the file."""
    world = setup_inspection(tmp_path / "w", [("E100002", "Bolton", AB, {})], ["Bolton"])
    try:
        lt, iid = world.assessors[AB], world.inspection_id
        ids = _record_evidence(lt, iid)
        first = export(world, AB)
        again = export(world, AB)  # no receipt yet: the file goes again
        assert lt.fw.build_events_payload(iid)[1].get("attachments") == 1
        shared = world.folder([first])
        url = world.sqlite_url()
        assert states(merge(url, world.lead, shared)) == {first.path.name: hubs.MERGED}
        # The receipt for `first` also covers `again`: the same events, cumulative.
        assert lt.fw.check_receipts(shared) == 2
        payload, counts = lt.fw.build_events_payload(iid)
        assert counts.get("attachments", 0) == 0 and payload["attachments"] == []
        assert any(e["kind"] == "document" for e in payload["org_events"])  # still cumulative
        # A file logged after the receipt travels until its own receipt.
        extra = lt.paths.data / "vacancies.xlsx"
        extra.write_bytes(b"fictional vacancy figures")
        newer = EvidenceLog(lt.ws).add_document(
            iid, "Vacancies by team", "workforce", date(2026, 10, 25), ["1.2"], extra
        )
        payload, counts = lt.fw.build_events_payload(iid)
        assert [a["sha256"] for a in payload["attachments"]] == [newer.attachment_sha256]
        later = export(world, AB)

        # The later package alone: the documents arrive, the earlier file is not there yet...
        alone = world.sqlite_url()
        assert states(merge(alone, world.lead, world.folder([later]))) == {
            later.path.name: hubs.MERGED
        }
        hub = Hub(alone)
        try:
            assert hubs.hub_org_state(hub, iid).document(ids["audit"]) is not None
            assert "no attached file" in refused(lambda: hubs.hub_attachment(hub, ids["sha"]))
        finally:
            hub.close()
        # ...and with the packages that carried it, in any order, everything is there.
        both = world.sqlite_url()
        merge(both, world.lead, world.folder([later, again, first]))
        hub = Hub(both)
        try:
            assert hubs.hub_attachment(hub, ids["sha"]) == EvidenceLog(lt.ws).attachment(ids["sha"])
            assert hubs.hub_attachment(hub, newer.attachment_sha256 or "") == extra.read_bytes()
        finally:
            hub.close()
    finally:
        world.close()


def _package(lt: Laptop, iid: str, change: Callable[[dict[str, object]], None], out: Path) -> Path:
    """An events package written by the laptop's own keys, with its payload changed first."""
    payload, counts = lt.fw.build_events_payload(iid)
    change(payload)
    device = lt.ws.device()
    package_id, data = writer.build_package(
        kind="events", payload=payload, inspection_id=iid, device_id=device.id,
        hlc=device.last_hlc, counts=counts, extra={"seq_to": device.last_seq}, signer=lt.fw.keys,
        recipients=lt.fw._recipients(iid),
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    return writer.write_atomically(data, out, writer.package_file_name("events", package_id))


def test_packages_from_before_domain_one_evidence_still_merge(tmp_path: Path) -> None:
    world = setup_inspection(tmp_path / "w", [("E100001", "Bolton", AB, {})], ["Bolton"])
    try:
        lt, iid = world.assessors[AB], world.inspection_id
        case = lt.ws.cases(iid)[0]
        lt.ws.record_answer(case.id, "2.1.1", "yes")

        def old_format(p: dict[str, object]) -> None:
            del p["org_events"], p["attachments"]

        folder = world.folder()
        _package(lt, iid, old_format, folder)
        url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
        assert set(states(merge(url, world.lead, folder)).values()) == {hubs.MERGED}
        hub = Hub(url)
        try:
            assert hubs.hub_org_state(hub, iid) == OrgState()
            assert len(hub.events_of(iid)) == 1
        finally:
            hub.close()
    finally:
        world.close()


def test_a_package_whose_attachment_does_not_match_is_rejected(tmp_path: Path) -> None:
    world = setup_inspection(tmp_path / "w", [("E100001", "Bolton", AB, {})], ["Bolton"])
    try:
        lt, iid = world.assessors[AB], world.inspection_id
        _record_evidence(lt, iid)

        def tampered(p: dict[str, object]) -> None:
            files = p["attachments"]
            assert isinstance(files, list)
            text = files[0]["data"]
            flipped = "B" if text[100] == "A" else "A"  # one byte changed, same size
            files[0]["data"] = text[:100] + flipped + text[101:]

        folder = world.folder()
        _package(lt, iid, tampered, folder)
        url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
        [outcome] = merge(url, world.lead, folder)
        assert outcome.state == hubs.REJECTED
        assert "does not match its checksum" in outcome.reason
        hub = Hub(url)
        try:
            assert hub.counts()["hub_org_event"] == 0 and hub.counts()["hub_package"] == 0
        finally:
            hub.close()
    finally:
        world.close()


def test_a_hub_of_the_previous_schema_gains_the_evidence_tables(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite"
    Hub(f"sqlite:///{path}").close()
    with rawdb.connect(path) as db:  # a hub as the previous release left it
        db.execute("DROP TABLE hub_org_event")
        db.execute("DROP TABLE hub_attachment")
        db.execute("UPDATE hub_meta SET value = '1' WHERE key = 'schema'")
    db.close()
    hub = Hub(f"sqlite:///{path}")
    try:
        assert hub.counts()["hub_org_event"] == 0 and hub.counts()["hub_attachment"] == 0
    finally:
        hub.close()
    with rawdb.connect(path) as db:
        assert db.execute("SELECT value FROM hub_meta WHERE key = 'schema'").fetchone() == (
            SCHEMA_VERSION,
        )
    db.close()


# -- the local store: a 0003 database upgrades --------------------------------------------------


def test_a_0003_database_upgrades_and_takes_evidence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(FIXTURES / "schema-0003.sqlite", data / DB_NAME)
    ws = Workspace.open(Paths.resolve(data))
    try:
        assert current_revision(ws.store.engine) == head_revision()
        (inspection,) = ws.inspections()
        # A set without domain one keeps the hash an earlier release stored for it.
        with ws.store.unit_of_work(read_only=True) as uow:
            stored = uow.question_sets.get(inspection.qs_hash)
        assert stored is not None
        assert loader.parse_text(stored.text).content_hash == inspection.qs_hash
        before = ws.device().last_seq
        log = EvidenceLog(ws)
        f = data / "caseload-report.xlsx"
        f.write_bytes(b"PK fictional caseload report")
        doc = log.add_document(
            inspection.id, "Caseload report", "data", date(2025, 3, 1), ["N3"], f
        )
        j = log.record_judgement(inspection.id, "N3", "", "Caseloads high in every team.")
        assert ws.device().last_seq == before + 2  # the same per-device sequence as answers
        t = log.triangulation(inspection.id, "N3")
        assert [d.id for d in t.documents] == [doc.id] and t.judgement == j
        # The focus group notes of the 0002-era meeting are there, by participant group.
        [po] = t.notes_by_group
        assert po.group_id == "practitioners_po"
        assert [n.note for n in po.notes] == ["Caseloads around 60; PQiPs hold high RoSH cases."]
        assert ws.audit_problems() == []
    finally:
        ws.close()
    conn = rawdb.connect(data / DB_NAME)
    try:
        (n,) = conn.execute("SELECT count(*) FROM org_event").fetchone()
        payload = json.loads(conn.execute("SELECT payload FROM org_event LIMIT 1").fetchone()[0])
    finally:
        conn.close()
    assert n == 2 and "title" in payload
