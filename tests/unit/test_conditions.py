"""Conditions: evaluation, wording, and what applies to a case in the bundled DIPP set."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import yaml

from probdesk import bundled
from probdesk.domain import conditions as cond
from probdesk.domain import loader
from probdesk.domain.conditions import All, AnyOf, Compare, Env, Not
from probdesk.domain.questionset import QuestionSet


def ev(
    data: object,
    facts: Mapping[str, object] | None = None,
    answers: Mapping[str, object] | None = None,
) -> bool:
    return cond.evaluate(cond.parse(data), Env(facts=facts or {}, answers=answers or {}))


# -- parsing -----------------------------------------------------------------------------------


def test_parse_builds_the_tree() -> None:
    parsed = cond.parse(
        {"all": [{"fact": "a", "equals": "yes"}, {"not": {"answer": "q", "in": ["x", "y"]}}]}
    )
    assert parsed == All(
        (Compare("fact", "a", "equals", "yes"), Not(Compare("answer", "q", "in", ("x", "y"))))
    )
    assert cond.referenced_facts(parsed) == {"a"}
    assert cond.referenced_answers(parsed) == {"q"}


@pytest.mark.parametrize(
    "bad",
    [
        "fact a is yes",
        {"fact": "a"},
        {"fact": "a", "equals": "yes", "in": ["yes"]},
        {"equals": "yes"},
    ],
)
def test_parse_refuses_malformed_conditions(bad: object) -> None:
    with pytest.raises(cond.ConditionSyntaxError):
        cond.parse(bad)


# -- evaluation --------------------------------------------------------------------------------


def test_equals_on_facts_and_answers() -> None:
    assert ev({"fact": "da", "equals": "yes"}, facts={"da": "yes"})
    assert not ev({"fact": "da", "equals": "yes"}, facts={"da": "no"})
    assert ev({"answer": "q1", "equals": "no"}, answers={"q1": "no"})
    assert not ev({"answer": "q1", "equals": "no"}, facts={"q1": "no"})  # facts are not answers


def test_in() -> None:
    c = {"fact": "rosh", "in": ["high", "very_high"]}
    assert ev(c, facts={"rosh": "high"})
    assert ev(c, facts={"rosh": "very_high"})
    assert not ev(c, facts={"rosh": "low"})


def test_at_least_and_at_most() -> None:
    assert ev({"fact": "age", "at_least": 18}, facts={"age": 18})
    assert ev({"fact": "age", "at_least": 18}, facts={"age": "21"})
    assert not ev({"fact": "age", "at_least": 18}, facts={"age": 17.5})
    assert ev({"fact": "age", "at_most": 25}, facts={"age": 25})
    assert not ev({"fact": "age", "at_most": 25}, facts={"age": 26})
    assert not ev({"fact": "age", "at_least": 18}, facts={"age": "adult"})  # not a number
    assert not ev({"fact": "age", "at_least": 0}, facts={"age": True})  # booleans are not numbers


def test_numbers_compare_by_value() -> None:
    assert ev({"fact": "n", "equals": 2}, facts={"n": "2.0"})
    assert ev({"fact": "n", "in": [1, 2]}, facts={"n": 2})


def test_answered() -> None:
    assert ev({"answer": "q", "answered": True}, answers={"q": "no"})
    assert not ev({"answer": "q", "answered": True}, answers={})
    assert not ev({"answer": "q", "answered": True}, answers={"q": ""})
    assert ev({"answer": "q", "answered": False}, answers={"q": None})
    assert not ev({"answer": "q", "answered": False}, answers={"q": "yes"})
    assert ev({"fact": "tier", "answered": True}, facts={"tier": "B2"})


@pytest.mark.parametrize("empty", [(), [], frozenset()])
def test_a_multi_choice_with_nothing_picked_is_not_answered(empty: object) -> None:
    assert not ev({"answer": "q", "answered": True}, answers={"q": empty})
    assert ev({"answer": "q", "answered": False}, answers={"q": empty})


@pytest.mark.parametrize("op", ["equals", "in", "at_least", "at_most"])
@pytest.mark.parametrize("missing", [{}, {"x": None}, {"x": ""}])
def test_an_unrecorded_fact_matches_nothing(op: str, missing: dict[str, object]) -> None:
    operand: object = {"equals": "no", "in": ["no", "yes"], "at_least": 0, "at_most": 0}[op]
    assert not ev({"fact": "x", op: operand}, facts=missing)
    # so "not" flips it: for an unrecorded fact, "not (x equals no)" holds.
    assert ev({"not": {"fact": "x", op: operand}}, facts=missing)


def test_an_unrecorded_fact_matches_answered_false_only() -> None:
    assert ev({"fact": "x", "answered": False}, facts={})
    assert not ev({"fact": "x", "answered": True}, facts={})


def test_all_any_not() -> None:
    yes = {"fact": "a", "equals": "yes"}
    no = {"fact": "a", "equals": "no"}
    facts = {"a": "yes"}
    assert ev({"all": [yes, yes]}, facts)
    assert not ev({"all": [yes, no]}, facts)
    assert ev({"any": [no, yes]}, facts)
    assert not ev({"any": [no, no]}, facts)
    assert ev({"not": no}, facts)
    assert not ev({"not": yes}, facts)
    assert ev({"all": [{"any": [no, yes]}, {"not": {"all": [yes, no]}}]}, facts)


def test_unquoted_yaml_yes_and_no_mean_the_answer_values() -> None:
    data = yaml.safe_load(
        "any:\n  - fact: a\n    equals: yes\n  - fact: b\n    in: [no, unknown]\n"
    )
    assert data["any"][0]["equals"] is True  # what YAML 1.1 makes of it
    assert ev(data, facts={"a": "yes"})
    assert ev(data, facts={"b": "no"})
    assert ev(data, facts={"b": "unknown"})
    assert not ev(data, facts={"a": "no", "b": "yes"})
    assert ev({"fact": "a", "equals": "yes"}, facts={"a": True})  # and stored booleans


def test_a_multi_choice_answer_contains_the_value() -> None:
    answers = {"q": ("police", "childrens_services")}
    assert ev({"answer": "q", "equals": "police"}, answers=answers)
    assert ev({"answer": "q", "in": ["health", "childrens_services"]}, answers=answers)
    assert not ev({"answer": "q", "equals": "health"}, answers=answers)
    assert ev({"answer": "q", "equals": "police"}, answers={"q": ["police"]})  # from JSON
    assert ev({"answer": "q", "answered": True}, answers=answers)


# -- wording -----------------------------------------------------------------------------------


def _describe(data: object) -> str:
    return cond.describe(
        cond.parse(data),
        fact_label=lambda f: {"da": "Domestic abuse indicated", "age": "Age"}.get(f, f),
        question_label=lambda q: f"the answer to {q}",
        value_label=lambda kind, subject, v: {"yes": "Yes", "unknown": "Not known"}.get(
            str(cond.normalise(v)), str(v)
        ),
    )


def test_describe_reads_as_words() -> None:
    text = _describe(
        {
            "all": [
                {"fact": "da", "in": [True, "unknown"]},
                {"answer": "C1.4", "equals": "yes"},
                {"not": {"fact": "age", "at_least": 18}},
            ]
        }
    )
    assert text == (
        "Domestic abuse indicated is 'Yes' or 'Not known' and the answer to C1.4 is 'Yes' "
        "and not Age is at least 18"
    )


def test_describe_brackets_nested_groups() -> None:
    text = _describe(
        {
            "any": [
                {"all": [{"fact": "da", "equals": "yes"}, {"fact": "age", "at_most": 17}]},
                {"answer": "q", "answered": False},
            ]
        }
    )
    assert text == (
        "(Domestic abuse indicated is 'Yes' and Age is at most 17) or the answer to q is "
        "not recorded"
    )


def test_describe_a_three_item_list() -> None:
    text = _describe({"fact": "x", "in": ["a", "b", "c"]})
    assert text == "x is 'a', 'b' or 'c'"


# -- the bundled DIPP set ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dipp() -> QuestionSet:
    return loader.load(bundled.question_sets_dir() / "dipp-public-protection.yaml")


CORE_FACTS = {
    "sentence_type": "community_order",
    "contact_suspended": "no",
    "rosh_level": "medium",
    "domestic_abuse": "no",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
}
DA_PROMPTS = ("C1.4", "C1.5", "C1.6")  # requested, received, used


def test_the_set_uses_the_ids_these_tests_assume(dipp: QuestionSet) -> None:
    assert "domestic abuse information request" in dipp.question("C1.4").text
    assert "received from the police" in dipp.question("C1.5").text
    assert "used to inform" in dipp.question("C1.6").text
    assert dipp.question("A1.3").text == dipp.question("C1.4").text


def test_describe_on_the_bundled_set(dipp: QuestionSet) -> None:
    c = dipp.question("C1.5").applies_when
    assert c is not None
    assert dipp.describe(c) == (
        "Domestic abuse indicated is 'Yes' or 'Not known' and the answer to C1.4 is 'Yes'"
    )


def test_no_domestic_abuse_hides_the_da_prompts(dipp: QuestionSet) -> None:
    answers = {"C1.4": "yes", "C1.5": "yes"}
    applicable = dipp.applicable("core", CORE_FACTS, answers)
    assert not set(DA_PROMPTS) & applicable
    assert {"C1", "C1.1", "C1.13"} <= applicable


@pytest.mark.parametrize("da", ["yes", "unknown"])
def test_domestic_abuse_yes_or_unknown_shows_the_request(dipp: QuestionSet, da: str) -> None:
    facts = {**CORE_FACTS, "domestic_abuse": da}
    assert "C1.4" in dipp.applicable("core", facts, {})
    assert {"C1.4", "C1.5", "C1.6"} <= dipp.applicable(
        "core", facts, {"C1.4": "yes", "C1.5": "yes"}
    )


def test_an_unrecorded_domestic_abuse_fact_shows_nothing(dipp: QuestionSet) -> None:
    facts = {k: v for k, v in CORE_FACTS.items() if k != "domestic_abuse"}
    assert not set(DA_PROMPTS) & dipp.applicable("core", facts, {"C1.4": "yes", "C1.5": "yes"})


def test_requested_no_switches_off_received_and_used(dipp: QuestionSet) -> None:
    facts = {**CORE_FACTS, "domestic_abuse": "yes"}
    # A stale "yes" left on C1.5 must not keep C1.6 alive once C1.5 no longer applies.
    applicable = dipp.applicable("core", facts, {"C1.4": "no", "C1.5": "yes", "C1.6": "yes"})
    assert "C1.4" in applicable
    assert "C1.5" not in applicable
    assert "C1.6" not in applicable


def test_received_no_switches_off_used_only(dipp: QuestionSet) -> None:
    facts = {**CORE_FACTS, "domestic_abuse": "yes"}
    applicable = dipp.applicable("core", facts, {"C1.4": "yes", "C1.5": "no"})
    assert {"C1.4", "C1.5"} <= applicable
    assert "C1.6" not in applicable


def test_questions_of_the_other_variant_never_apply(dipp: QuestionSet) -> None:
    facts = {**CORE_FACTS, "domestic_abuse": "yes"}
    applicable = dipp.applicable("core", facts, {"A1.3": "yes"})
    assert not any(q.startswith("A") for q in applicable)
    assert dipp.applicable(None, facts, {}) == frozenset()


def test_rosh_level_brings_in_home_visits(dipp: QuestionSet) -> None:
    assert "C3.3" not in dipp.applicable("core", CORE_FACTS, {})
    assert "C3.3" in dipp.applicable("core", {**CORE_FACTS, "rosh_level": "very_high"}, {})


def test_variant_for_follows_contact_suspended(dipp: QuestionSet) -> None:
    core = dipp.variant_for({"contact_suspended": "no"})
    adjusted = dipp.variant_for({"contact_suspended": "yes"})
    assert core is not None and core.id == "core"
    assert adjusted is not None and adjusted.id == "adjusted"
    assert dipp.variant_for({"contact_suspended": True}) == adjusted  # a stored boolean
    assert dipp.variant_for({}) is None  # not recorded yet: no fallback in this set


def test_sections_for_each_variant(dipp: QuestionSet) -> None:
    core = dipp.sections_for("core")
    adjusted = dipp.sections_for("adjusted")
    assert [s.key_question.id for s in core] == ["C1", "C2", "C3", "C4"]
    assert [s.key_question.id for s in adjusted] == ["A1", "A2", "A3", "A4"]
    assert all(q.id.startswith("C") for s in core for q in s.questions)
    assert all(q.id.startswith("A") for s in adjusted for q in s.questions)
    assert dipp.sections_for(None) == ()


def test_the_adjusted_chain_works_the_same_way(dipp: QuestionSet) -> None:
    facts = {**CORE_FACTS, "contact_suspended": "yes", "domestic_abuse": "unknown"}
    assert {"A1.3", "A1.4", "A1.5"} <= dipp.applicable(
        "adjusted", facts, {"A1.3": "yes", "A1.4": "yes"}
    )
    off = dipp.applicable("adjusted", facts, {"A1.3": "no", "A1.4": "yes"})
    assert "A1.4" not in off and "A1.5" not in off


def test_a_single_item_group_has_no_brackets() -> None:
    assert _describe({"all": [{"any": [{"fact": "da", "equals": "yes"}]}]}) == (
        "Domestic abuse indicated is 'Yes'"
    )
    assert isinstance(cond.parse({"any": [{"fact": "da", "equals": "yes"}]}), AnyOf)
