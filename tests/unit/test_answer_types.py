"""The answer-type registry: in step with the schema and the widget factory; each type's values,
coercion, counting rule and words; the loader and the summary reading it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from probdesk.domain import loader
from probdesk.domain.answer_types import (
    ANSWER_TYPES,
    FACT_TYPES,
    AnswerType,
    FactType,
    Option,
    Outcome,
    answer_kind,
    countable_answer_types,
    fact_kind,
    value_word,
)
from probdesk.domain.answers import coerce_answer, coerce_fact
from probdesk.domain.summary import case_outcomes
from probdesk.errors import QuestionSetError
from probdesk.services.questionsets import outline
from probdesk.ui.cases.question_widgets import WIDGETS

ALL_TYPES = Path(__file__).resolve().parents[1] / "fixtures/question_sets/all-answer-types.yaml"
OPTIONS = (Option("low", "Low"), Option("medium", "Medium"), Option("high", "High"))


# -- in step: the schema's enum, the registry, the widget factory -------------------------------


def out_of_step(kind: str, places: Mapping[str, set[str]]) -> list[str]:
    """For each type some places name and others do not, which places it is missing from."""
    problems = []
    for name in sorted(set().union(*places.values())):
        missing = [where for where, names in places.items() if name not in names]
        if missing:
            problems.append(f"{kind} '{name}' is missing from {' and from '.join(missing)}")
    return problems


def answer_type_places() -> dict[str, set[str]]:
    question = loader.schema()["$defs"]["question"]["properties"]["answer"]
    return {
        "the schema's answer enum (question_sets/schema/question-set.schema.json)": set(
            question["enum"]
        ),
        "AnswerType (probdesk/domain/answer_types.py)": {t.value for t in AnswerType},
        "the registry ANSWER_TYPES (probdesk/domain/answer_types.py)": {
            k.name for k in ANSWER_TYPES.values()
        },
        "the widget factory WIDGETS (probdesk/ui/cases/question_widgets.py)": {
            t.value for t in WIDGETS
        },
    }


def test_the_schema_the_registry_and_the_widgets_name_the_same_answer_types() -> None:
    problems = out_of_step("answer type", answer_type_places())
    assert not problems, "\n".join(problems)


def test_the_schema_and_the_registry_name_the_same_fact_types() -> None:
    fact = loader.schema()["$defs"]["fact"]["properties"]["type"]
    places = {
        "the schema's fact type enum (question_sets/schema/question-set.schema.json)": set(
            fact["enum"]
        ),
        "FactType (probdesk/domain/answer_types.py)": {t.value for t in FactType},
        "the registry FACT_TYPES (probdesk/domain/answer_types.py)": {
            k.name for k in FACT_TYPES.values()
        },
    }
    problems = out_of_step("fact type", places)
    assert not problems, "\n".join(problems)


def test_a_type_added_in_one_place_only_is_named_with_the_places_it_lacks() -> None:
    places = answer_type_places()
    schema_enum = next(k for k in places if k.startswith("the schema"))
    places[schema_enum] = places[schema_enum] | {"scale"}
    assert out_of_step("answer type", places) == [
        "answer type 'scale' is missing from AnswerType (probdesk/domain/answer_types.py) "
        "and from the registry ANSWER_TYPES (probdesk/domain/answer_types.py) "
        "and from the widget factory WIDGETS (probdesk/ui/cases/question_widgets.py)"
    ]
    widgets = next(k for k in places if k.startswith("the widget"))
    places = answer_type_places()
    places[widgets] = places[widgets] - {"date"}
    assert out_of_step("answer type", places) == [
        "answer type 'date' is missing from the widget factory WIDGETS "
        "(probdesk/ui/cases/question_widgets.py)"
    ]


def test_a_type_without_an_entry_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="answer type 'scale' has no entry in probdesk/domain"):
        answer_kind("scale")
    with pytest.raises(KeyError, match="fact type 'scale' has no entry in probdesk/domain"):
        fact_kind("scale")


def test_the_fixture_set_has_every_answer_and_fact_type() -> None:
    qs = loader.load(ALL_TYPES)
    assert {q.answer for q in qs.questions} == set(AnswerType)
    assert {f.type for f in qs.facts} == set(FactType)
    text = outline(qs)  # `questionset show`: words for every type, no KeyError
    for kind in ANSWER_TYPES.values():
        assert f"({kind.words}" in text, kind.name
    for kind in FACT_TYPES.values():
        assert f"({kind.words}" in text, kind.name


# -- each type's values and words ---------------------------------------------------------------


def test_allowed_values_and_words() -> None:
    got = {t.value: (k.allowed(OPTIONS), k.words) for t, k in ANSWER_TYPES.items()}
    assert got == {
        "yes_no": (("yes", "no"), "Yes / No"),
        "yes_no_na": (("yes", "no", "na"), "Yes / No / Not applicable"),
        "choice": (("low", "medium", "high"), "one choice"),
        "multi_choice": (("low", "medium", "high"), "several choices"),
        "number": (None, "number"),
        "date": (None, "date"),
        "text": (None, "free text"),
    }
    facts = {t.value: (k.allowed(OPTIONS), k.words) for t, k in FACT_TYPES.items()}
    assert facts == {
        "yes_no": (("yes", "no"), "Yes / No"),
        "yes_no_unknown": (("yes", "no", "unknown"), "Yes / No / Not known"),
        "choice": (("low", "medium", "high"), "choice"),
        "number": (None, "number"),
        "date": (None, "date"),
        "text": (None, "text"),
    }


def test_the_words_of_values() -> None:
    yes_no_na = answer_kind(AnswerType.YES_NO_NA)
    assert [yes_no_na.label_of(v) for v in ("yes", "no", "na")] == [
        "Yes",
        "No",
        "Not applicable",
    ]
    assert fact_kind(FactType.YES_NO_UNKNOWN).label_of("unknown") == "Not known"
    assert answer_kind(AnswerType.CHOICE).label_of("medium", OPTIONS) == "Medium"
    assert answer_kind(AnswerType.CHOICE).label_of("gone", OPTIONS) == "gone"
    # A type's words are its own: a text answer that reads "yes" is shown as typed.
    assert answer_kind(AnswerType.TEXT).label_of("yes") == "yes"
    assert answer_kind(AnswerType.NUMBER).label_of(12) == "12"
    # Where the question is not at hand (a hub conflict line), any type's own words.
    assert [value_word(v) for v in ("yes", "na", "unknown", "low")] == [
        "Yes",
        "Not applicable",
        "Not known",
        "low",
    ]


# -- coercion: a raw value to the stored form, or a message ---------------------------------------

GOOD: list[tuple[AnswerType, object, object]] = [
    (AnswerType.YES_NO, "yes", "yes"),
    (AnswerType.YES_NO, "no", "no"),
    (AnswerType.YES_NO_NA, "na", "na"),
    (AnswerType.CHOICE, "medium", "medium"),
    (AnswerType.MULTI_CHOICE, ["high", "low"], ("low", "high")),  # in the options' order
    (AnswerType.MULTI_CHOICE, ("high", "high"), ("high",)),
    (AnswerType.MULTI_CHOICE, "low", ("low",)),  # one value is a list of one
    (AnswerType.NUMBER, "12", 12),
    (AnswerType.NUMBER, 12, 12),
    (AnswerType.NUMBER, "12.0", 12),  # a whole number is an int
    (AnswerType.NUMBER, "2.5", 2.5),
    (AnswerType.NUMBER, " 3 ", 3),
    (AnswerType.NUMBER, "-1e3", -1000),
    (AnswerType.DATE, "2025-10-06", "2025-10-06"),
    (AnswerType.DATE, "20251006", "2025-10-06"),  # ISO's short form, stored in the long one
    (AnswerType.TEXT, "Seen twice", "Seen twice"),
    (AnswerType.TEXT, " kept as typed ", " kept as typed "),
]


@pytest.mark.parametrize(("atype", "raw", "stored"), GOOD)
def test_a_good_value_is_stored(atype: AnswerType, raw: object, stored: object) -> None:
    got = answer_kind(atype).coerce(raw, what="Q1", options=OPTIONS)
    assert got == stored
    assert type(got) is type(stored)


@pytest.mark.parametrize("atype", list(AnswerType))
@pytest.mark.parametrize("raw", [None, "", (), []])
def test_no_value_clears_the_answer(atype: AnswerType, raw: object) -> None:
    assert answer_kind(atype).coerce(raw, what="Q1", options=OPTIONS) is None


BAD: list[tuple[AnswerType, object, str]] = [
    (AnswerType.YES_NO, "na", "Q1: 'na' is not one of yes, no"),
    (AnswerType.YES_NO, "Yes", "Q1: 'Yes' is not one of yes, no"),  # the value, not its words
    (AnswerType.YES_NO, True, "Q1: 'True' is not one of yes, no"),
    (AnswerType.YES_NO_NA, "maybe", "Q1: 'maybe' is not one of yes, no, na"),
    (AnswerType.CHOICE, "extreme", "Q1: 'extreme' is not one of low, medium, high"),
    (AnswerType.CHOICE, ["low"], "Q1: '['low']' is not one of low, medium, high"),
    (AnswerType.MULTI_CHOICE, ["low", "extreme"], "Q1: extreme is not an option"),
    (AnswerType.NUMBER, "twelve", "Q1: 'twelve' is not a number"),
    (AnswerType.NUMBER, "1,5", "Q1: '1,5' is not a number"),
    (AnswerType.NUMBER, "Infinity", "Q1: 'Infinity' is not a number"),
    (AnswerType.NUMBER, "nan", "Q1: 'nan' is not a number"),
    (AnswerType.DATE, "2025-02-30", "Q1: '2025-02-30' is not a date (YYYY-MM-DD)"),
    (AnswerType.DATE, "06/10/2025", "Q1: '06/10/2025' is not a date (YYYY-MM-DD)"),
]


@pytest.mark.parametrize(("atype", "raw", "message"), BAD)
def test_a_bad_value_is_refused_with_a_message(
    atype: AnswerType, raw: object, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        answer_kind(atype).coerce(raw, what="Q1", options=OPTIONS)
    assert str(caught.value) == message


def test_every_answer_type_has_good_and_bad_cases_here() -> None:
    assert {t for t, _r, _s in GOOD} == set(AnswerType)
    assert {t for t, _r, _m in BAD} == set(AnswerType) - {AnswerType.TEXT}  # text takes all


def test_questions_and_facts_coerce_through_the_registry() -> None:
    qs = loader.load(ALL_TYPES)
    assert coerce_answer(qs.question("T4"), ["police", "oasys"]) == ("oasys", "police")
    with pytest.raises(ValueError, match=r"^T3: 'extreme' is not one of low, medium, high$"):
        coerce_answer(qs.question("T3"), "extreme")
    # A fact's message lists the words of its values; text facts lose their spaces.
    with pytest.raises(ValueError, match=r"^RoSH level: 'extreme' is not one of Low, High$"):
        coerce_fact(qs.fact("rosh_level"), "extreme")
    with pytest.raises(
        ValueError, match=r"^Domestic abuse indicated: 'maybe' is not one of Yes, No, Not known$"
    ):
        coerce_fact(qs.fact("domestic_abuse"), "maybe")
    assert coerce_fact(qs.fact("office"), "  Plymouth  ") == "Plymouth"
    assert coerce_fact(qs.fact("months"), "12") == 12
    with pytest.raises(ValueError, match=r"^Start of the order: '2025-13-01' is not a date"):
        coerce_fact(qs.fact("start"), "2025-13-01")


# -- counting: what an answer contributes to the findings -----------------------------------------


def test_only_yes_no_types_count() -> None:
    assert countable_answer_types() == ("yes_no", "yes_no_na")
    assert {t for t, k in ANSWER_TYPES.items() if k.countable} == {
        AnswerType.YES_NO,
        AnswerType.YES_NO_NA,
    }


@pytest.mark.parametrize(
    ("atype", "value", "outcome"),
    [
        (AnswerType.YES_NO, "yes", Outcome.YES),  # counts for
        (AnswerType.YES_NO, "no", Outcome.NO),  # counts against
        (AnswerType.YES_NO, None, Outcome.UNANSWERED),
        (AnswerType.YES_NO, "na", Outcome.UNANSWERED),  # not a value of the type
        (AnswerType.YES_NO_NA, "yes", Outcome.YES),
        (AnswerType.YES_NO_NA, "no", Outcome.NO),
        (AnswerType.YES_NO_NA, "na", Outcome.NOT_APPLICABLE),  # out of the base
        (AnswerType.YES_NO_NA, None, Outcome.UNANSWERED),
        (AnswerType.YES_NO_NA, ("yes",), Outcome.UNANSWERED),
    ],
)
def test_the_counting_rule(atype: AnswerType, value: object, outcome: Outcome) -> None:
    assert answer_kind(atype).outcome(value) is outcome


@pytest.mark.parametrize(
    "atype", [t for t in AnswerType if t not in (AnswerType.YES_NO, AnswerType.YES_NO_NA)]
)
def test_other_types_never_count(atype: AnswerType) -> None:
    with pytest.raises(ValueError, match=f"^{atype.value} answers do not count toward findings$"):
        answer_kind(atype).outcome("yes")


def test_the_summary_counts_by_the_registry() -> None:
    qs = loader.load(ALL_TYPES)
    assert {q.id for q in qs.questions if q.counts} == {"T1", "T2", "T8", "T9"}
    facts = {"contact_suspended": "no"}
    answers = {"T1": "yes", "T2": "na", "T3": "low", "T4": ("police",), "T5": 1, "T7": "yes"}
    assert case_outcomes(qs, "all", facts, answers) == {
        "T1": Outcome.YES,
        "T2": Outcome.NOT_APPLICABLE,  # answered Not applicable
        "T8": Outcome.DID_NOT_APPLY,  # its condition does not hold (T3 is low)
        "T9": Outcome.DID_NOT_APPLY,  # T5 is below 2
    }
    answers |= {"T2": "no", "T3": "high", "T5": 2}
    assert case_outcomes(qs, "all", facts, answers) == {
        "T1": Outcome.YES,
        "T2": Outcome.NO,
        "T8": Outcome.UNANSWERED,
        "T9": Outcome.UNANSWERED,
    }


# -- the loader reads the registry ----------------------------------------------------------------


def with_condition(condition: str) -> str:
    """The fixture with T9's condition replaced."""
    text = ALL_TYPES.read_text(encoding="utf-8")
    start = text.index("        applies_when:\n          all:")
    end = text.index("\naggregation:")
    return text[:start] + f"        applies_when: {condition}\n" + text[end:]


