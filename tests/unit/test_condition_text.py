"""The readable condition syntax of spreadsheets: text to the YAML's plain data and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from probdesk import bundled
from probdesk.domain import conditions as cond
from probdesk.domain.condition_text import (
    ConditionTextError,
    format_condition,
    format_value,
    parse_condition,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "question_sets" / "all-answer-types.yaml"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        (
            "domestic_abuse in (yes, unknown) and answer C1.4 = yes",
            {
                "all": [
                    {"fact": "domestic_abuse", "in": ["yes", "unknown"]},
                    {"answer": "C1.4", "equals": "yes"},
                ]
            },
        ),
        ("not (mappa_level = level1)", {"not": {"fact": "mappa_level", "equals": "level1"}}),
        ("age >= 18", {"fact": "age", "at_least": 18}),
        ("score <= 2.5", {"fact": "score", "at_most": 2.5}),
        ("start <= 2026-06-30", {"fact": "start", "at_most": "2026-06-30"}),
        ("answer C2.1 answered", {"answer": "C2.1", "answered": True}),
        ("fact tier not answered", {"fact": "tier", "answered": False}),
        ("fact tier = B2", {"fact": "tier", "equals": "B2"}),
        ('tier = "18"', {"fact": "tier", "equals": "18"}),
        ("flag = true", {"fact": "flag", "equals": True}),
        ('team = "North & East"', {"fact": "team", "equals": "North & East"}),
        ('note = "say \\"hi\\""', {"fact": "note", "equals": 'say "hi"'}),
        (
            "a = x or b = y and c = z",
            {
                "any": [
                    {"fact": "a", "equals": "x"},
                    {"all": [{"fact": "b", "equals": "y"}, {"fact": "c", "equals": "z"}]},
                ]
            },
        ),
        (
            "not a = x and b = y",
            {"all": [{"not": {"fact": "a", "equals": "x"}}, {"fact": "b", "equals": "y"}]},
        ),
        (
            "(a = x and b = y) and c = z",
            {
                "all": [
                    {"all": [{"fact": "a", "equals": "x"}, {"fact": "b", "equals": "y"}]},
                    {"fact": "c", "equals": "z"},
                ]
            },
        ),
        ("all(a = x)", {"all": [{"fact": "a", "equals": "x"}]}),
        (
            "any(a = x, b = y)",
            {"any": [{"fact": "a", "equals": "x"}, {"fact": "b", "equals": "y"}]},
        ),
        ("  a   =   x  ", {"fact": "a", "equals": "x"}),
        ("a = x AND b = y", {"all": [{"fact": "a", "equals": "x"}, {"fact": "b", "equals": "y"}]}),
    ],
)
def test_parse_reads_the_plain_data(text: str, data: dict[str, Any]) -> None:
    assert parse_condition(text) == data
    assert parse_condition(format_condition(data)) == data


def test_format_writes_the_readable_text() -> None:
    data = {
        "all": [
            {"fact": "domestic_abuse", "in": ["yes", "unknown"]},
            {"answer": "C1.4", "equals": "yes"},
            {"not": {"fact": "mappa_level", "equals": "level1"}},
            {"any": [{"fact": "age", "at_least": 18}, {"answer": "C2.1", "answered": False}]},
        ]
    }
    assert format_condition(data) == (
        "domestic_abuse in (yes, unknown) and answer C1.4 = yes and "
        "not (mappa_level = level1) and (age >= 18 or answer C2.1 not answered)"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("yes", "yes"),
        ("2.1", '"2.1"'),
        (2.1, "2.1"),
        (18, "18"),
        (True, "true"),
        ("true", '"true"'),
        ("and", '"and"'),
        ("two words", '"two words"'),
        ("", '""'),
        ("a\\b", '"a\\\\b"'),
    ],
)
def test_values_are_quoted_only_when_they_must_be(value: object, text: str) -> None:
    assert format_value(value) == text
    assert parse_condition(f"x = {text}")["equals"] == value


def test_ids_that_are_keywords_are_quoted() -> None:
    for ident in ("not", "in", "answered", "fact", "answer", "and"):
        for data in ({"fact": ident, "equals": "x"}, {"answer": ident, "answered": False}):
            assert parse_condition(format_condition(data)) == data


def _conditions(x: Any) -> Iterator[Any]:
    if isinstance(x, dict):
        for k, v in x.items():
            if k in ("when", "applies_when"):
                yield v
            else:
                yield from _conditions(v)
    elif isinstance(x, list):
        for v in x:
            yield from _conditions(v)


def test_every_bundled_condition_round_trips() -> None:
    files = [*bundled.bundled_question_sets(), FIXTURE]
    seen = 0
    for path in files:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        for c in _conditions(data):
            text = format_condition(c)
            assert parse_condition(text) == c, (path, text)
            assert cond.parse(parse_condition(text)) == cond.parse(c)
            seen += 1
    assert seen > 50


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("", 1, "empty"),
        ("a =", 4, "expected a value"),
        ("a = x and", 10, "missing after 'and'"),
        ("a = x or", 9, "missing after 'or'"),
        ("not", 4, "missing after 'not'"),
        ("(a = x", 7, "')' to close the '(' at column 1"),
        ("a = x)", 6, "unexpected ')'"),
        ("a in yes", 6, "'(' and the values after 'in'"),
        ("a in (yes,", 11, "a value after ','"),
        ("a in (yes unknown)", 11, "')' to close the list"),
        ("a > 3", 3, "'>' is not an operator"),
        ("a != 3", 3, "'!' is not an operator"),
        ('a = "open', 5, "never closed"),
        ("a b", 3, "expected =, >=, <=, in (...), answered or not answered after 'a'"),
        ("a = x b = y", 7, "join conditions with and / or"),
        ("a = two words", 9, "join conditions with and / or"),
        ("a = £5", 5, "put a value with spaces or punctuation in quotes"),
        ("= 3", 1, "expected a fact"),
        ("a = x and and b = y", 11, "expected a fact"),
        ("a = and", 5, "expected a value after '='"),
    ],
)
def test_bad_syntax_names_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(ConditionTextError) as caught:
        parse_condition(text)
    assert caught.value.column == column, caught.value
    assert words in caught.value.message, caught.value
    assert str(caught.value).startswith(f"column {column}: ")


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ConditionTextError, match="nested more than"):
        parse_condition("not " * 200 + "a = x")
    with pytest.raises(ConditionTextError, match="nested more than"):
        parse_condition("(" * 200 + "a = x" + ")" * 200)
