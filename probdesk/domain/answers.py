"""Current answers and history as views of the append-only answer events."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol, TypeVar

from probdesk.domain.questionset import AnswerType, Fact, FactType, Question, QuestionSet


class _Event(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def hlc(self) -> str: ...
    @property
    def replaces(self) -> str | None: ...


E = TypeVar("E", bound=_Event)
K = TypeVar("K", bound=Hashable)


def heads(events: Iterable[E], key: Callable[[E], K]) -> dict[K, E]:
    """The newest unreplaced event per key (clock order, then device id via the HLC string)."""
    items = list(events)
    replaced = {e.replaces for e in items if e.replaces}
    out: dict[K, E] = {}
    for e in items:
        if e.id in replaced:
            continue
        k = key(e)
        cur = out.get(k)
        if cur is None or e.hlc > cur.hlc:
            out[k] = e
    return out


@dataclass(frozen=True)
class HistoryEntry:
    hlc: str
    recorded_by: str
    old_value: object
    new_value: object
    note_changed: bool


# A word of a person's name in any script: letters, with apostrophes and hyphens inside.
_WORD = r"[^\W\d_](?:[^\W\d_]|['’-])+"
NAME_LIKE = re.compile(
    rf"^{_WORD}(?: {_WORD})+$"  # Forename Surname, Siân Jones, Zoë O'Neill
    rf"|^{_WORD}, ?{_WORD}(?: {_WORD})*$"  # SMITH, John
)
FORMULA_START = ("=", "+", "-", "@")  # what a spreadsheet reads as the start of a formula
# Control, format (bidi overrides, zero-width), line and paragraph separators, private use,
# surrogates, unassigned: nothing a reference needs, and each can hide or reorder its text.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def reference_problem(reference: str) -> str | None:
    """Why a case reference is not acceptable, or None. References, never names; and only
    characters that show as themselves, in a spreadsheet cell too."""
    ref = unicodedata.normalize("NFC", reference.strip())
    if not ref:
        return "A case needs a reference: the CRN or a pseudonym."
    if len(ref) > 64:
        return "A case reference may be at most 64 characters."
    bad = next((ch for ch in ref if unicodedata.category(ch) in _UNSAFE_CATEGORIES), None)
    if bad is not None:
        return (
            f"A case reference may not contain control or invisible characters (it holds "
            f"U+{ord(bad):04X}, {unicodedata.name(bad, 'a control character').lower()})."
        )
    if ref.startswith(FORMULA_START):
        return (
            "A case reference may not start with =, +, - or @: a spreadsheet would read it "
            "as a formula."
        )
    if NAME_LIKE.match(ref):
        return f"'{ref}' looks like a person's name. Record the CRN or a pseudonym, never a name."
    return None


def coerce_fact(fact: Fact, raw: object) -> object:
    """A fact value in its stored form; raises ValueError with a message for the user."""
    if raw is None or raw == "":
        return None
    allowed = fact.allowed_values()
    if allowed is not None:
        if str(raw) not in allowed:
            labels = ", ".join(fact.label_of(v) for v in allowed)
            raise ValueError(f"{fact.label}: '{raw}' is not one of {labels}")
        return str(raw)
    if fact.type is FactType.NUMBER:
        return _number(fact.label, raw)
    if fact.type is FactType.DATE:
        return _date(fact.label, raw)
    return str(raw).strip()


def _number(what: str, raw: object) -> int | float:
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{what}: '{raw}' is not a number") from None
    return int(number) if number == number.to_integral_value() else float(number)


def _date(what: str, raw: object) -> str:
    try:
        return date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        raise ValueError(f"{what}: '{raw}' is not a date (YYYY-MM-DD)") from None


def check_facts(
    qs: QuestionSet, facts: Mapping[str, object]
) -> tuple[dict[str, object], list[str]]:
    """Coerced facts, and every problem: unknown facts, bad values, missing required facts."""
    clean: dict[str, object] = {}
    problems: list[str] = []
    known = {f.id: f for f in qs.facts}
    for key in facts:
        if key not in known:
            problems.append(f"'{key}' is not a case fact of {qs.title}")
    for f in qs.facts:
        try:
            value = coerce_fact(f, facts.get(f.id))
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if value is None:
            if f.required:
                problems.append(f"{f.label} is required")
            continue
        clean[f.id] = value
    return clean, problems


def coerce_answer(q: Question, raw: object) -> object:
    """An answer value in its stored form; raises ValueError with a message for the user."""
    if raw is None or raw == "" or raw == ():
        return None
    allowed = q.allowed_values()
    if q.answer is AnswerType.MULTI_CHOICE:
        values = tuple(str(v) for v in (raw if isinstance(raw, list | tuple) else [raw]))
        bad = [v for v in values if allowed is not None and v not in allowed]
        if bad:
            raise ValueError(f"{q.id}: {', '.join(bad)} is not an option")
        return tuple(v for v in (allowed or values) if v in values)
    if allowed is not None:
        if str(raw) not in allowed:
            raise ValueError(f"{q.id}: '{raw}' is not one of {', '.join(allowed)}")
        return str(raw)
    if q.answer is AnswerType.NUMBER:
        return _number(q.id, raw)
    if q.answer is AnswerType.DATE:
        return _date(q.id, raw)
    return str(raw)
