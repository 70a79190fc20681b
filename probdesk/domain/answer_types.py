"""Every answer type, and every case-fact type, in one registry.

One entry per type holds what the rest of probdesk needs to know about it:

- its **values**: a fixed list (Yes / No / Not applicable), the question's own options, or an
  open value (a number, a date, text) with the rule that reads it;
- its **coercion**: a raw value (typed, imported, merged) to the stored form, or a ValueError
  whose message the user can act on;
- its **counting rule**: what an answer contributes to a question's findings (Yes counts for,
  No against, Not applicable is out of the base; a type without a rule never counts);
- its **words**: how the CLI, the browser and the reports name the type and its fixed values.

The loader (allowed values, condition values, `counts`), the summary, the words printed for a
set and the case form's widget factory all read this registry. Adding an answer type means an
entry here, the schema's enum (question_sets/schema/question-set.schema.json) and a widget in
probdesk/ui/cases/question_widgets.py; tests/unit/test_answer_types.py fails until all three agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType

YES, NO, NA, UNKNOWN = "yes", "no", "na", "unknown"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


class Outcome(StrEnum):
    """What one case contributes to one question's figures."""

    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "na"  # answered Not applicable
    DID_NOT_APPLY = "did_not_apply"  # its condition does not hold for the case: not asked
    UNANSWERED = "unanswered"  # applies, but no answer yet
    NOT_ASKED = "not_asked"  # the question belongs to another variant: not counted at all


class AnswerType(StrEnum):
    YES_NO = "yes_no"
    YES_NO_NA = "yes_no_na"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"

    @property
    def kind(self) -> ValueKind:
        return answer_kind(self)

    @property
    def is_yes_no(self) -> bool:
        """Answered Yes or No (and perhaps Not applicable)."""
        return self.kind.is_yes_no

    @property
    def has_options(self) -> bool:
        return self.kind.from_options


class FactType(StrEnum):
    YES_NO = "yes_no"
    YES_NO_UNKNOWN = "yes_no_unknown"
    CHOICE = "choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"

    @property
    def kind(self) -> ValueKind:
        return fact_kind(self)

    @property
    def is_yes_no(self) -> bool:
        """Recorded as Yes or No (and perhaps Not known)."""
        return self.kind.is_yes_no


# -- reading open values -------------------------------------------------------------------------


def parse_number(what: str, raw: object) -> int | float:
    """A whole number as an int, any other as a float; ValueError if it is not a finite number."""
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{what}: '{raw}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: '{raw}' is not a number")
    return int(number) if number == number.to_integral_value() else float(number)


def parse_date(what: str, raw: object) -> str:
    """An ISO date, YYYY-MM-DD; ValueError if it is not a date."""
    try:
        return date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        raise ValueError(f"{what}: '{raw}' is not a date (YYYY-MM-DD)") from None


def parse_text(_what: str, raw: object) -> str:
    return str(raw)


def parse_stripped_text(_what: str, raw: object) -> str:
    return str(raw).strip()


# -- the entry -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ValueKind:
    """One answer or fact type: its values, how a raw value is read, how it counts, its words."""

    name: str  # as the question-set file spells it
    words: str  # how a set's outline names the type: "Yes / No / Not applicable"
    fixed: tuple[Option, ...] = ()  # the type's own values, in order, with their words
    from_options: bool = False  # the values are the question's (or fact's) options
    several: bool = False  # an answer is a list of values, in the options' order
    parse: Callable[[str, object], object] = parse_text  # an open value: raw -> stored
    counting: Mapping[str, Outcome] | None = field(default=None)  # None: never counts
    hint: str = "give text"  # what to give for an open value, in words (the CLI's refusals)
    ordered: bool = False  # values have an order: conditions may use at_least / at_most

    @property
    def is_yes_no(self) -> bool:
        return {YES, NO} <= {o.value for o in self.fixed}

    @property
    def countable(self) -> bool:
        """Answers of this type may count toward findings (and do unless `counts: false`)."""
        return self.counting is not None

    def allowed(self, options: Iterable[Option] = ()) -> tuple[str, ...] | None:
        """The closed list of values, or None for an open type (number, date, text)."""
        if self.fixed:
            return tuple(o.value for o in self.fixed)
        if self.from_options:
            return tuple(o.value for o in options)
        return None

    def label_of(self, value: object, options: Iterable[Option] = ()) -> str:
        """An option's label, the words of one of the type's own values, or the value itself."""
        for o in options:
            if o.value == value:
                return o.label
        text = str(value)
        for o in self.fixed:
            if o.value == text:
                return o.label
        return text

    def coerce(
        self,
        raw: object,
        *,
        what: str,
        options: tuple[Option, ...] = (),
        list_labels: bool = False,
    ) -> object:
        """The stored form of a raw value; None for no value. Raises ValueError("what: ...").

        A value outside a closed list is refused naming the list: its values, or with
        `list_labels` their words.
        """
        if raw is None or raw == "" or (isinstance(raw, list | tuple) and not raw):
            return None  # no value: clears the answer
        allowed = self.allowed(options)
        if self.several:
            values = tuple(str(v) for v in (raw if isinstance(raw, list | tuple) else [raw]))
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise ValueError(f"{what}: {', '.join(bad)} is not an option")
            return tuple(v for v in (allowed or values) if v in values)
        if allowed is not None:
            if str(raw) not in allowed:
                listed = [self.label_of(v, options) for v in allowed] if list_labels else allowed
                raise ValueError(f"{what}: '{raw}' is not one of {', '.join(listed)}")
            return str(raw)
        return self.parse(what, raw)

    def outcome(self, value: object) -> Outcome:
        """What an answer of a question that applies contributes to its findings.

        A value the counting rule does not name (no answer yet) is UNANSWERED.
        """
        if self.counting is None:
            raise ValueError(f"{self.name} answers do not count toward findings")
        if isinstance(value, str):
            return self.counting.get(value, Outcome.UNANSWERED)
        return Outcome.UNANSWERED