@pytest.mark.parametrize(
    ("condition", "bad", "subject", "values"),
    [
        ("{answer: T1, equals: na}", "na", "answer 'T1'", "no, yes"),
        ("{answer: T2, equals: maybe}", "maybe", "answer 'T2'", "na, no, yes"),
        ("{answer: T3, equals: extreme}", "extreme", "answer 'T3'", "high, low, medium"),
        ("{answer: T4, in: [police, fax]}", "fax", "answer 'T4'", "ndelius, oasys, police"),
        ("{fact: contact_suspended, equals: unknown}", "unknown", "fact 'contact_suspended'",
         "no, yes"),
        ("{fact: domestic_abuse, equals: na}", "na", "fact 'domestic_abuse'", "no, unknown, yes"),
        ("{fact: rosh_level, equals: medium}", "medium", "fact 'rosh_level'", "high, low"),
    ],
)  # fmt: skip
def test_a_condition_value_a_type_does_not_have_is_refused(
    condition: str, bad: str, subject: str, values: str
) -> None:
    with pytest.raises(QuestionSetError) as caught:
        loader.parse_text(with_condition(condition), "all.yaml")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        f"'{bad}' is not a value of {subject} (one of: {values})"
    ]


@pytest.mark.parametrize(
    "condition",
    [
        "{answer: T1, equals: yes}",  # an unquoted yes is the value "yes"
        "{answer: T2, in: [no, na]}",
        "{answer: T5, equals: 7}",  # open types: any value
        "{answer: T6, equals: '2025-10-06'}",
        "{answer: T7, equals: anything}",
        "{fact: domestic_abuse, equals: unknown}",
        "{fact: months, at_least: 6}",
        "{fact: office, equals: Plymouth}",
    ],
)
def test_a_condition_value_the_type_has_is_accepted(condition: str) -> None:
    loader.parse_text(with_condition(condition), "all.yaml")


@pytest.mark.parametrize("atype", ["choice", "multi_choice", "number", "date", "text"])
def test_counts_is_refused_where_the_type_never_counts(atype: str) -> None:
    text = ALL_TYPES.read_text(encoding="utf-8").replace(
        "        answer: text\n", f"        answer: {atype}\n        counts: true\n"
    )
    if atype in ("choice", "multi_choice"):
        text = text.replace(
            f"        answer: {atype}\n        counts: true\n",
            f"        answer: {atype}\n        counts: true\n        options:\n"
            "          - {value: a, label: A}\n",
            1,
        )
    with pytest.raises(QuestionSetError) as caught:
        loader.parse_text(text, "all.yaml")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        f"question 'T7' counts toward findings but its answer is {atype}; "
        "only yes_no and yes_no_na answers can be counted"
    ]
