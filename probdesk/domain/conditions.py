"""Structured applicability conditions: parse from plain data, evaluate, describe in words.

Conditions are data, never code: `all` / `any` / `not`, or a comparison of a case fact or an
earlier answer. Nothing here calls `eval`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

Subject = Literal["fact", "answer"]
Op = Literal["equals", "in", "at_least", "at_most", "answered"]
OPS: tuple[Op, ...] = ("equals", "in", "at_least", "at_most", "answered")
Scalar = str | int | float | bool


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class Compare:
    kind: Subject
    subject: str
    op: Op
    operand: Scalar | tuple[Scalar, ...]


Condition = All | AnyOf | Not | Compare


@dataclass(frozen=True)
class Env:
    """What a condition may read: the case's facts and the answers visible so far."""

    facts: Mapping[str, object]
    answers: Mapping[str, object]


class ConditionSyntaxError(ValueError):
    """Raised by `parse` for data the schema should already have refused."""


def parse(data: object) -> Condition:
    if not isinstance(data, Mapping):
        raise ConditionSyntaxError("a condition must be a mapping")
    if "all" in data:
        return All(tuple(parse(x) for x in data["all"]))
    if "any" in data:
        return AnyOf(tuple(parse(x) for x in data["any"]))
    if "not" in data:
        return Not(parse(data["not"]))
    kind: Subject
    if "fact" in data:
        kind = "fact"
    elif "answer" in data:
        kind = "answer"
    else:
        raise ConditionSyntaxError("a condition needs all, any, not, fact or answer")
    ops = [op for op in OPS if op in data]
    if len(ops) != 1:
        raise ConditionSyntaxError(f"a comparison needs exactly one of {', '.join(OPS)}")
    op = ops[0]
    operand = data[op]
    if op == "in":
        operand = tuple(operand)
    return Compare(kind, str(data[kind]), op, operand)


def walk(cond: Condition) -> Iterator[Condition]:
    stack: list[Condition] = [cond]
    while stack:
        c = stack.pop()
        yield c
        if isinstance(c, All | AnyOf):
            stack.extend(reversed(c.items))
        elif isinstance(c, Not):
            stack.append(c.item)


def referenced_answers(cond: Condition) -> frozenset[str]:
    return frozenset(c.subject for c in walk(cond) if isinstance(c, Compare) and c.kind == "answer")


def referenced_facts(cond: Condition) -> frozenset[str]:
    return frozenset(c.subject for c in walk(cond) if isinstance(c, Compare) and c.kind == "fact")


def _is_set(value: object) -> bool:
    if isinstance(value, tuple | list | set | frozenset):  # a multiple choice with none picked
        return len(value) > 0
    return value is not None and value != ""


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def normalise(value: object) -> object:
    """YAML reads an unquoted yes/no as a boolean; conditions mean the answer values."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _same(value: object, operand: object) -> bool:
    if isinstance(value, tuple | list | frozenset):  # a multiple-choice answer contains it
        return any(_same(v, operand) for v in value)
    value, operand = normalise(value), normalise(operand)
    a, b = _number(value), _number(operand)
    if a is not None and b is not None:
        return a == b
    return str(value) == str(operand)


def evaluate(cond: Condition, env: Env) -> bool:
    """True when `cond` holds. A missing fact or answer matches nothing but `answered: false`."""
    if isinstance(cond, All):
        return all(evaluate(c, env) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate(c, env) for c in cond.items)
    if isinstance(cond, Not):
        return not evaluate(cond.item, env)
    source = env.facts if cond.kind == "fact" else env.answers
    value = source.get(cond.subject)
    present = _is_set(value)
    if cond.op == "answered":
        return present is bool(cond.operand)
    if not present:
        return False
    if cond.op == "equals":
        return _same(value, cond.operand)
    if cond.op == "in":
        assert isinstance(cond.operand, tuple)
        return any(_same(value, o) for o in cond.operand)
    number, bound = _number(value), _number(cond.operand)
    if number is not None and bound is not None:
        return number >= bound if cond.op == "at_least" else number <= bound
    day, limit = _date(value), _date(cond.operand)
    if day is not None and limit is not None:
        return day >= limit if cond.op == "at_least" else day <= limit
    return False


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def describe(
    cond: Condition,
    fact_label: Callable[[str], str],
    question_label: Callable[[str], str],
    value_label: Callable[[str, str, object], str],
) -> str:
    """The condition in words, for assessors reading the question-set outline."""

    def words(c: Condition, top: bool) -> str:
        if isinstance(c, All | AnyOf):
            joiner = " and " if isinstance(c, All) else " or "
            text = joiner.join(words(x, False) for x in c.items)
            return text if top or len(c.items) == 1 else f"({text})"
        if isinstance(c, Not):
            return f"not {words(c.item, False)}"
        name = fact_label(c.subject) if c.kind == "fact" else question_label(c.subject)

        def val(v: object) -> str:
            return f"'{value_label(c.kind, c.subject, v)}'"

        if c.op == "equals":
            return f"{name} is {val(c.operand)}"
        if c.op == "in":
            assert isinstance(c.operand, tuple)
            opts = [val(v) for v in c.operand]
            listed = opts[0] if len(opts) == 1 else ", ".join(opts[:-1]) + " or " + opts[-1]
            return f"{name} is {listed}"
        if c.op == "at_least":
            return f"{name} is at least {c.operand}"
        if c.op == "at_most":
            return f"{name} is at most {c.operand}"
        return f"{name} is {'recorded' if c.operand else 'not recorded'}"

    return words(cond, True)