# -- the registry --------------------------------------------------------------------------------

_YES_NO = (Option(YES, "Yes"), Option(NO, "No"))
DATE_HINT = "give a date as YYYY-MM-DD"

ANSWER_TYPES: Mapping[AnswerType, ValueKind] = MappingProxyType(
    {
        AnswerType.YES_NO: ValueKind(
            "yes_no",
            "Yes / No",
            fixed=_YES_NO,
            counting=MappingProxyType({YES: Outcome.YES, NO: Outcome.NO}),
        ),
        AnswerType.YES_NO_NA: ValueKind(
            "yes_no_na",
            "Yes / No / Not applicable",
            fixed=(*_YES_NO, Option(NA, "Not applicable")),
            counting=MappingProxyType(
                {YES: Outcome.YES, NO: Outcome.NO, NA: Outcome.NOT_APPLICABLE}
            ),
        ),
        AnswerType.CHOICE: ValueKind("choice", "one choice", from_options=True),
        AnswerType.MULTI_CHOICE: ValueKind(
            "multi_choice", "several choices", from_options=True, several=True
        ),
        AnswerType.NUMBER: ValueKind(
            "number", "number", parse=parse_number, hint="give a number", ordered=True
        ),
        AnswerType.DATE: ValueKind("date", "date", parse=parse_date, hint=DATE_HINT, ordered=True),
        AnswerType.TEXT: ValueKind("text", "free text", parse=parse_text),
    }
)

FACT_TYPES: Mapping[FactType, ValueKind] = MappingProxyType(
    {
        FactType.YES_NO: ValueKind("yes_no", "Yes / No", fixed=_YES_NO),
        FactType.YES_NO_UNKNOWN: ValueKind(
            "yes_no_unknown", "Yes / No / Not known", fixed=(*_YES_NO, Option(UNKNOWN, "Not known"))
        ),
        FactType.CHOICE: ValueKind("choice", "choice", from_options=True),
        FactType.NUMBER: ValueKind(
            "number", "number", parse=parse_number, hint="give a number", ordered=True
        ),
        FactType.DATE: ValueKind("date", "date", parse=parse_date, hint=DATE_HINT, ordered=True),
        FactType.TEXT: ValueKind("text", "text", parse=parse_stripped_text),
    }
)


def answer_kind(answer_type: str) -> ValueKind:
    """The registry's entry for an answer type (an AnswerType or its name in the file)."""
    try:
        return ANSWER_TYPES[answer_type]  # type: ignore[index]  # a name looks its type up
    except KeyError:
        raise KeyError(
            f"answer type '{answer_type}' has no entry in probdesk/domain/answer_types.py"
        ) from None


def fact_kind(fact_type: str) -> ValueKind:
    """The registry's entry for a case-fact type (a FactType or its name in the file)."""
    try:
        return FACT_TYPES[fact_type]  # type: ignore[index]  # a name looks its type up
    except KeyError:
        raise KeyError(
            f"fact type '{fact_type}' has no entry in probdesk/domain/answer_types.py"
        ) from None


def countable_answer_types() -> tuple[str, ...]:
    """The names of the answer types that may count toward findings, in registry order."""
    return tuple(k.name for k in ANSWER_TYPES.values() if k.countable)


def value_word(value: object) -> str:
    """The words of a type's own value ("na" -> "Not applicable") where the question is not at
    hand; any other value as itself."""
    text = str(value)
    for kind in (*ANSWER_TYPES.values(), *FACT_TYPES.values()):
        for o in kind.fixed:
            if o.value == text:
                return o.label
    return text


def _check_registry() -> None:
    for registry, enum in ((ANSWER_TYPES, AnswerType), (FACT_TYPES, FactType)):
        missing = [t.value for t in enum if t not in registry]
        misnamed = [f"{t.value} (entry says {k.name})" for t, k in registry.items() if k.name != t]
        if missing or misnamed:
            raise RuntimeError(
                f"{enum.__name__} and its registry disagree: no entry for {missing}, "
                f"misnamed {misnamed}"
            )


_check_registry()
