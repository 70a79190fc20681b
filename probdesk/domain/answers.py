"""Current answers and history as views of the append-only answer events."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from probdesk.domain.answer_types import answer_kind, fact_kind
from probdesk.domain.questionset import Fact, Question, QuestionSet


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
    return fact_kind(fact.type).coerce(raw, what=fact.label, options=fact.options, list_labels=True)


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
    return answer_kind(q.answer).coerce(raw, what=q.id, options=q.options)
