"""The team lead's read of one case in the hub (#16, part 1; probdesk.services.review): every
question of the case with the answer that stands, its note, author, laptop and time, every
other answer to it, the undecided conflicts and the moderation decisions, from a real hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rawdb
from hubworld import AB, CD, Inspection, build_world
from scenes import SECOND_DEVICE, two_laptop_conflict

from probdesk.errors import InputError
from probdesk.hub.store import Hub
from probdesk.paths import Paths
from probdesk.services import figures
from probdesk.services import hub as hubs
from probdesk.services import review as reviews
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspection]:
    w = build_world(tmp_path_factory.mktemp("case-review") / "world")
    yield w
    w.close()


@pytest.fixture
def merged(world: Inspection) -> Iterator[Hub]:
    """A new hub holding every package of the world."""
    hub = Hub(world.sqlite_url())
    try:
        hubs.merge(hub, world.lead.fw, world.folder(world.pool))
        yield hub
    finally:
        hub.close()


def test_every_answer_note_author_laptop_and_earlier_answer_of_every_case(
    world: Inspection, merged: Hub
) -> None:
    iid = world.inspection_id
    qs, cases = figures.load_cases(merged, iid)
    enrolled = {
        s.device_id: s.member
        for (insp, _public), s in merged.key_states().items()
        if insp == iid and s.enrolled
    }
    assert set(enrolled.values()) == {AB, CD}
    histories = 0
    for case in cases:
        r = reviews.case_review(merged, iid, case.reference)
        assert (r.reference, r.pdu, r.assessor, r.status) == (
            case.reference, case.pdu, case.assessor, case.status,
        )  # fmt: skip
        assert r.counted == (case.status in figures.COUNTED_STATUSES)
        assert r.assessor_role == "Inspector"
        assert [label for label, _v in r.facts] == [f.label for f in qs.facts]
        assert r.variant == qs.variant(str(case.variant)).label
        # Every question of the variant, in order, key question first in each section.
        asked = [q.id for s in qs.sections_for(case.variant) for q in s.questions]
        assert [q.question_id for q in r.questions] == asked
        for s in r.sections:
            assert s.questions[0].is_key and not any(q.is_key for q in s.questions[1:])
        applicable = qs.applicable(case.variant, case.facts, case.answers)
        by_id = {q.question_id: q for q in r.questions}
        for qid, q in by_id.items():
            assert q.applies == (qid in applicable)
            condition = qs.question(qid).applies_when
            if condition is not None:
                assert qs.describe(condition) in q.why
        # The answers that stand are the figures' (load_cases), with their notes.
        for qid, value in case.answers.items():
            q = by_id[qid]
            words = reviews.answer_text(qs.question(qid), value)
            assert q.current is not None and q.current.value == words
            if q.applies:
                assert (q.state, q.answer) == (reviews.ANSWERED, words)
        for qid, note in case.notes.items():
            assert by_id[qid].note == note
            assert by_id[qid].current is not None and by_id[qid].current.note == note
        # Every answer event of the case shows once: the one that stands, or in its history.
        events = sorted(merged.events_of_case(case.id), key=lambda e: (e.hlc, e.id))
        for qid in {e.question_id for e in events}:
            mine = [e for e in events if e.question_id == qid]
            q = by_id[qid]
            assert q.current is not None
            shown = [q.current, *q.history]
            assert len(shown) == len(mine)
            assert sorted(h.recorded_at for h in q.history) == [h.recorded_at for h in q.history]
            for entry in shown:
                assert entry.author == case.assessor
                assert entry.laptop.name == case.assessor  # the laptop's enrolled member
                assert enrolled[entry.laptop.device_id] == case.assessor
                assert entry.laptop.text == f"laptop {entry.laptop.device_id[:8]} ({entry.author})"
                assert not entry.decision and not entry.set_aside
            assert sorted(e.note for e in mine) == sorted(h.note for h in shown)
            histories += len(q.history)
        assert r.conflicts == () and r.moderation == ()
        statuses = [c.value for c in r.changes if c.field == "Status"]
        assert statuses and statuses[-1] == r.status_label

    assert histories > 0
    # A100001 was submitted, reopened, and its first key question changed after review.
    a1 = reviews.case_review(merged, iid, "A100001")
    changed = next(q for q in a1.questions if q.note == "Changed after review.")
    assert changed.is_key and changed.history
    assert changed.history[-1].value != changed.answer
    assert [c.value for c in a1.changes if c.field == "Status"][-2:] == [
        "Submitted", "In progress",
    ]  # fmt: skip
    assert not a1.can_moderate and "in progress" in a1.moderation_note


def test_moderation_decisions_show_oldest_first_and_the_latest_stands(
    world: Inspection, merged: Hub
) -> None:
    iid = world.inspection_id
    ref = "A100002"  # submitted in the world
    before = reviews.case_review(merged, iid, ref)
    assert before.status == "submitted" and before.counted and before.can_moderate
    assert before.moderation_note == "" and before.decision is None
    shared = world.folder()
    hubs.moderate(merged, world.lead.fw, iid, ref, "returned", "Look at 2.2.3\nagain.", shared)
    hubs.moderate(merged, world.lead.fw, iid, ref, "approved", "")
    r = reviews.case_review(merged, iid, ref)
    assert [(m.action, m.words, m.moderator, m.comment) for m in r.moderation] == [
        ("returned", "Returned to assessor", "Terry Lead", "Look at 2.2.3\nagain."),
        ("approved", "Approved", "Terry Lead", ""),
    ]
    assert r.decision == r.moderation[-1]
    assert [m.at for m in r.moderation] == sorted(m.at for m in r.moderation)
    # Another case's decisions are not this one's.
    assert reviews.case_review(merged, iid, "C100001").moderation == ()


def test_the_references_and_the_groups_asked_for(world: Inspection, merged: Hub) -> None:
    iid = world.inspection_id
    assert reviews.case_review(merged, iid, " a100003 ").reference == "A100003"
    with pytest.raises(InputError) as refused:
        reviews.case_review(merged, iid, "NOPE1")
    assert str(refused.value) == f"No case NOPE1 in the hub's inspection {iid}."
    with pytest.raises(InputError, match="The hub holds no inspection not-an-inspection"):
        reviews.case_review(merged, "not-an-inspection", "A100001")

    progress = figures.progress(merged, iid)
    for row in progress:
        lines = reviews.group_cases(merged, iid, row.group, row.name)
        assert len(lines) == row.total
        assert [c.case_ref for c in lines] == sorted(c.case_ref for c in lines)
        got = {st: sum(c.status == st for c in lines) for st, _n in row.by_status}
        assert got == dict(row.by_status)
        for c in lines:
            assert c.counted == (c.status in figures.COUNTED_STATUSES)
            assert (c.assessor if row.group == "assessor" else c.pdu) == row.name
    with pytest.raises(InputError, match="by assessor or by PDU"):
        reviews.group_cases(merged, iid, "region", "Wales")


# -- two laptops answer the same question --------------------------------------------------------


@pytest.fixture
def conflict(tmp_path: Path) -> Iterator[tuple[Hub, Fieldwork, str, Path]]:
    root, iid = two_laptop_conflict(tmp_path / "conflict")
    paths = Paths.resolve(root / "lead")
    ws = Workspace.open(paths)
    lead = Fieldwork(ws, paths)
    hub = rawdb.hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        hubs.merge(hub, lead, root / "shared")
        yield hub, lead, iid, root / "shared"
    finally:
        hub.close()
        ws.close()


def test_a_conflict_its_sides_the_history_and_the_leads_decision(
    conflict: tuple[Hub, Fieldwork, str, Path],
) -> None:
    hub, lead, iid, shared = conflict
    r = reviews.case_review(hub, iid, "X100001")
    c1 = next(q for q in r.questions if q.question_id == "C1")
    assert (c1.state, c1.answer, c1.note, c1.conflict) == (
        reviews.ANSWERED, "Yes", "seen on the second laptop", True,
    )  # fmt: skip
    assert c1.current is not None and c1.current.laptop.device_id == SECOND_DEVICE
    assert c1.current.laptop.text == "laptop 22222222 (AB)"
    # The first laptop's Yes, then its No, oldest first; nothing set aside yet.
    assert [(h.value, h.author, h.set_aside) for h in c1.history] == [
        ("Yes", "AB", False), ("No", "AB", False),
    ]  # fmt: skip
    first = c1.history[0].laptop
    assert first.device_id != SECOND_DEVICE and first.name == "AB"
    c11 = next(q for q in r.questions if q.question_id == "C1.1")
    assert c11.answer == "Yes" and c11.history == () and not c11.conflict
    assert [q.state for q in r.questions if q.question_id not in ("C1", "C1.1")] and all(
        q.current is None for q in r.questions if q.question_id not in ("C1", "C1.1")
    )
    [found] = r.conflicts
    assert (found.kind, found.question_id) == ("conflict", "C1")
    assert found.about == c1.text
    assert [(s.value, s.note, s.laptop.device_id == SECOND_DEVICE) for s in found.sides] == [
        ("Yes", "seen on the second laptop", True), ("No", "", False),
    ]  # fmt: skip
    assert r.status == "in_progress" and not r.counted and not r.can_moderate
    assert r.moderation_note == (
        "Only a submitted or returned case can be approved or returned: this one is in progress."
    )

    # The lead keeps the first laptop's No: the decision stands, the second laptop's Yes is
    # set aside (kept in the history), and the conflict is gone.
    hubs.resolve_conflict(hub, lead, iid, "X100001", "C1", keep=2)
    r = reviews.case_review(hub, iid, "X100001")
    c1 = next(q for q in r.questions if q.question_id == "C1")
    assert c1.answer == "No" and not c1.conflict
    assert c1.current is not None and c1.current.decision and not c1.current.set_aside
    assert c1.current.laptop.device_id == lead.ws.device_id
    assert [(h.value, h.set_aside) for h in c1.history] == [
        ("Yes", False), ("No", False), ("Yes", True),
    ]  # fmt: skip
    assert c1.history[-1].note == "seen on the second laptop"
    assert [c.kind for c in r.conflicts] == ["parallel"]

    # A decision is shown whatever the case's status (the service records it).
    hubs.moderate(hub, lead, iid, "X100001", "returned", "Say why C1 is No.", shared)
    r = reviews.case_review(hub, iid, "X100001")
    assert r.decision is not None and r.decision.comment == "Say why C1 is No."


def test_the_states_are_the_case_summarys() -> None:
    """The PDF case summary prints the same walk of the questions (reports.py)."""
    from probdesk.reports import model

    assert (reviews.ANSWERED, reviews.NOT_ANSWERED, reviews.DID_NOT_APPLY) == (
        model.ANSWERED, model.NOT_ANSWERED, model.DID_NOT_APPLY,
    )  # fmt: skip
