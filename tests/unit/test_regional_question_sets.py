"""The bundled, illustrative question sets for a regional inspection's own case sample:
unpaid work and the statutory victim contact scheme."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run

from probdesk import bundled
from probdesk.domain import loader
from probdesk.domain.questionset import QuestionSet

UNPAID_WORK = bundled.question_sets_dir() / "region-unpaid-work.yaml"
VICTIM_CONTACT = bundled.question_sets_dir() / "region-victim-contact.yaml"
REGIONAL = [UNPAID_WORK, VICTIM_CONTACT]

# Facts recorded for an unremarkable case, on which each test changes one thing.
UPW_BASE: dict[str, object] = {
    "sentence_type": "community_order",
    "hours_band": "up_to_100",
    "health_or_disability": "no",
    "rosh_level": "low",
    "risk_concerns": "no",
    "placement_type": "group",
    "non_compliance": "no",
    "practitioner_grade": "pso",
}
VC_BASE: dict[str, object] = {
    "offence_category": "violent",
    "sentence_kind": "determinate",
    "victim_opted_in": "yes",
    "victim_additional_needs": "no",
    "mappa_managed": "no",
    "release_due": "no",
}


def _applicable(qs: QuestionSet, facts: dict[str, object], answers: dict[str, object]) -> set[str]:
    variant = qs.variant_for(facts)
    assert variant is not None
    return set(qs.applicable(variant.id, facts, answers))


@pytest.fixture(scope="module")
def upw() -> QuestionSet:
    return loader.load(UNPAID_WORK)


@pytest.fixture(scope="module")
def vc() -> QuestionSet:
    return loader.load(VICTIM_CONTACT)


def test_both_regional_sets_are_bundled() -> None:
    assert set(REGIONAL) <= set(bundled.bundled_question_sets())


@pytest.mark.parametrize("path", REGIONAL, ids=lambda p: p.stem)
def test_regional_set_has_the_expected_shape(path: Path) -> None:
    qs = loader.load(path)
    assert qs.id == path.stem
    assert "illustrative" in qs.title.lower()
    assert "ILLUSTRATIVE" in qs.framework_notes
    # The same four-point scale as pdu-core, with standards and score bands.
    assert qs.ratings is not None
    assert [(lv.label, lv.min_percent, lv.points) for lv in qs.ratings.scale] == [
        ("Outstanding", 80, 3),
        ("Good", 65, 2),
        ("Requires improvement", 50, 1),
        ("Inadequate", 0, 0),
    ]
    assert qs.ratings.standards and qs.ratings.bands
    key_ids = {q.id for q in qs.key_questions}
    rated = {k for st in qs.ratings.standards for k in st.key_questions}
    assert rated == key_ids  # every key question belongs to a rated standard
    # At least four stages of the work, each a section with a key question and prompts.
    assert len(qs.sections) >= 4
    assert all(s.key_question.is_key and s.prompts for s in qs.sections)
    assert len({s.stage for s in qs.sections}) >= 4
    # Guidance and evidence on every key question.
    assert all(q.guidance and q.evidence for q in qs.key_questions)
    # Some conditional questions.
    assert any(q.applies_when is not None for q in qs.questions)
    # Non-case questions for meetings and focus groups, each with participant groups.
    groups = {g.id for g in qs.participant_groups}
    assert qs.non_case_questions
    assert all(n.groups and set(n.groups) <= groups for n in qs.non_case_questions)
    # Domain one, linked to the non-case questions.
    assert 2 <= len(qs.domain_one) <= 3
    non_case = {n.id for n in qs.non_case_questions}
    for d in qs.domain_one:
        assert d.prompts and d.non_case_questions
        assert set(d.non_case_questions) <= non_case


def test_content_hashes_differ_and_are_stable() -> None:
    first = [loader.load(p).content_hash for p in REGIONAL]
    second = [loader.load(p).content_hash for p in REGIONAL]
    assert first == second
    assert first[0] != first[1]
    others = {loader.load(p).content_hash for p in bundled.bundled_question_sets()}
    assert len(others) == len(bundled.bundled_question_sets())


def test_org_ids_do_not_clash_between_the_regional_sets(upw: QuestionSet, vc: QuestionSet) -> None:
    # Both sets serve the same regional inspection, so their evidence ids stay apart.
    assert not set(upw.org_question_ids) & set(vc.org_question_ids)
    assert not {q.id for q in upw.questions} & {q.id for q in vc.questions}


# -- unpaid work: what switches on and off ---------------------------------------------------


def test_unpaid_work_health_need_brings_in_adjustments(upw: QuestionSet) -> None:
    adjustments = {"UW1.4", "UW2.3"}
    assert not _applicable(upw, UPW_BASE, {}) & adjustments
    for value in ("yes", "unknown"):
        facts = {**UPW_BASE, "health_or_disability": value}
        assert _applicable(upw, facts, {}) >= adjustments
    # No placement started yet: the placement questions drop out.
    not_started = {**UPW_BASE, "health_or_disability": "yes", "placement_type": "not_started"}
    got = _applicable(upw, not_started, {})
    assert "UW1.4" in got and not got & {"UW2.2", "UW2.3"}


def test_unpaid_work_placement_type_and_hours_band(upw: QuestionSet) -> None:
    assert "UW2.4" not in _applicable(upw, UPW_BASE, {})
    assert "UW2.4" in _applicable(upw, {**UPW_BASE, "placement_type": "individual"}, {})
    assert "UW2.5" not in _applicable(upw, UPW_BASE, {})
    assert "UW2.5" in _applicable(upw, {**UPW_BASE, "hours_band": "201_to_300"}, {})
    risky = {**UPW_BASE, "risk_concerns": "unknown"}
    assert {"UW3.2", "UW3.3"} <= _applicable(upw, risky, {})


def test_unpaid_work_breach_chain_follows_the_answers(upw: QuestionSet) -> None:
    enforcement = {"UW4.2", "UW4.3", "UW4.4", "UW4.5"}
    assert not _applicable(upw, UPW_BASE, {}) & enforcement
    facts = {**UPW_BASE, "non_compliance": "yes"}
    # Breach action is asked only once the breach point is recorded as reached.
    assert "UW4.4" not in _applicable(upw, facts, {})
    assert "UW4.4" not in _applicable(upw, facts, {"UW4.3": "no"})
    assert _applicable(upw, facts, {"UW4.3": "yes"}) >= enforcement
    # The screening question does not count toward the findings; the others do.
    assert upw.question("UW4.3").counts is False
    assert upw.question("UW4.4").counts is True


def test_unpaid_work_completion_questions_need_the_hours_done(upw: QuestionSet) -> None:
    done = {"UW5.3", "UW5.4"}
    assert not _applicable(upw, UPW_BASE, {}) & done
    assert _applicable(upw, {**UPW_BASE, "order_completed": "yes"}, {}) >= done


# -- victim contact: what switches on and off ------------------------------------------------


def test_victim_representations_need_opt_in_and_release(vc: QuestionSet) -> None:
    representations = {q.id for q in vc.section_of("VC3").questions}
    assert not _applicable(vc, VC_BASE, {}) & representations  # release not due
    due = {**VC_BASE, "release_due": "yes"}
    assert _applicable(vc, due, {}) & representations == {"VC3", "VC3.1"}
    requested = {**due, "conditions_requested": "yes"}
    assert _applicable(vc, requested, {}) >= representations
    for opted in ("no", "unknown"):
        assert not _applicable(vc, {**requested, "victim_opted_in": opted}, {}) & representations
    # A victim who declined is asked about instead: the decision recorded, the way back in.
    declined = _applicable(vc, {**VC_BASE, "victim_opted_in": "no"}, {})
    assert "VC2.5" in declined and "VC2.2" not in declined


def test_victim_further_attempt_follows_the_answer(vc: QuestionSet) -> None:
    assert "VC1.4" not in _applicable(vc, VC_BASE, {})  # unanswered: nothing switches on
    assert "VC1.4" not in _applicable(vc, VC_BASE, {"VC1.3": "yes"})
    assert "VC1.4" in _applicable(vc, VC_BASE, {"VC1.3": "no"})
    assert vc.question("VC1.3").counts is False


def test_victim_facts_switch_mappa_parole_needs_and_closure(vc: QuestionSet) -> None:
    base = _applicable(vc, VC_BASE, {})
    assert not base & {"VC1.5", "VC2.3", "VC4.3", "VC5", "VC5.1", "VC5.2"}
    assert "VC4.3" in _applicable(vc, {**VC_BASE, "mappa_managed": "yes"}, {})
    assert "VC2.3" in _applicable(vc, {**VC_BASE, "sentence_kind": "indeterminate"}, {})
    assert "VC1.5" in _applicable(vc, {**VC_BASE, "victim_additional_needs": "unknown"}, {})
    assert {"VC5", "VC5.1", "VC5.2"} <= _applicable(vc, {**VC_BASE, "contact_ended": "yes"}, {})


# -- the command line ------------------------------------------------------------------------


def test_questionset_validate_accepts_both_regional_sets() -> None:
    done = run("questionset", "validate", *REGIONAL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": valid (") == 2
