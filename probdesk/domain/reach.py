"""Which variants and questions some case can reach: the warnings of `questionset validate`.

A variant no combination of facts selects (an earlier variant always wins, or its condition can
never hold) and a question that can never apply are almost always mistakes that would put cases
in the wrong variant or leave a question unasked without a word.

The search is exhaustive over what the conditions can tell apart: each closed fact or answer
takes each of its values and "not recorded"; an open one (number, date, text) takes the values
its conditions compare with, one either side of each bound, and one that none of them names.
It gives up (says nothing) for a question whose conditions read more combinations than
`LIMIT`: a warning must never be a guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from probdesk.domain.answer_types import ValueKind, answer_kind, fact_kind
from probdesk.domain.conditions import Compare, Condition, Env, evaluate, referenced_answers, walk
from probdesk.domain.questionset import QuestionSet

LIMIT = 20_000  # combinations tried for one variant or question at most
_OTHER = "\x00another value"  # a text none of the conditions names


@dataclass(frozen=True)
class Unreachable:
    kind: str  # "variant" or "question"
    id: str
    why: str


def _comparisons(qs: QuestionSet) -> dict[tuple[str, str], list[object]]:
    """(kind, subject) -> every operand a condition compares it with."""
    conditions: list[Condition] = [v.when for v in qs.variants if v.when is not None]
    conditions += [q.applies_when for q in qs.questions if q.applies_when is not None]
    out: dict[tuple[str, str], list[object]] = {}
    for c in conditions:
        for part in walk(c):
            if isinstance(part, Compare) and part.op != "answered":
                operands = part.operand if isinstance(part.operand, tuple) else (part.operand,)
                out.setdefault((part.kind, part.subject), []).extend(operands)
    return out


def _open_values(kind: ValueKind, operands: Iterable[object]) -> list[object]:
    values: list[object] = [_OTHER] if not kind.ordered else []
    for o in operands:
        values.append(o)
        if not kind.ordered:
            continue
        try:
            n = Decimal(str(o))
            values += [n - 1, n + 1]
            continue
        except InvalidOperation:
            pass
        try:
            d = date.fromisoformat(str(o))
            values += [(d - timedelta(days=1)).isoformat(), (d + timedelta(days=1)).isoformat()]
        except ValueError:
            pass
    if kind.ordered and not values:
        values.append(Decimal(0))
    return values


class _Space:
    def __init__(self, qs: QuestionSet) -> None:
        self.qs = qs
        self.compared = _comparisons(qs)

    def domain(self, kind: str, subject: str) -> list[object]:
        """The values worth trying for a fact or an answer, "not recorded" (None) first."""
        if kind == "fact":
            f = self.qs.fact(subject)
            entry, options = fact_kind(f.type), f.options
        else:
            q = self.qs.question(subject)
            entry, options = answer_kind(q.answer), q.options
        allowed = entry.allowed(options)
        if allowed is not None:
            if entry.several:  # a multiple choice: no value, or each value on its own
                return [None, *((v,) for v in allowed)]
            return [None, *allowed]
        return [None, *_open_values(entry, self.compared.get((kind, subject), []))]


def _facts_read(qs: QuestionSet) -> tuple[str, ...]:
    """The facts the variants' conditions read, in file order."""
    read = {
        p.subject
        for v in qs.variants
        if v.when is not None
        for p in walk(v.when)
        if isinstance(p, Compare) and p.kind == "fact"
    }
    return tuple(f.id for f in qs.facts if f.id in read)


def _product(space: _Space, kind: str, ids: tuple[str, ...]) -> Iterable[dict[str, object]] | None:
    domains = [space.domain(kind, i) for i in ids]
    size = 1
    for d in domains:
        size *= len(d)
        if size > LIMIT:
            return None
    return (dict(zip(ids, combo, strict=True)) for combo in itertools.product(*domains))


