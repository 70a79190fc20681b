"""Summary math: counts, percentage Yes over relevant cases, ratings, points and bands.

Percentages are exact fractions; a rating compares the exact value with the threshold, and the
displayed figure is rounded down so that a page never shows 80.0% beside "Good".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

# What one case contributes to one question's figures; each answer type's counting rule (in
# the registry) says which outcome an answer is.
from probdesk.domain.answer_types import Outcome as Outcome
from probdesk.domain.answer_types import answer_kind
from probdesk.domain.questionset import QuestionSet, RatingLevel, Ratings, Standard


@dataclass(frozen=True)
class Tally:
    """One question's counts over a group of cases. Only Yes and No are relevant (the base of
    the percentage); the other three are counted apart so that a reader sees them."""

    yes: int = 0
    no: int = 0
    not_applicable: int = 0  # answered Not applicable
    unanswered: int = 0  # applies to the case, no answer yet
    did_not_apply: int = 0  # its condition did not hold for the case

    @property
    def relevant(self) -> int:
        return self.yes + self.no

    @property
    def percent(self) -> Fraction | None:
        """Yes as a percentage of relevant cases; None when no case is relevant."""
        if self.relevant == 0:
            return None
        return Fraction(100 * self.yes, self.relevant)

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.yes + other.yes,
            self.no + other.no,
            self.not_applicable + other.not_applicable,
            self.unanswered + other.unanswered,
            self.did_not_apply + other.did_not_apply,
        )

    def add(self, outcome: Outcome) -> Tally:
        field = _TALLY_FIELD.get(outcome)
        if field is None:
            return self
        return replace(self, **{field: getattr(self, field) + 1})


_TALLY_FIELD = {
    Outcome.YES: "yes",
    Outcome.NO: "no",
    Outcome.NOT_APPLICABLE: "not_applicable",
    Outcome.UNANSWERED: "unanswered",
    Outcome.DID_NOT_APPLY: "did_not_apply",
}


def too_small(t: Tally, minimum_base: int) -> bool:
    """Whether a figure's base (its relevant cases) is below the set's minimum: the percentage
    is shown with a caution and given no rating. No relevant case at all is not "too small":
    there is no percentage to caution."""
    return 0 < t.relevant < minimum_base


NO_RELEVANT_CASES = "no relevant cases"


def tally(outcomes: Iterable[Outcome]) -> Tally:
    counts = dict.fromkeys(Outcome, 0)
    for o in outcomes:
        counts[o] += 1
    return Tally(**{field: counts[o] for o, field in _TALLY_FIELD.items()})


def pool(tallies: Iterable[Tally]) -> Tally:
    """A region's figure pools its PDUs' cases: counts add, percentages are not averaged."""
    total = Tally()
    for t in tallies:
        total = total + t
    return total


def format_percent(p: Fraction | None, places: int = 1) -> str:
    if p is None:
        return NO_RELEVANT_CASES
    scale = 10**places
    shown = Fraction(math.floor(p * scale), scale)
    return f"{float(shown):.{places}f}%"


def percent_value(p: Fraction | None, places: int = 1) -> float | None:
    """The rounded-down number for machine-readable outputs (JSON, CSV)."""
    if p is None:
        return None
    scale = 10**places
    return float(math.floor(p * scale) / scale)


def case_outcomes(
    qs: QuestionSet,
    variant_id: str | None,
    facts: Mapping[str, object],
    answers: Mapping[str, object],
) -> dict[str, Outcome]:
    """Each counting question's outcome for one case."""
    in_variant = {q.id for s in qs.sections_for(variant_id) for q in s.questions}
    applicable = qs.applicable(variant_id, facts, answers)
    out: dict[str, Outcome] = {}
    for q in qs.questions:
        if not q.counts:
            continue
        if q.id not in in_variant:
            out[q.id] = Outcome.NOT_ASKED
        elif q.id not in applicable:
            out[q.id] = Outcome.DID_NOT_APPLY
        else:
            out[q.id] = answer_kind(q.answer).outcome(answers.get(q.id))
    return out


# -- ratings -----------------------------------------------------------------------------------


def rate(percent: Fraction | None, scale: Iterable[RatingLevel]) -> RatingLevel | None:
    """The best level whose threshold the exact percentage reaches; None with no relevant case."""
    if percent is None:
        return None
    for level in scale:
        if percent >= Fraction(level.min_percent):
            return level
    return None


@dataclass(frozen=True)
class StandardResult:
    standard: Standard
    rating: RatingLevel | None
    lowest_question: str | None
    percent: Fraction | None
    # Why no rating is given though a key question has relevant cases: "base too small (4 of
    # at least 10)", the smallest base -- a standard is rated on no key question below it.
    caution: str = ""


@dataclass(frozen=True)
class OverallResult:
    standards: tuple[StandardResult, ...]
    score: int | None  # None until every standard has a rating
    band: str | None


def base_caution(t: Tally, minimum_base: int) -> str:
    """The caution a percentage carries when its base is below the set's minimum ("" if none)."""
    if not too_small(t, minimum_base):
        return ""
    return f"base too small ({t.relevant} of at least {minimum_base})"


def rate_standards(
    ratings: Ratings, tallies: Mapping[str, Tally], minimum_base: int = 0
) -> tuple[StandardResult, ...]:
    """Each standard takes the rating of its lowest-scoring key question with relevant cases;
    none while any of its key questions has fewer relevant cases than the minimum base (the
    lowest percentage could be any of them)."""
    results = []
    for st in ratings.standards:
        scored = [
            (p, qid)
            for qid in st.key_questions
            if (p := tallies.get(qid, Tally()).percent) is not None
        ]
        if not scored:
            results.append(StandardResult(st, None, None, None))
            continue
        lowest, qid = min(scored, key=lambda t: (t[0], st.key_questions.index(t[1])))
        small = [
            tallies[q]
            for q in st.key_questions
            if q in tallies and too_small(tallies[q], minimum_base)
        ]
        if small:  # short enough for a table's rating column: the smallest base
            why = base_caution(min(small, key=lambda t: t.relevant), minimum_base)
            results.append(StandardResult(st, None, qid, lowest, why))
            continue
        results.append(StandardResult(st, rate(lowest, ratings.scale), qid, lowest))
    return tuple(results)


def overall(ratings: Ratings, tallies: Mapping[str, Tally], minimum_base: int = 0) -> OverallResult:
    standards = rate_standards(ratings, tallies, minimum_base)
    if any(r.rating is None for r in standards):
        return OverallResult(standards, None, None)
    score = sum(r.rating.points for r in standards if r.rating is not None)
    band = next((b.label for b in ratings.bands if score >= b.min_score), None)
    return OverallResult(standards, score, band)
