"""The inspector's use cases through probdesk.services.workspace.Workspace."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from probdesk.domain.records import CaseStatus, GroupAttendance, MeetingKind
from probdesk.errors import InputError, QuestionSetError
from probdesk.paths import Paths
from probdesk.services.workspace import CaseIncomplete, CaseNotEditable, Workspace

ROOT = Path(__file__).resolve().parents[2]
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"

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
CORE_KEYS = ["C1", "C2", "C3", "C4"]


@pytest.fixture
def ws(tmp_data_dir: Path) -> Workspace:
    workspace = Workspace.open(Paths.resolve(tmp_data_dir))
    yield workspace  # type: ignore[misc]
    workspace.close()


@pytest.fixture
def inspection_id(ws: Workspace) -> str:
    return ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    ).id


def new_case(
    ws: Workspace, inspection_id: str, reference: str = "CRN-0001", **facts: object
) -> str:
    return ws.add_case(inspection_id, reference, {**FACTS, **facts}).id


# -- inspections ------------------------------------------------------------------------------


def test_create_inspection(ws: Workspace) -> None:
    inspection = ws.create_inspection(
        "  North West ", " Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    assert (inspection.region, inspection.pdu) == ("North West", "Manchester North")
    assert (inspection.qs_id, inspection.qs_version) == (
        "dipp-public-protection",
        "2025.10-illustrative",
    )
    assert ws.inspections() == [inspection]
    assert ws.inspection(inspection.id) == inspection
    # The exact question-set text is kept with the data.
    with ws.store.unit_of_work() as uow:
        stored = uow.question_sets.get(inspection.qs_hash)
    assert stored is not None
    assert stored.text == QUESTION_SET.read_text(encoding="utf-8")
    assert ws.question_set(inspection).title == stored.title


@pytest.mark.parametrize(
    ("region", "pdu", "start", "end", "message"),
    [
        ("", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), "Enter the region."),
        ("   ", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), "Enter the region."),
        ("North West", "", date(2025, 3, 3), date(2025, 3, 7), "Enter the PDU."),
        ("North West", "Manchester", date(2025, 3, 7), date(2025, 3, 3), "end date is before"),
    ],
    ids=["empty-region", "blank-region", "empty-pdu", "end-before-start"],
)
def test_create_inspection_refuses_bad_input(
    ws: Workspace, region: str, pdu: str, start: date, end: date, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ws.create_inspection(region, pdu, start, end, QUESTION_SET)
    assert ws.inspections() == []


def test_create_inspection_lists_every_problem_at_once(ws: Workspace) -> None:
    with pytest.raises(InputError) as refused:
        ws.create_inspection("", "", date(2025, 3, 7), date(2025, 3, 3), QUESTION_SET)
    message = str(refused.value)
    for part in ("Enter the region.", "Enter the PDU.", "end date is before its start"):
        assert part in message


def test_create_inspection_refuses_an_invalid_question_set(ws: Workspace, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        QUESTION_SET.read_text(encoding="utf-8").replace("answer: yes_no\n", "answer: maybe\n", 1)
    )
    with pytest.raises(QuestionSetError) as refused:
        ws.create_inspection("North West", "Bolton", date(2025, 3, 3), date(2025, 3, 7), broken)
    assert str(broken) in str(refused.value)
    assert refused.value.problems and all(str(broken) in p for p in refused.value.problems)

    with pytest.raises(QuestionSetError):
        ws.create_inspection(
            "North West", "Bolton", date(2025, 3, 3), date(2025, 3, 7), tmp_path / "missing.yaml"
        )
    not_yaml = tmp_path / "not-yaml.yaml"
    not_yaml.write_text("id: [unclosed\n")
    with pytest.raises(QuestionSetError):
        ws.create_inspection("North West", "Bolton", date(2025, 3, 3), date(2025, 3, 7), not_yaml)
    assert ws.inspections() == []
    assert ws.unexported_count() == 0


# -- cases ------------------------------------------------------------------------------------


def test_add_case(ws: Workspace, inspection_id: str) -> None:
    ws.set_identity("AB", "inspector")
    case = ws.add_case(inspection_id, "  CRN-0001 ", {**FACTS, "mappa_category": ""})
    assert case.reference == "CRN-0001"
    assert case.facts == FACTS  # the empty optional fact is left out
    assert case.status is CaseStatus.NOT_STARTED
    assert case.assessor == "AB"
    assert ws.case(case.id) == case
    assert ws.cases(inspection_id) == [case]
    other = ws.add_case(inspection_id, "Pseudonym A", FACTS, assessor="CD")
    assert other.assessor == "CD"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "needs a reference"),
        ("   ", "needs a reference"),
        ("John Smith", "looks like a person's name"),
        ("mary o'brien", "looks like a person's name"),
        ("Anne-Marie Jones Smith", "looks like a person's name"),
        ("X" * 65, "at most 64 characters"),
        ("Siân Jones", "looks like a person's name"),
        ("Zoë O'Neill", "looks like a person's name"),
        ("Zoe\u0308 O'Neill", "looks like a person's name"),  # the same, decomposed
        ("SMITH, John", "looks like a person's name"),
        ("Smith,John", "looks like a person's name"),
        ("\u0645\u062d\u0645\u062f \u0639\u0644\u064a", "looks like a person's name"),
        ('=HYPERLINK("http://example.invalid","CRN")', "may not start with =, \\+, - or @"),
        ("+44123", "may not start with"),
        ("-0001", "may not start with"),
        ("@SUM(A1)", "may not start with"),
        ("CRN\n0001", "U\\+000A"),
        ("CRN\t0001", "U\\+0009"),
        ("CRN\u202e1000", "U\\+202E, right-to-left override"),
        ("CRN\u200b0001", "U\\+200B, zero width space"),
    ],
    ids=[
        "empty",
        "blank",
        "name",
        "name-lowercase",
        "name-three-words",
        "too-long",
        "name-welsh",
        "name-diaeresis",
        "name-decomposed",
        "name-surname-first",
        "name-comma-no-space",
        "name-arabic",
        "formula",
        "plus",
        "minus",
        "at",
        "newline",
        "tab",
        "bidi-override",
        "zero-width",
    ],
)
def test_add_case_refuses_bad_references(
    ws: Workspace, inspection_id: str, reference: str, message: str
) -> None:
    before = ws.unexported_count()
    with pytest.raises(InputError, match=message):
        ws.add_case(inspection_id, reference, FACTS)
    assert ws.cases(inspection_id) == []
    assert ws.unexported_count() == before


@pytest.mark.parametrize("reference", ["X123456", "A1", "Pseudonym A", "CRN-0001", "Case 12",
                                       "Achos 7", "Z000001/2"])  # fmt: skip
def test_add_case_takes_references_that_are_not_names(
    ws: Workspace, inspection_id: str, reference: str
) -> None:
    assert ws.add_case(inspection_id, reference, FACTS).reference == reference


@pytest.mark.parametrize("duplicate", ["CRN-0001", "crn-0001", "  Crn-0001  "])
def test_add_case_refuses_a_duplicate_reference(
    ws: Workspace, inspection_id: str, duplicate: str
) -> None:
    first = new_case(ws, inspection_id, "CRN-0001")
    before = ws.unexported_count()
    with pytest.raises(InputError, match="already used in this inspection"):
        ws.add_case(inspection_id, duplicate, {**FACTS, "contact_suspended": "yes"})
    assert [c.id for c in ws.cases(inspection_id)] == [first]
    assert ws.case(first).variant == "core"
    assert ws.unexported_count() == before


def test_the_same_reference_may_be_used_in_another_inspection(
    ws: Workspace, inspection_id: str
) -> None:
    other = ws.create_inspection(
        "Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4), QUESTION_SET
    )
    new_case(ws, inspection_id, "CRN-0001")
    new_case(ws, other.id, "CRN-0001")
    assert len(ws.cases(other.id)) == 1


def test_add_case_lists_every_missing_or_bad_fact(ws: Workspace, inspection_id: str) -> None:
    facts = {k: v for k, v in FACTS.items() if k not in ("rosh_level", "tier")}
    facts |= {"practitioner_grade": "manager", "contact_suspended": "maybe", "colour": "blue"}
    before = ws.unexported_count()
    with pytest.raises(InputError) as refused:
        ws.add_case(inspection_id, "CRN-0001", facts)
    message = str(refused.value)
    assert message.startswith("Case CRN-0001: ")
    for part in (
        "Risk of serious harm (RoSH) level is required",
        "Tier is required",
        "Grade of the responsible practitioner: 'manager' is not one of",
        "Supervision contact suspended early: 'maybe' is not one of",
        "'colour' is not a case fact",
    ):
        assert part in message
    assert ws.cases(inspection_id) == []
    assert ws.unexported_count() == before


def test_the_variant_follows_the_facts(ws: Workspace, inspection_id: str) -> None:
    core = ws.case(new_case(ws, inspection_id, "CRN-0001", contact_suspended="no"))
    adjusted = ws.case(new_case(ws, inspection_id, "CRN-0002", contact_suspended="yes"))
    assert (core.variant, adjusted.variant) == ("core", "adjusted")
    core_state, adjusted_state = ws.case_state(core.id), ws.case_state(adjusted.id)
    assert {"C1", "C2", "C3", "C4"} <= core_state.applicable
    assert not any(q.startswith("A") for q in core_state.applicable)
    assert {"A1", "A2", "A3", "A4"} <= adjusted_state.applicable
    assert not any(q.startswith("C") for q in adjusted_state.applicable)
    labels = {r.reference: r.variant for r in ws.case_rows(inspection_id)}
    assert labels == {"CRN-0001": "Core questions", "CRN-0002": "Adjusted questions"}


# -- answers ----------------------------------------------------------------------------------


def test_record_answers(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id)
    event = ws.record_answer(case_id, "C1", "yes", note="Good analysis of risk to partner.")
    assert event is not None and event.value == "yes" and event.replaces is None
    ws.record_answer(case_id, "C2.3", "na")  # yes / no / not applicable
    state = ws.case_state(case_id)
    assert state.answers == {"C1": "yes", "C2.3": "na"}
    assert state.notes == {"C1": "Good analysis of risk to partner."}
    assert state.case.status is CaseStatus.IN_PROGRESS
    assert set(state.saved_at) == {"C1", "C2.3"}

    # A value change keeps the note; a note change keeps the value.
    changed = ws.record_answer(case_id, "C1", "no")
    assert changed is not None and changed.replaces == event.id
    ws.record_note(case_id, "C2.3", "Not released during the period.")
    state = ws.case_state(case_id)
    assert state.answers == {"C1": "no", "C2.3": "na"}
    assert state.notes == {
        "C1": "Good analysis of risk to partner.",
        "C2.3": "Not released during the period.",
    }

    # Clearing an answer.
    ws.record_answer(case_id, "C2.3", None, note="")
    assert "C2.3" not in ws.case_state(case_id).answers
    assert ws.record_answer(case_id, "C3", None) is None  # nothing to clear


def test_record_answer_refuses_invalid_values(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id)
    ws.record_answer(case_id, "C1", "yes")
    before = ws.unexported_count()
    with pytest.raises(InputError, match="C1: 'maybe' is not one of yes, no"):
        ws.record_answer(case_id, "C1", "maybe")
    with pytest.raises(InputError, match=r"C1\.1: 'na' is not one of yes, no"):
        ws.record_answer(case_id, "C1.1", "na")  # yes/no only: no "not applicable"
    with pytest.raises(InputError, match="Z9 is not a question of"):
        ws.record_answer(case_id, "Z9", "yes")
    with pytest.raises(InputError, match="No case with id"):
        ws.record_answer("no-such-case", "C1", "yes")
    assert ws.case_state(case_id).answers == {"C1": "yes"}
    assert ws.unexported_count() == before


def test_recording_the_same_answer_again_adds_nothing(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id)
    first = ws.record_answer(case_id, "C1", "yes", note="n")
    before = ws.unexported_count()
    assert ws.record_answer(case_id, "C1", "yes") == first
    assert ws.record_answer(case_id, "C1", "yes", note="n") == first
    assert ws.unexported_count() == before
    assert len(ws.history(case_id, "C1")) == 1


def test_history_runs_old_to_new_with_who(ws: Workspace, inspection_id: str) -> None:
    ws.set_identity("AB", "inspector")
    case_id = new_case(ws, inspection_id)
    ws.record_answer(case_id, "C1", "yes")
    ws.record_answer(case_id, "C1", "no")
    ws.record_note(case_id, "C1", "Changed after practitioner interview.")
    ws.record_answer(case_id, "C1", None)
    history = ws.history(case_id, "C1")
    assert [(h.old_value, h.new_value, h.note_changed) for h in history] == [
        (None, "yes", False),
        ("yes", "no", False),
        ("no", "no", True),
        ("no", None, False),
    ]
    assert {h.recorded_by for h in history} == {"AB"}
    assert [h.hlc for h in history] == sorted(h.hlc for h in history)
    assert ws.history(case_id, "C2") == []


def test_history_names_this_laptop_before_an_identity_is_set(
    ws: Workspace, inspection_id: str
) -> None:
    case_id = new_case(ws, inspection_id)
    ws.record_answer(case_id, "C1", "yes")
    assert [h.recorded_by for h in ws.history(case_id, "C1")] == ["this laptop"]


def test_history_keeps_who_answered_after_the_identity_changes(
    ws: Workspace, inspection_id: str
) -> None:
    case_id = new_case(ws, inspection_id)
    ws.set_identity("AB", "inspector")
    ws.record_answer(case_id, "C1", "yes")
    ws.set_identity("CD", "inspector")
    ws.record_answer(case_id, "C1", "no")
    assert [h.recorded_by for h in ws.history(case_id, "C1")] == ["AB", "CD"]


def test_a_variant_switch_keeps_answers(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id)
    ws.record_answer(case_id, "C1", "yes", note="kept")
    ws.record_answer(case_id, "C1.1", "no")

    switched = ws.update_facts(case_id, {**FACTS, "contact_suspended": "yes"})
    assert switched.variant == "adjusted"
    state = ws.case_state(case_id)
    assert state.other_variant_answers == (("C1", "yes"), ("C1.1", "no"))
    assert state.answers == {"C1": "yes", "C1.1": "no"}  # kept, not deleted
    assert "C1" not in state.applicable and "A1" in state.applicable
    assert state.answered_applicable == 0
    ws.record_answer(case_id, "A1", "yes")

    back = ws.update_facts(case_id, FACTS)
    assert back.variant == "core"
    state = ws.case_state(case_id)
    assert state.other_variant_answers == (("A1", "yes"),)
    assert state.answers["C1"] == "yes" and state.answers["C1.1"] == "no"
    assert state.notes["C1"] == "kept"
    assert {"C1", "C1.1"} <= state.applicable
    assert state.answered_applicable == 2
    assert [h.new_value for h in ws.history(case_id, "C1")] == ["yes"]
    with ws.store.unit_of_work() as uow:
        details = [e.detail for e in uow.audit.entries(case_id) if e.action == "change_facts"]
    assert details == ["variant core->adjusted", "variant adjusted->core"]


def test_update_facts_refuses_bad_facts(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id)
    with pytest.raises(InputError, match="RoSH"):
        ws.update_facts(case_id, {**FACTS, "rosh_level": "extreme"})
    assert ws.case(case_id).facts == FACTS


def test_conditional_questions_follow_facts_and_answers(ws: Workspace, inspection_id: str) -> None:
    case_id = new_case(ws, inspection_id, domestic_abuse="yes", child_safeguarding="unknown")
    applicable = ws.case_state(case_id).applicable
    assert {"C1.4", "C1.7"} <= applicable  # requested? applies when indicated or not known
    assert not {"C1.5", "C1.6", "C1.8", "C1.9"} & applicable  # received / used: not yet
    assert not {"C1.10", "C1.11", "C1.12", "C2.5"} & applicable  # not MAPPA eligible
    assert {"C2.6", "C3.3", "C3.6", "C4.5"} <= applicable  # licence, high RoSH, DA

    ws.record_answer(case_id, "C1.4", "yes")
    assert "C1.5" in ws.case_state(case_id).applicable
    ws.record_answer(case_id, "C1.5", "yes")
    assert {"C1.5", "C1.6"} <= ws.case_state(case_id).applicable
    ws.record_answer(case_id, "C1.6", "yes")

    # "Not requested" switches off "received" and, through it, "used"; the answers are kept.
    ws.record_answer(case_id, "C1.4", "no")
    state = ws.case_state(case_id)
    assert not {"C1.5", "C1.6"} & state.applicable
    assert state.answers["C1.5"] == "yes" and state.answers["C1.6"] == "yes"
    assert state.answered_applicable == 1  # only C1.4 counts

    ws.update_facts(
        case_id,
        {
            **FACTS,
            "domestic_abuse": "no",
            "mappa_eligible": "yes",
            "mappa_level": "level2",
            "rosh_level": "low",
            "sentence_type": "community_order",
        },
    )
    applicable = ws.case_state(case_id).applicable
    assert not {"C1.4", "C1.5", "C1.6", "C1.7"} & applicable
    assert {"C1.10", "C1.11", "C1.12", "C2.5"} <= applicable
    assert not {"C2.6", "C3.3", "C3.6", "C4.5"} & applicable


# -- submit and reopen ------------------------------------------------------------------------


def test_submit_is_refused_until_every_applicable_key_question_is_answered(
    ws: Workspace, inspection_id: str
) -> None:
    case_id = new_case(ws, inspection_id)
    with pytest.raises(CaseIncomplete) as refused:
        ws.submit(case_id)
    assert [m.split(":")[0] for m in refused.value.missing] == CORE_KEYS
    assert "4 applicable key questions are not answered" in str(refused.value)
    assert refused.value.details[0].startswith("C1: Does assessment focus sufficiently")

    for qid in ("C1", "C2", "C1.1", "C2.1"):  # prompts do not block submission
        ws.record_answer(case_id, qid, "yes")
    with pytest.raises(CaseIncomplete) as refused:
        ws.submit(case_id)
    assert [m.split(":")[0] for m in refused.value.missing] == ["C3", "C4"]
    assert "2 applicable key questions are not answered" in str(refused.value)
    assert ws.case(case_id).status is CaseStatus.IN_PROGRESS

    ws.record_answer(case_id, "C3", "no")
    with pytest.raises(CaseIncomplete, match="1 applicable key question is not answered"):
        ws.submit(case_id)
    ws.record_answer(case_id, "C4", "yes")
    submitted = ws.submit(case_id)
    assert submitted.status is CaseStatus.SUBMITTED
    assert ws.case(case_id).status is CaseStatus.SUBMITTED


def test_a_submitted_case_cannot_be_changed_until_reopened(
    ws: Workspace, inspection_id: str
) -> None:
    case_id = new_case(ws, inspection_id)
    for qid in CORE_KEYS:
        ws.record_answer(case_id, qid, "yes")
    ws.submit(case_id)
    before = ws.unexported_count()
    with pytest.raises(CaseNotEditable, match="reopen it to change it"):
        ws.record_answer(case_id, "C1", "no")
    with pytest.raises(CaseNotEditable):
        ws.record_note(case_id, "C1", "late note")
    with pytest.raises(CaseNotEditable):
        ws.update_facts(case_id, {**FACTS, "contact_suspended": "yes"})
    with pytest.raises(CaseNotEditable):
        ws.submit(case_id)
    assert ws.unexported_count() == before
    assert ws.case_state(case_id).answers == dict.fromkeys(CORE_KEYS, "yes")

    reopened = ws.reopen(case_id)
    assert reopened.status is CaseStatus.IN_PROGRESS
    ws.record_answer(case_id, "C1", "no")
    assert ws.case_state(case_id).answers["C1"] == "no"
    with pytest.raises(InputError, match="in progress, not submitted"):
        ws.reopen(case_id)

    with ws.store.unit_of_work() as uow:
        audit = [(e.action, e.detail) for e in uow.audit.entries(case_id)]
    assert audit == [
        ("create", ""),
        ("submit", "in_progress->submitted"),
        ("reopen", "submitted->in_progress"),
    ]
    assert ws.audit_problems() == []


# -- the case list ----------------------------------------------------------------------------


def test_case_rows_count_answered_applicable_questions(ws: Workspace, inspection_id: str) -> None:
    ws.set_identity("AB", "inspector")
    untouched = new_case(ws, inspection_id, "CRN-0003")
    core = new_case(ws, inspection_id, "CRN-0001")
    adjusted = new_case(ws, inspection_id, "CRN-0002", contact_suspended="yes", rosh_level="low")

    for qid in ("C1", "C1.1", "C1.2", "C1.4"):
        ws.record_answer(core, qid, "yes")
    ws.record_answer(core, "C1.4", "no")  # switches C1.5 off ...
    ws.record_answer(core, "C1.5", "yes")  # ... so this answer does not count
    ws.record_answer(core, "C1.2", None)  # a cleared answer does not count
    ws.record_answer(adjusted, "A1", "yes")
    ws.record_answer(adjusted, "A3.2", "yes")  # high-RoSH only: not applicable here
    ws.record_answer(adjusted, "C1", "yes")  # another variant's question: not counted

    rows = {r.reference: r for r in ws.case_rows(inspection_id)}
    assert [r.reference for r in ws.case_rows(inspection_id)] == sorted(rows)
    for case_id, row in ((untouched, rows["CRN-0003"]), (core, rows["CRN-0001"]),
                         (adjusted, rows["CRN-0002"])):  # fmt: skip
        state = ws.case_state(case_id)
        assert row.id == case_id
        assert row.applicable == len(state.applicable)
        assert row.answered == state.answered_applicable
        assert row.assessor == "AB"
    assert (rows["CRN-0003"].answered, rows["CRN-0003"].status) == (0, CaseStatus.NOT_STARTED)
    assert (rows["CRN-0001"].answered, rows["CRN-0001"].status) == (3, CaseStatus.IN_PROGRESS)
    assert rows["CRN-0002"].answered == 1
    assert rows["CRN-0001"].applicable == 24  # licence, high RoSH, DA, no MAPPA, no children
    assert "A3.2" not in ws.case_state(adjusted).applicable


# -- meetings and focus groups ----------------------------------------------------------------


def test_meetings(ws: Workspace, inspection_id: str) -> None:
    meeting = ws.save_meeting(
        inspection_id,
        MeetingKind.FOCUS_GROUP,
        date(2025, 3, 5),
        "  Probation officers  ",
        [GroupAttendance("practitioners_po", 6), GroupAttendance("practitioners_pqip", 2)],
        ["N3", "N5"],
    )
    assert meeting.title == "Probation officers"
    assert meeting.groups == (
        GroupAttendance("practitioners_po", 6),
        GroupAttendance("practitioners_pqip", 2),
    )
    assert ws.meetings(inspection_id) == [meeting]

    updated = ws.save_meeting(
        inspection_id, MeetingKind.FOCUS_GROUP, date(2025, 3, 5), "Probation officers",
        [GroupAttendance("practitioners_po", 7)], ["N3"], meeting_id=meeting.id,
    )  # fmt: skip
    assert updated.id == meeting.id and updated.groups == (GroupAttendance("practitioners_po", 7),)
    assert ws.meetings(inspection_id) == [updated]
    with ws.store.unit_of_work() as uow:
        assert [e.action for e in uow.audit.entries(meeting.id)] == ["create", "update"]


@pytest.mark.parametrize(
    ("groups", "questions", "message"),
    [
        ([GroupAttendance("astronauts", 3)], ["N1"], "unknown participant group 'astronauts'"),
        ([GroupAttendance("senior_leaders", 0)], ["N1"], "head count for senior_leaders must be"),
        ([GroupAttendance("senior_leaders", -2)], ["N1"], "must be 1 or more"),
        ([GroupAttendance("senior_leaders", 2)], ["N99"], "unknown non-case question 'N99'"),
        ([], ["N1"], "add at least one participant group"),
    ],
    ids=["unknown-group", "zero-head-count", "negative-head-count", "unknown-question", "none"],
)
def test_save_meeting_refuses_bad_input(
    ws: Workspace,
    inspection_id: str,
    groups: list[GroupAttendance],
    questions: list[str],
    message: str,
) -> None:
    before = ws.unexported_count()
    with pytest.raises(InputError, match=message):
        ws.save_meeting(
            inspection_id, MeetingKind.MEETING, date(2025, 3, 5), "Leaders", groups, questions
        )
    assert ws.meetings(inspection_id) == []
    assert ws.unexported_count() == before


def test_meeting_notes_are_events_and_the_latest_wins(ws: Workspace, inspection_id: str) -> None:
    meeting = ws.save_meeting(
        inspection_id, MeetingKind.MEETING, date(2025, 3, 5), "Leaders",
        [GroupAttendance("senior_leaders", 2)], ["N1", "N2"],
    )  # fmt: skip
    first = ws.record_meeting_note(meeting.id, "N1", "Strategy shared at team meetings.")
    second = ws.record_meeting_note(meeting.id, "N1", "Strategy shared, but not with partners.")
    ws.record_meeting_note(meeting.id, "N2", "Monthly dip samples.")
    assert first is not None and second is not None and second.replaces == first.id
    assert ws.meeting_notes(meeting.id) == {
        "N1": "Strategy shared, but not with partners.",
        "N2": "Monthly dip samples.",
    }
    before = ws.unexported_count()
    assert ws.record_meeting_note(meeting.id, "N1", "Strategy shared, but not with partners.") == (
        second
    )
    assert ws.unexported_count() == before
    with ws.store.unit_of_work() as uow:
        events = uow.meetings.notes(meeting.id)
    assert [e.note for e in events if e.question_id == "N1"] == [
        "Strategy shared at team meetings.",
        "Strategy shared, but not with partners.",
    ]
    with pytest.raises(InputError, match="No meeting"):
        ws.record_meeting_note("no-such-meeting", "N1", "x")


def test_a_meeting_note_needs_a_question_of_the_meeting(ws: Workspace, inspection_id: str) -> None:
    meeting = ws.save_meeting(
        inspection_id, MeetingKind.MEETING, date(2025, 3, 5), "Leaders",
        [GroupAttendance("senior_leaders", 2)], ["N1"],
    )  # fmt: skip
    before = ws.unexported_count()
    with pytest.raises(InputError, match="N99"):
        ws.record_meeting_note(meeting.id, "N99", "lost note")
    with pytest.raises(InputError, match="N2"):  # a real question, but not of this meeting
        ws.record_meeting_note(meeting.id, "N2", "lost note")
    assert ws.meeting_notes(meeting.id) == {}
    assert ws.unexported_count() == before


# -- the export counter -----------------------------------------------------------------------


def test_unexported_count_grows_with_every_recorded_change(
    ws: Workspace, inspection_id: str
) -> None:
    counts = [ws.unexported_count()]
    case_id = new_case(ws, inspection_id)
    counts.append(ws.unexported_count())
    ws.record_answer(case_id, "C1", "yes")
    counts.append(ws.unexported_count())
    ws.record_note(case_id, "C1", "note")
    counts.append(ws.unexported_count())
    ws.update_facts(case_id, {**FACTS, "rosh_level": "medium"})
    counts.append(ws.unexported_count())
    meeting = ws.save_meeting(
        inspection_id, MeetingKind.MEETING, date(2025, 3, 5), "Leaders",
        [GroupAttendance("senior_leaders", 2)], ["N1"],
    )  # fmt: skip
    counts.append(ws.unexported_count())
    ws.record_meeting_note(meeting.id, "N1", "note")
    counts.append(ws.unexported_count())
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    assert ws.device().last_seq - ws.device().exported_seq == counts[-1]


# -- everything survives a restart ------------------------------------------------------------

SNAPSHOT = r"""
import json, sys
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace

def plain(value):
    return list(value) if isinstance(value, tuple) else value

def snapshot(ws):
    out = {"device": {"assessor": ws.device().assessor, "role": ws.device().role,
                      "unexported": ws.unexported_count()},
           "audit_problems": ws.audit_problems(), "inspections": []}
    for i in ws.inspections():
        item = {"id": i.id, "region": i.region, "pdu": i.pdu,
                "start": i.fieldwork_start.isoformat(), "end": i.fieldwork_end.isoformat(),
                "qs": [i.qs_id, i.qs_version, i.qs_hash], "cases": [], "meetings": [],
                "rows": [[r.reference, r.variant, r.status.value, r.answered, r.applicable,
                          r.assessor] for r in ws.case_rows(i.id)]}
        for c in ws.cases(i.id):
            st = ws.case_state(c.id)
            item["cases"].append({
                "id": c.id, "reference": c.reference, "facts": c.facts, "variant": c.variant,
                "status": c.status.value, "assessor": c.assessor,
                "answers": {k: plain(v) for k, v in sorted(st.answers.items())},
                "notes": dict(sorted(st.notes.items())),
                "applicable": sorted(st.applicable),
                "other_variant_answers": [[q, plain(v)] for q, v in st.other_variant_answers],
                "history": {q: [[h.recorded_by, plain(h.old_value), plain(h.new_value),
                                 h.note_changed] for h in ws.history(c.id, q)]
                            for q in sorted(st.answers)},
            })
        for m in ws.meetings(i.id):
            item["meetings"].append({
                "id": m.id, "kind": m.kind.value, "held_on": m.held_on.isoformat(),
                "title": m.title, "groups": [[g.group_id, g.head_count] for g in m.groups],
                "questions": list(m.questions), "notes": ws.meeting_notes(m.id)})
        out["inspections"].append(item)
    return out