def unreachable(qs: QuestionSet) -> list[Unreachable]:
    """The variants and questions no case can reach, in file order."""
    space = _Space(qs)
    out: list[Unreachable] = []
    variant_facts = _facts_read(qs)
    combos = _product(space, "fact", variant_facts)
    reachable_variants: set[str] | None = None
    if combos is not None:
        reachable_variants = set()
        for facts in combos:
            chosen = qs.variant_for(facts)
            if chosen is not None:
                reachable_variants.add(chosen.id)
        for i, v in enumerate(qs.variants):
            if v.id in reachable_variants:
                continue
            earlier = [w.id for w in qs.variants[:i] if w.id in reachable_variants]
            why = (
                f"no combination of case facts selects it (the variants are tried in order; "
                f"{', '.join(earlier)} {'is' if len(earlier) == 1 else 'are'} chosen first)"
                if earlier
                else "no combination of case facts makes its condition hold"
            )
            out.append(Unreachable("variant", v.id, why))
    for section in qs.sections:
        live = [
            v for v in section.variants if reachable_variants is None or v in reachable_variants
        ]
        for q in section.questions:
            if not live:
                out.append(
                    Unreachable(
                        "question", q.id, "its section is asked only in variants no case reaches"
                    )
                )
                continue
            if q.applies_when is not None and not _can_apply(qs, space, q.id, tuple(live)):
                out.append(Unreachable("question", q.id, "no case facts and answers make it apply"))
    return out


def _closure(qs: QuestionSet, qid: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The facts and earlier answers a question's applicability depends on, through the
    conditions of the questions it reads."""
    facts: set[str] = set()
    answers: set[str] = set()
    stack = [qid]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        if current in seen or not qs.has_question(current):
            continue
        seen.add(current)
        cond = qs.question(current).applies_when
        if cond is None:
            continue
        for p in walk(cond):
            if isinstance(p, Compare):
                if p.kind == "fact":
                    facts.add(p.subject)
                elif qs.has_question(p.subject):
                    answers.add(p.subject)
                    stack.append(p.subject)
    return (
        tuple(f.id for f in qs.facts if f.id in facts),
        tuple(q.id for q in qs.questions if q.id in answers),
    )


def _applies(
    qs: QuestionSet,
    qid: str,
    facts: Mapping[str, object],
    answers: Mapping[str, object],
    memo: dict[str, bool],
) -> bool:
    if qid not in memo:
        memo[qid] = False  # the loader refused cycles; this only guards the recursion
        cond = qs.question(qid).applies_when
        if cond is None:
            memo[qid] = True
            return True
        # An answer is visible to the condition only when its own question applies.
        visible = {
            a: answers[a]
            for a in referenced_answers(cond)
            if answers.get(a) is not None and _applies(qs, a, facts, answers, memo)
        }
        memo[qid] = evaluate(cond, Env(facts=facts, answers=visible))
    return memo[qid]


def _can_apply(qs: QuestionSet, space: _Space, qid: str, variants: tuple[str, ...]) -> bool:
    fact_ids, answer_ids = _closure(qs, qid)
    domains = [space.domain("fact", f) for f in fact_ids]
    domains += [space.domain("answer", a) for a in answer_ids]
    size = 1
    for d in domains:
        size *= len(d)
        if size > LIMIT:
            return True  # too many to try: say nothing rather than guess
    for combo in itertools.product(*domains):
        facts = dict(zip(fact_ids, combo[: len(fact_ids)], strict=True))
        answers = dict(zip(answer_ids, combo[len(fact_ids) :], strict=True))
        if not _applies(qs, qid, facts, answers, {}):
            continue
        # The section's variants must be selectable together with these facts: a condition
        # can read a fact that also picks the variant.
        if _variant_fits(qs, space, facts, variants):
            return True
    return False


def _variant_fits(
    qs: QuestionSet, space: _Space, facts: Mapping[str, object], variants: tuple[str, ...]
) -> bool:
    """Some values of the other facts the variants read select one of `variants`."""
    rest = tuple(f for f in _facts_read(qs) if f not in facts)
    combos = _product(space, "fact", rest)
    if combos is None:
        return True
    for more in combos:
        chosen = qs.variant_for({**facts, **more})
        if chosen is not None and chosen.id in variants:
            return True
    return False
