"""Summary math: percentages, rounding for display, ratings, pooling, standards and bands."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from probdesk import bundled
from probdesk.domain import loader
from probdesk.domain.questionset import QuestionSet, Ratings
from probdesk.domain.summary import (
    NO_RELEVANT_CASES,
    Outcome,
    Tally,
    case_outcomes,
    format_percent,
    overall,
    percent_value,
    pool,
    rate,
    rate_standards,
    tally,
)

PDU_CORE = loader.load(bundled.question_sets_dir() / "pdu-core.yaml")
DIPP = loader.load(bundled.question_sets_dir() / "dipp-public-protection.yaml")
assert PDU_CORE.ratings is not None
RATINGS: Ratings = PDU_CORE.ratings
SCALE = RATINGS.scale

counts = st.integers(min_value=0, max_value=10_000)
outcomes = st.lists(st.sampled_from(list(Outcome)), max_size=60)


def level_id(t: Tally) -> str | None:
    level = rate(t.percent, SCALE)
    return level.id if level else None


# -- percentage --------------------------------------------------------------------------------


@given(yes=counts, no=counts, na=counts, unanswered=counts)
def test_percent_is_yes_over_relevant(yes: int, no: int, na: int, unanswered: int) -> None:
    t = Tally(yes, no, na, unanswered)
    if yes + no == 0:
        assert t.percent is None
    else:
        assert t.percent == Fraction(yes, yes + no) * 100
        assert 0 <= t.percent <= 100


@given(yes=counts, no=counts, na=counts, unanswered=counts)
def test_not_applicable_and_unanswered_never_change_the_percent(
    yes: int, no: int, na: int, unanswered: int
) -> None:
    assert Tally(yes, no, na, unanswered).percent == Tally(yes, no).percent


@given(na=counts, unanswered=counts)
def test_no_relevant_cases(na: int, unanswered: int) -> None:
    t = Tally(0, 0, na, unanswered)
    assert t.relevant == 0
    assert t.percent is None
    assert format_percent(t.percent) == NO_RELEVANT_CASES == "no relevant cases"
    assert percent_value(t.percent) is None
    assert rate(t.percent, SCALE) is None


@given(outcomes)
def test_tally_counts_each_outcome(items: list[Outcome]) -> None:
    t = tally(items)
    assert t.yes == items.count(Outcome.YES)
    assert t.no == items.count(Outcome.NO)
    assert t.not_applicable == items.count(Outcome.NOT_APPLICABLE)
    assert t.unanswered == items.count(Outcome.UNANSWERED)
    assert t.did_not_apply == items.count(Outcome.DID_NOT_APPLY)
    assert t == functools.reduce(Tally.add, items, Tally())  # NOT_ASKED counts nowhere


# -- ratings at the boundaries -----------------------------------------------------------------


def test_the_pdu_core_scale_is_what_these_tests_assume() -> None:
    assert [(lv.id, lv.min_percent, lv.points) for lv in SCALE] == [
        ("outstanding", Decimal(80), 3),
        ("good", Decimal(65), 2),
        ("requires_improvement", Decimal(50), 1),
        ("inadequate", Decimal(0), 0),
    ]
    assert [(b.min_score, b.label) for b in RATINGS.bands] == [
        (10, "Outstanding"),
        (7, "Good"),
        (4, "Requires improvement"),
        (0, "Inadequate"),
    ]


@pytest.mark.parametrize(
    ("yes", "no", "exact", "shown", "level"),
    [
        (0, 5, Fraction(0), "0.0%", "inadequate"),
        (4999, 5001, Fraction("49.99"), "49.9%", "inadequate"),
        (1, 1, Fraction(50), "50.0%", "requires_improvement"),
        (6499, 3501, Fraction("64.99"), "64.9%", "requires_improvement"),
        (13, 7, Fraction(65), "65.0%", "good"),
        (7999, 2001, Fraction("79.99"), "79.9%", "good"),
        (7996, 2004, Fraction("79.96"), "79.9%", "good"),
        (4, 1, Fraction(80), "80.0%", "outstanding"),
        (9, 0, Fraction(100), "100.0%", "outstanding"),
        (2, 1, Fraction(200, 3), "66.6%", "good"),
    ],
)
def test_rating_boundaries(yes: int, no: int, exact: Fraction, shown: str, level: str) -> None:
    t = Tally(yes, no, not_applicable=3, unanswered=2)
    assert t.percent == exact
    assert format_percent(t.percent) == shown
    assert level_id(t) == level


def test_format_percent_places() -> None:
    p = Fraction(200, 3)
    assert format_percent(p, 0) == "66%"
    assert format_percent(p, 2) == "66.66%"
    assert percent_value(p) == 66.6
    assert percent_value(Fraction("79.99")) == 79.9


@given(yes=counts, no=counts)
@example(yes=7996, no=2004)
@example(yes=7999, no=2001)
def test_the_shown_figure_never_reaches_a_threshold_the_exact_value_misses(
    yes: int, no: int
) -> None:
    p = Tally(yes, no).percent
    if p is None:
        return
    text = format_percent(p)
    shown = Fraction(text.removesuffix("%"))
    assert shown <= p < shown + Fraction(1, 10)
    value = percent_value(p)
    assert value is not None and Fraction(str(value)) == shown
    for lv in SCALE:
        if p < lv.min_percent:
            assert shown < lv.min_percent
    # So the figure shown never looks better than the rating given beside it.
    by_figure, by_exact = rate(shown, SCALE), rate(p, SCALE)
    assert by_figure is not None and by_exact is not None
    assert by_figure.min_percent <= by_exact.min_percent


# -- pooling -----------------------------------------------------------------------------------


@given(st.lists(outcomes, max_size=8))
def test_pooling_equals_tallying_all_cases_together(pdus: list[list[Outcome]]) -> None:
    pooled = pool(tally(cases) for cases in pdus)
    assert pooled == tally(itertools.chain.from_iterable(pdus))


def test_the_pooled_percent_is_not_the_mean_of_pdu_percents() -> None:
    small = Tally(yes=1, no=0)  # 100%
    large = Tally(yes=1, no=2)  # 33.3%
    pooled = pool([small, large])
    assert pooled == Tally(yes=2, no=2)
    assert pooled.percent == 50
    assert small.percent is not None and large.percent is not None
    mean = (small.percent + large.percent) / 2
    assert mean == Fraction(200, 3)
    assert pooled.percent != mean
    assert level_id(pooled) == "requires_improvement"  # the mean would have said "good"
    assert rate(mean, SCALE).id == "good"  # type: ignore[union-attr]


def test_pool_of_nothing_is_empty() -> None:
    assert pool([]) == Tally()
    assert pool([]).percent is None


# -- standards and the overall band ------------------------------------------------------------


def _tallies_at(percents: dict[str, tuple[int, int]]) -> dict[str, Tally]:
    return {qid: Tally(yes, no) for qid, (yes, no) in percents.items()}


def test_a_standard_takes_its_lowest_key_question() -> None:
    tallies = _tallies_at({"2.1.1": (9, 1), "2.1.2": (6, 4), "2.1.3": (7, 3)})
    result = rate_standards(RATINGS, tallies)[0]
    assert result.standard.id == "2.1"
    assert result.lowest_question == "2.1.2"
    assert result.percent == 60
    assert result.rating is not None and result.rating.id == "requires_improvement"


def test_key_questions_without_relevant_cases_are_ignored() -> None:
    tallies = {
        "2.1.1": Tally(yes=0, no=0, not_applicable=12),  # would be "lowest" if counted as 0%
        "2.1.2": Tally(yes=8, no=2),
        # 2.1.3 has no tally at all
    }
    result = rate_standards(RATINGS, tallies)[0]
    assert result.lowest_question == "2.1.2"
    assert result.rating is not None and result.rating.id == "outstanding"


def test_a_standard_with_no_relevant_cases_has_no_rating() -> None:
    results = rate_standards(RATINGS, {"2.1.1": Tally(not_applicable=3)})
    assert [r.rating for r in results] == [None, None, None, None]
    assert results[0].lowest_question is None and results[0].percent is None


def test_ties_go_to_the_first_key_question() -> None:
    tallies = _tallies_at({"2.2.1": (1, 1), "2.2.2": (2, 2), "2.2.3": (3, 1)})
    result = rate_standards(RATINGS, tallies)[1]
    assert result.lowest_question == "2.2.1"


def _all_standards_at(yes: int, no: int) -> dict[str, Tally]:
    return {q.id: Tally(yes, no) for q in PDU_CORE.key_questions}


def test_overall_score_and_band() -> None:
    tallies = {
        **_all_standards_at(9, 1),  # 90%: outstanding everywhere ...
        "2.2.3": Tally(7, 3),  # ... but planning is good (70%)
        "2.3.1": Tally(1, 1),  # implementation requires improvement (50%)
        "2.4.2": Tally(1, 9),  # reviewing is inadequate (10%)
    }
    result = overall(RATINGS, tallies)
    assert [r.rating.id for r in result.standards if r.rating] == [
        "outstanding",
        "good",
        "requires_improvement",
        "inadequate",
    ]
    assert result.score == 3 + 2 + 1 + 0
    assert result.band == "Requires improvement"


@pytest.mark.parametrize(
    ("yes", "no", "score", "band"),
    [
        (9, 1, 12, "Outstanding"),
        (7, 3, 8, "Good"),
        (1, 1, 4, "Requires improvement"),
        (0, 1, 0, "Inadequate"),
    ],
)
def test_overall_when_every_standard_rates_the_same(
    yes: int, no: int, score: int, band: str
) -> None:
    result = overall(RATINGS, _all_standards_at(yes, no))
    assert (result.score, result.band) == (score, band)


@given(st.lists(st.sampled_from([(9, 1), (7, 3), (1, 1), (1, 3)]), min_size=4, max_size=4))
def test_overall_band_follows_the_score(per_standard: list[tuple[int, int]]) -> None:
    tallies: dict[str, Tally] = {}
    for standard, (yes, no) in zip(RATINGS.standards, per_standard, strict=True):
        tallies.update({qid: Tally(yes, no) for qid in standard.key_questions})
    points = {(9, 1): 3, (7, 3): 2, (1, 1): 1, (1, 3): 0}
    expected_score = sum(points[p] for p in per_standard)
    expected_band = (
        "Outstanding"
        if expected_score >= 10
        else "Good"
        if expected_score >= 7
        else "Requires improvement"
        if expected_score >= 4
        else "Inadequate"
    )
    result = overall(RATINGS, tallies)
    assert result.score == expected_score
    assert result.band == expected_band


def test_overall_is_none_while_a_standard_has_no_rating() -> None:
    tallies = _all_standards_at(9, 1)
    for qid in ("2.4.1", "2.4.2", "2.4.3"):
        tallies[qid] = Tally(not_applicable=5, unanswered=1)
    result = overall(RATINGS, tallies)
    assert result.score is None and result.band is None
    assert result.standards[3].rating is None
    assert all(r.rating is not None for r in result.standards[:3])


# -- one case's outcomes -----------------------------------------------------------------------


CORE_FACTS = {
    "sentence_type": "community_order",
    "contact_suspended": "no",
    "rosh_level": "medium",
    "domestic_abuse": "no",
    "child_safeguarding": "no",
    "mappa_eligible": "no",
}


def test_case_outcomes_over_the_dipp_set() -> None:
    qs: QuestionSet = DIPP
    answers = {"C1": "yes", "C1.1": "no", "C2.3": "na", "C1.4": "yes", "A1": "yes"}
    out = case_outcomes(qs, "core", CORE_FACTS, answers)
    assert set(out) == {q.id for q in qs.questions if q.counts}
    assert out["C1"] is Outcome.YES
    assert out["C1.1"] is Outcome.NO
    assert out["C2.3"] is Outcome.NOT_APPLICABLE  # answered N/A
    assert out["C1.4"] is Outcome.DID_NOT_APPLY  # domestic abuse "no": condition hides it
    assert out["C1.2"] is Outcome.UNANSWERED
    assert out["A1"] is Outcome.NOT_ASKED  # the other variant, even though an answer exists
    assert all(out[q] is Outcome.NOT_ASKED for q in out if q.startswith("A"))
    assert all(out[q] is not Outcome.NOT_ASKED for q in out if q.startswith("C"))


def test_case_outcomes_follow_the_chain() -> None:
    facts = {**CORE_FACTS, "domestic_abuse": "yes"}
    out = case_outcomes(DIPP, "core", facts, {"C1.4": "no", "C1.5": "yes", "C1.6": "yes"})
    assert out["C1.4"] is Outcome.NO
    assert out["C1.5"] is Outcome.DID_NOT_APPLY
    assert out["C1.6"] is Outcome.DID_NOT_APPLY


def test_case_outcomes_without_a_variant_are_all_not_asked() -> None:
    out = case_outcomes(DIPP, None, {}, {})
    assert set(out.values()) == {Outcome.NOT_ASKED}


def test_cases_pool_into_question_figures() -> None:
    cases = [
        ({**CORE_FACTS, "domestic_abuse": "yes"}, {"C1.4": "yes"}),
        ({**CORE_FACTS, "domestic_abuse": "unknown"}, {"C1.4": "no"}),
        (CORE_FACTS, {"C1.4": "yes"}),  # not applicable: no domestic abuse
        ({**CORE_FACTS, "contact_suspended": "yes"}, {"A1.3": "yes"}),  # adjusted: not asked
    ]
    per_case = [
        case_outcomes(DIPP, DIPP.variant_for(f).id, f, a)  # type: ignore[union-attr]
        for f, a in cases
    ]
    t = tally(o["C1.4"] for o in per_case)
    assert t == Tally(yes=1, no=1, not_applicable=0, unanswered=0, did_not_apply=1)
    assert format_percent(t.percent) == "50.0%"


# -- the minimum base ------------------------------------------------------------------------


def test_a_base_below_the_minimum_carries_a_caution_and_rates_no_standard() -> None:
    from probdesk.domain.summary import base_caution, too_small

    small, enough = Tally(yes=4, no=0), Tally(yes=8, no=2)
    assert too_small(small, 5) and not too_small(enough, 5)
    assert not too_small(Tally(not_applicable=3), 5)  # no percentage: nothing to caution
    assert base_caution(small, 5) == "base too small (4 of at least 5)"
    assert base_caution(enough, 5) == "" and base_caution(small, 0) == ""
    st = RATINGS.standards[0]
    tallies = {q: enough for q in st.key_questions}
    (rated,) = [r for r in rate_standards(RATINGS, tallies, 5) if r.standard == st]
    assert rated.rating is not None and rated.caution == ""
    tallies[st.key_questions[-1]] = small  # 100% on 4 cases: would be "Outstanding"
    (held,) = [r for r in rate_standards(RATINGS, tallies, 5) if r.standard == st]
    assert held.rating is None
    assert held.caution == "base too small (4 of at least 5)"
    assert overall(RATINGS, tallies, 5).band is None  # a standard unrated: no band either
    (unruled,) = [r for r in rate_standards(RATINGS, tallies) if r.standard == st]
    assert unruled.rating is not None  # no minimum set: rated as before