if __name__ == "__main__":
    ws = Workspace.open(Paths.resolve(sys.argv[1]))
    try:
        print(json.dumps(snapshot(ws), sort_keys=True))
    finally:
        ws.close()
"""


def test_everything_survives_a_restart_in_a_new_process(tmp_data_dir: Path) -> None:
    ws = Workspace.open(Paths.resolve(tmp_data_dir))
    ws.set_identity("AB", "team_lead")
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    submitted = new_case(ws, inspection.id, "CRN-0001")
    for qid in CORE_KEYS:
        ws.record_answer(submitted, qid, "yes", note=f"evidence {qid} – “quoted”, naïve café")
    ws.submit(submitted)
    switched = new_case(ws, inspection.id, "CRN-0002", child_safeguarding="unknown")
    ws.record_answer(switched, "C1", "no")
    ws.record_answer(switched, "C1.7", "yes")
    ws.update_facts(
        switched, {**FACTS, "child_safeguarding": "unknown", "contact_suspended": "yes"}
    )
    ws.record_answer(switched, "A1", "yes")
    ws.record_answer(switched, "A1", "no")
    new_case(ws, inspection.id, "CRN-0003")
    meeting = ws.save_meeting(
        inspection.id, MeetingKind.FOCUS_GROUP, date(2025, 3, 5), "POs",
        [GroupAttendance("practitioners_po", 6)], ["N3", "N5"],
    )  # fmt: skip
    ws.record_meeting_note(meeting.id, "N3", "first")
    ws.record_meeting_note(meeting.id, "N3", "Caseloads around 60.")
    namespace: dict[str, object] = {"__name__": "snapshot"}
    exec(SNAPSHOT, namespace)
    expected = json.loads(json.dumps(namespace["snapshot"](ws), sort_keys=True))  # type: ignore[operator]
    ws.close()

    proc = subprocess.run(
        [sys.executable, "-c", SNAPSHOT, str(tmp_data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen == expected

    # And the snapshot is about real content, not two empty lists.
    assert seen["device"] == {"assessor": "AB", "role": "team_lead", "unexported": 16}
    assert seen["audit_problems"] == []
    (insp,) = seen["inspections"]
    cases = {c["reference"]: c for c in insp["cases"]}
    assert cases["CRN-0001"]["status"] == "submitted"
    assert cases["CRN-0001"]["notes"]["C1"] == "evidence C1 – “quoted”, naïve café"
    assert cases["CRN-0002"]["variant"] == "adjusted"
    assert cases["CRN-0002"]["answers"] == {"A1": "no", "C1": "no", "C1.7": "yes"}
    assert cases["CRN-0002"]["other_variant_answers"] == [["C1", "no"], ["C1.7", "yes"]]
    assert cases["CRN-0002"]["history"]["A1"] == [
        ["AB", None, "yes", False],
        ["AB", "yes", "no", False],
    ]
    assert cases["CRN-0003"]["status"] == "not_started"
    assert insp["meetings"][0]["notes"] == {"N3": "Caseloads around 60."}
    assert insp["meetings"][0]["groups"] == [["practitioners_po", 6]]


def test_one_cases_row_is_the_same_as_in_the_whole_list(ws: Workspace, inspection_id: str) -> None:
    """After an answer the window reads one case's row (#18: each keypress read the whole
    inspection): it is the row the whole list has, and another inspection's case has none."""
    first = new_case(ws, inspection_id, "CRN-0001")
    second = new_case(ws, inspection_id, "CRN-0002", domestic_abuse="no")
    ws.record_answer(first, "C1", "yes")
    ws.record_answer(second, "C1", "no")
    ws.record_answer(second, "C1", "yes")  # a replaced answer: only the head counts
    ws.record_answer(second, "C2", "no")
    whole = {r.id: r for r in ws.case_rows(inspection_id)}
    for case_id in (first, second):
        assert ws.case_rows(inspection_id, case_id) == [whole[case_id]]
    assert whole[second].answered == 2 and whole[first].answered == 1
    other = ws.create_inspection(
        "North West", "Bolton", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    ).id
    assert ws.case_rows(other, first) == []
